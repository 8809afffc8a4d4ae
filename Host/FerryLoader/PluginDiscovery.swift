/// What `PluginRegistry.discover(searchPath:only:)` found: the usable plugins,
/// the valid plugins not selected, and one error per file that failed.
public struct PluginDiscovery: Sendable {
    /// Initialised plugins, in search order, one per name.
    public var plugins: [LoadedPlugin] = []
    /// Valid descriptors of plugins the selection did not ask for (not initialised).
    public var unselected: [PluginProbe] = []
    /// One error per refused folder or file, in search order.
    public var errors: [PluginLoadError] = []
    /// Selected names that no valid plugin file provides, sorted.
    public var missing: [String] = []

    /// Creates an empty result.
    public init() {}

    /// The loaded plugin named `name`, if any.
    ///
    /// - Parameter name: a plugin name.
    public func plugin(named name: String) -> LoadedPlugin? {
        plugins.first { $0.name == name }
    }
}
