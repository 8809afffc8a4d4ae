import CFerryPlugin

/// A plugin library that was opened and whose descriptor passed validation,
/// but whose `init` has not been called.
///
/// `@unchecked Sendable`: the descriptor is static data in a library that is
/// never unloaded, and the host only reads it.
public struct PluginProbe: @unchecked Sendable {
    /// The library file, as found in the search path.
    public let path: String
    /// The descriptor's facts.
    public let descriptor: PluginDescriptor
    /// The raw descriptor, valid for the life of the process.
    public let rawDescriptor: UnsafePointer<ferry_plugin_descriptor>

    /// Creates a probe result.
    ///
    /// - Parameters:
    ///   - path: the library file.
    ///   - descriptor: the validated facts.
    ///   - rawDescriptor: the descriptor the entry point returned.
    public init(path: String, descriptor: PluginDescriptor, rawDescriptor: UnsafePointer<ferry_plugin_descriptor>) {
        self.path = path
        self.descriptor = descriptor
        self.rawDescriptor = rawDescriptor
    }
}
