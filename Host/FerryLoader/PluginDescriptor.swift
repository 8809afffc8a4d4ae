/// The static facts a plugin's descriptor states, as Swift values.
///
/// Read by `PluginLoader.probe(path:)` without calling `init`: listing
/// plugins never runs their code beyond the side-effect-free entry point.
public struct PluginDescriptor: Hashable, Sendable {
    /// The unique plugin name, `[a-z0-9_-]+`.
    public var name: String
    /// The plugin's own version, e.g. `"1.2.0"`.
    public var version: String
    /// The ABI major the plugin was built against (always 1 here).
    public var abiMajor: UInt32
    /// The highest ABI minor the plugin implements.
    public var abiMinor: UInt32
    /// `"c"`, `"swift-6.3.1"`, or another runtime name.
    public var runtime: String
    /// The roles the plugin declares.
    public var capabilities: PluginCapabilities
    /// The descriptor's one-line `description` (may be empty).
    public var summary: String

    /// Creates a descriptor value.
    ///
    /// - Parameters:
    ///   - name: the plugin name.
    ///   - version: the plugin version.
    ///   - abiMajor: the ABI major.
    ///   - abiMinor: the highest ABI minor implemented.
    ///   - runtime: the runtime tag.
    ///   - capabilities: the declared roles.
    ///   - summary: one line about the plugin.
    public init(
        name: String, version: String, abiMajor: UInt32, abiMinor: UInt32,
        runtime: String, capabilities: PluginCapabilities, summary: String
    ) {
        self.name = name
        self.version = version
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.runtime = runtime
        self.capabilities = capabilities
        self.summary = summary
    }
}
