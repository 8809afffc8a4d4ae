import CFerryPlugin

/// A plugin whose descriptor was validated and whose `init` returned a valid
/// table: ready for the engine, which wraps `api`'s slots.
///
/// `@unchecked Sendable`: the table stays valid and unchanged for the life of
/// the process (libraries are never unloaded), and the ABI makes each slot
/// callable from any thread under its own threading rules.
public struct LoadedPlugin: @unchecked Sendable {
    /// The library file, as found in the search path.
    public let path: String
    /// The unique plugin name.
    public let name: String
    /// The plugin's own version.
    public let version: String
    /// The ABI major (always 1).
    public let abiMajor: UInt32
    /// The negotiated ABI minor: the smaller of the host's and the plugin's.
    public let abiMinor: UInt32
    /// `"c"`, `"swift-6.3.1"` or another runtime tag.
    public let runtime: String
    /// The declared roles; the matching slots are present in `api`.
    public let capabilities: PluginCapabilities
    /// The descriptor's one-line `description`.
    public let summary: String
    /// The plugin table, valid for the life of the process.
    public let api: UnsafePointer<ferry_plugin_api>

    /// Creates a loaded plugin from a probe and the table its `init` returned.
    ///
    /// - Parameters:
    ///   - probe: the validated descriptor.
    ///   - abiMinor: the negotiated minor.
    ///   - api: the validated table.
    public init(probe: PluginProbe, abiMinor: UInt32, api: UnsafePointer<ferry_plugin_api>) {
        path = probe.path
        name = probe.descriptor.name
        version = probe.descriptor.version
        abiMajor = probe.descriptor.abiMajor
        self.abiMinor = abiMinor
        runtime = probe.descriptor.runtime
        capabilities = probe.descriptor.capabilities
        summary = probe.descriptor.summary
        self.api = api
    }
}
