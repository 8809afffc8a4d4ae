/// Which variables `${VAR}` may read: names and prefix rules (`ACME_*`).
///
/// Without a list, a configuration can copy any variable of the `ferry`
/// process into records (`{ op: set, field: x, value: "${AWS_SECRET_ACCESS_KEY}" }`).
/// Where the people who write configurations are not the people who run `ferry`
/// (one install serving several tenants), the operator sets `FERRY_ALLOWED_ENV`
/// in the service's environment, which the file cannot widen; a file's own
/// `allowed_env` narrows further. A name must pass every list in force.
public struct EnvironmentAllowList: Sendable, Equatable, CustomStringConvertible {
    /// Exact names, and prefixes written with a trailing `*`.
    public var patterns: [String]

    /// Creates a list.
    ///
    /// - Parameter patterns: names (`API_TOKEN`) and prefix rules (`ACME_*`).
    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// The list in a `FERRY_ALLOWED_ENV` value (comma- or space-separated), or nil when unset.
    ///
    /// - Parameter value: the variable's value; an empty value allows nothing.
    public init?(environmentValue value: String?) {
        guard let value else { return nil }
        self.init(patterns: value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init))
    }

    /// Whether `${name}` may be read.
    ///
    /// - Parameter name: a variable name.
    public func allows(_ name: String) -> Bool {
        patterns.contains { pattern in
            pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
        }
    }

    /// Whether `pattern` is a valid entry: a variable name, optionally ending in `*`.
    ///
    /// - Parameter pattern: an entry of `allowed_env`.
    static func isValid(_ pattern: String) -> Bool {
        let name = pattern.hasSuffix("*") ? pattern.dropLast() : Substring(pattern)
        return name.isEmpty ? pattern == "*" : Interpolator.isValidName(name)
    }

    /// The patterns, comma-separated, for messages.
    public var description: String { patterns.isEmpty ? "no variables" : patterns.joined(separator: ", ") }
}
