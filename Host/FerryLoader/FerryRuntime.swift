/// Facts about the runtime this module was compiled with, shared by the host and
/// the plugin SDK so that both describe a Swift runtime with the same words.
public enum FerryRuntime {
    /// The descriptor `runtime` of a Swift plugin that shares the host's Swift runtime,
    /// e.g. `"swift-6.3.1"`.
    ///
    /// Linux Swift has no stable ABI, so a plugin built by another toolchain must not
    /// share this process's runtime: the loader refuses a `swift-X.Y.Z` runtime that
    /// differs from this tag. It is computed at compile time by one chain of
    /// `#if compiler(>=…)` checks; `FerryPluginSDK` carries an exact copy of this
    /// chain. A toolchain newer than the chain stops the build on purpose: extend
    /// both copies, never guess.
#if compiler(>=6.4)
    #error("FerryRuntime.swiftRuntimeTag does not know this Swift version: add it to the chain (and to the SDK's copy).")
    public static let swiftRuntimeTag = "swift-unknown"
#elseif compiler(>=6.3.9)
    public static let swiftRuntimeTag = "swift-6.3.9"
#elseif compiler(>=6.3.8)
    public static let swiftRuntimeTag = "swift-6.3.8"
#elseif compiler(>=6.3.7)
    public static let swiftRuntimeTag = "swift-6.3.7"
#elseif compiler(>=6.3.6)
    public static let swiftRuntimeTag = "swift-6.3.6"
#elseif compiler(>=6.3.5)
    public static let swiftRuntimeTag = "swift-6.3.5"
#elseif compiler(>=6.3.4)
    public static let swiftRuntimeTag = "swift-6.3.4"
#elseif compiler(>=6.3.3)
    public static let swiftRuntimeTag = "swift-6.3.3"
#elseif compiler(>=6.3.2)
    public static let swiftRuntimeTag = "swift-6.3.2"
#elseif compiler(>=6.3.1)
    public static let swiftRuntimeTag = "swift-6.3.1"
#elseif compiler(>=6.3.0)
    public static let swiftRuntimeTag = "swift-6.3.0"
#elseif compiler(>=6.2.4)
    public static let swiftRuntimeTag = "swift-6.2.4"
#elseif compiler(>=6.2.3)
    public static let swiftRuntimeTag = "swift-6.2.3"
#elseif compiler(>=6.2.2)
    public static let swiftRuntimeTag = "swift-6.2.2"
#elseif compiler(>=6.2.1)
    public static let swiftRuntimeTag = "swift-6.2.1"
#elseif compiler(>=6.2.0)
    public static let swiftRuntimeTag = "swift-6.2.0"
#elseif compiler(>=6.1.3)
    public static let swiftRuntimeTag = "swift-6.1.3"
#elseif compiler(>=6.1.2)
    public static let swiftRuntimeTag = "swift-6.1.2"
#elseif compiler(>=6.1.1)
    public static let swiftRuntimeTag = "swift-6.1.1"
#elseif compiler(>=6.1.0)
    public static let swiftRuntimeTag = "swift-6.1.0"
#elseif compiler(>=6.0.3)
    public static let swiftRuntimeTag = "swift-6.0.3"
#elseif compiler(>=6.0.2)
    public static let swiftRuntimeTag = "swift-6.0.2"
#elseif compiler(>=6.0.1)
    public static let swiftRuntimeTag = "swift-6.0.1"
#elseif compiler(>=6.0.0)
    public static let swiftRuntimeTag = "swift-6.0.0"
#else
    #error("FerryRuntime.swiftRuntimeTag: Ferry needs Swift 6.0 or later.")
    public static let swiftRuntimeTag = "swift-unknown"
#endif
}
