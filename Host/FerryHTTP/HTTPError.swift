/// Why the HTTP service could not deliver a response; the kind maps to an ABI
/// status. Messages never contain credentials.
public struct HTTPError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of failure; new kinds may be added, so switch with a default.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable { case invalid, retryable, rateLimited, auth, cancelled }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A bad request or an unusable response; retrying will not help.
        public static let invalid = Kind(.invalid)
        /// Transient (network, timeout, 5xx): a later attempt may succeed.
        public static let retryable = Kind(.retryable)
        /// A rate limit or budget: wait ``HTTPError/retryAfter`` seconds.
        public static let rateLimited = Kind(.rateLimited)
        /// Credentials missing or rejected; the message says what to supply.
        public static let auth = Kind(.auth)
        /// The run was cancelled while waiting.
        public static let cancelled = Kind(.cancelled)

        /// The kind's name.
        public var description: String { base.rawValue }
    }

    /// The class of failure.
    public var kind: Kind
    /// One line for a person, credentials redacted.
    public var message: String
    /// Seconds to wait before trying again, when known.
    public var retryAfter: Double?

    /// Creates an error.
    /// - Parameters:
    ///   - kind: The class of failure.
    ///   - message: One line, with no secrets.
    ///   - retryAfter: Seconds to wait, when known.
    public init(_ kind: Kind, _ message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The message.
    public var description: String { message }
}
