/// Where a connection's plugin code runs (the connection key `isolation:`).
public enum PluginIsolation: String, Sendable, Equatable, CaseIterable {
    /// In the `ferry` process itself: the fastest, but a crash in the plugin ends the host.
    case inProcess = "in_process"
    /// In a child `ferry plugin-host` process per connection: a crash there fails only the
    /// pipeline that used the connection (docs/security.md).
    case process
}
