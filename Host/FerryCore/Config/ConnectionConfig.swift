import FerryJSON

/// One named connection: a plugin and the configuration object handed to it.
public struct ConnectionConfig: Sendable, Equatable {
    /// The connection's name, its key under `connections:`.
    public var name: String
    /// The plugin that serves this connection (for example `file` or `sqlite`).
    public var plugin: String
    /// The free-form object given to the plugin as JSON, after interpolation (empty when absent).
    public var config: JSONObject
    /// The rate-budget name shared by every connection that uses the same account, if any.
    public var budget: String?
    /// How the host's HTTP service talks to this connection's API (`http:`), if configured.
    public var http: HTTPConnectionConfig?
    /// Where the plugin's code runs for this connection (`isolation:`): in the host, or in a child process.
    public var isolation: PluginIsolation
    /// Where the connection is defined.
    public var location: SourceLocation
    /// Where each key and list item of `config` is written, by its path below `config`
    /// (`count`, `streams[0].path`; `""` is `config:` itself), for errors found by the plugin's schema.
    public var configLocations: [String: SourceLocation] = [:]

    /// Creates a connection.
    ///
    /// - Parameters:
    ///   - name: The connection's name.
    ///   - plugin: The plugin name.
    ///   - config: The object handed to the plugin.
    ///   - budget: The rate-budget name, if any.
    ///   - http: The HTTP service settings, if any.
    ///   - isolation: Where the plugin's code runs (default: in the host process).
    ///   - location: Where it is defined.
    public init(
        name: String, plugin: String, config: JSONObject = JSONObject(), budget: String? = nil,
        http: HTTPConnectionConfig? = nil, isolation: PluginIsolation = .inProcess, location: SourceLocation = .unknown
    ) {
        self.name = name
        self.plugin = plugin
        self.config = config
        self.budget = budget
        self.http = http
        self.isolation = isolation
        self.location = location
    }

    /// This connection with `overrides` deep-merged into its config object.
    ///
    /// Objects merge key by key, recursively; any other value (string, number, list, null)
    /// in `overrides` replaces the original. New keys are appended in the override's order.
    ///
    /// - Parameter overrides: A site's override object for this connection.
    /// - Returns: The merged connection.
    public func applying(_ overrides: JSONObject) -> ConnectionConfig {
        var copy = self
        copy.config = Self.deepMerge(config, overrides)
        return copy
    }

    static func deepMerge(_ base: JSONObject, _ overrides: JSONObject) -> JSONObject {
        var result = base
        for (key, value) in overrides {
            if case .object(let overrideObject) = value, case .object(let baseObject)? = result[key] {
                result[key] = .object(deepMerge(baseObject, overrideObject))
            } else {
                result[key] = value
            }
        }
        return result
    }
}
