/// One way a connection's `config` breaks its plugin's schema, found by ``ConfigSchemaValidator``.
public struct ConfigSchemaProblem: Sendable, Equatable, CustomStringConvertible {
    /// The offending value's path below `config` (`count`, `streams[0].path`); empty for `config` itself.
    public var path: String
    /// What kind of mistake it is.
    public var kind: ConfigError.Kind
    /// The explanation, without location or key path; never a secret's value.
    public var message: String

    /// Creates a problem.
    /// - Parameters:
    ///   - path: The value's path below `config`.
    ///   - kind: What kind of mistake it is.
    ///   - message: The explanation.
    public init(path: String, kind: ConfigError.Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    /// `path: message`.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// The problem as a config error of `connection`, at the line the value is written on.
    /// - Parameter connection: The connection whose `config` has the problem.
    /// - Returns: An error reading `ferry.yaml:7:5: connections.NAME.config.count: expected …`.
    public func error(in connection: ConnectionConfig) -> ConfigError {
        var location = connection.configLocations[path]
        // A missing key or a site override has no line of its own: the nearest written parent has.
        var parent = path
        while location == nil, !parent.isEmpty {
            parent = Self.parent(of: parent)
            location = connection.configLocations[parent]
        }
        let keyPath =
            "connections.\(connection.name).config" + (path.isEmpty ? "" : path.hasPrefix("[") ? path : "." + path)
        return ConfigError(kind, at: location ?? connection.location, keyPath: keyPath, message: message)
    }

    /// `streams[0].path` → `streams[0]` → `streams` → "".
    static func parent(of path: String) -> String {
        if path.hasSuffix("]"), let open = path.lastIndex(of: "[") { return String(path[..<open]) }
        if let dot = path.lastIndex(of: ".") { return String(path[..<dot]) }
        return ""
    }
}
