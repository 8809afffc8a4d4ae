import CFerryPlugin
import FerryJSON

/// An error a connector reports to the host, with the ABI status that tells the
/// host what to do about it (retry, wait, ask for credentials, give up).
///
/// Any other Swift error thrown by a connector reaches the host as
/// `FERRY_ERR_INTERNAL` with the error's description.
public struct PluginError: Error, CustomStringConvertible, Sendable {
    /// The ABI status code (`FERRY_ERR_*`).
    public var status: Int32
    /// One line for a person; never include secrets.
    public var message: String
    /// Optional machine-readable context.
    public var details: JSONValue?
    /// Seconds to wait before retrying, when known.
    public var retryAfter: Double?

    public init(status: Int32, message: String, details: JSONValue? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// Bad configuration, request or record: retrying will not help.
    public static func invalid(_ message: String, details: JSONValue? = nil) -> PluginError {
        PluginError(status: FERRY_ERR_INVALID, message: message, details: details)
    }
    /// A transient failure the host may retry.
    public static func retryable(_ message: String, retryAfter: Double? = nil) -> PluginError {
        PluginError(status: FERRY_ERR_RETRYABLE, message: message, retryAfter: retryAfter)
    }
    /// A rate limit: the host waits `retryAfter` seconds when given.
    public static func rateLimited(_ message: String, retryAfter: Double?) -> PluginError {
        PluginError(status: FERRY_ERR_RATE_LIMITED, message: message, retryAfter: retryAfter)
    }
    /// Credentials missing, expired or rejected; say what to supply and where.
    public static func auth(_ message: String) -> PluginError {
        PluginError(status: FERRY_ERR_AUTH, message: message)
    }
    /// The call stopped because the run was cancelled.
    public static func cancelled(_ message: String = "Cancelled.") -> PluginError {
        PluginError(status: FERRY_ERR_CANCELLED, message: message)
    }
    /// The slot, option or stream is not supported.
    public static func unsupported(_ message: String) -> PluginError {
        PluginError(status: FERRY_ERR_UNSUPPORTED, message: message)
    }
    /// A key that does not exist (host services).
    public static func notFound(_ message: String) -> PluginError {
        PluginError(status: FERRY_ERR_NOT_FOUND, message: message)
    }
}
