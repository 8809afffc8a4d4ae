/// The Swift runtime a plugin was compiled for, e.g. `swift-6.3.1`.
///
/// Linux Swift has no stable ABI: a Swift plugin that shares the host's runtime
/// libraries must come from the same toolchain release. The SDK puts this tag in
/// every Swift plugin's descriptor, and the host's loader, which imports this same
/// module, refuses a tag that differs from its own. It is computed at compile
/// time; a toolchain newer than the chain stops the build on purpose: extend the
/// chain, never guess.
public enum SwiftRuntime {
    #if compiler(>=6.4)
        #error("SwiftRuntime.tag does not know this Swift version: add it to the chain.")
        public static let tag = "swift-unknown"
    #elseif compiler(>=6.3.9)
        public static let tag = "swift-6.3.9"
    #elseif compiler(>=6.3.8)
        public static let tag = "swift-6.3.8"
    #elseif compiler(>=6.3.7)
        public static let tag = "swift-6.3.7"
    #elseif compiler(>=6.3.6)
        public static let tag = "swift-6.3.6"
    #elseif compiler(>=6.3.5)
        public static let tag = "swift-6.3.5"
    #elseif compiler(>=6.3.4)
        public static let tag = "swift-6.3.4"
    #elseif compiler(>=6.3.3)
        public static let tag = "swift-6.3.3"
    #elseif compiler(>=6.3.2)
        public static let tag = "swift-6.3.2"
    #elseif compiler(>=6.3.1)
        public static let tag = "swift-6.3.1"
    #elseif compiler(>=6.3.0)
        public static let tag = "swift-6.3.0"
    #elseif compiler(>=6.2.4)
        public static let tag = "swift-6.2.4"
    #elseif compiler(>=6.2.3)
        public static let tag = "swift-6.2.3"
    #elseif compiler(>=6.2.2)
        public static let tag = "swift-6.2.2"
    #elseif compiler(>=6.2.1)
        public static let tag = "swift-6.2.1"
    #elseif compiler(>=6.2.0)
        public static let tag = "swift-6.2.0"
    #elseif compiler(>=6.1.3)
        public static let tag = "swift-6.1.3"
    #elseif compiler(>=6.1.2)
        public static let tag = "swift-6.1.2"
    #elseif compiler(>=6.1.1)
        public static let tag = "swift-6.1.1"
    #elseif compiler(>=6.1.0)
        public static let tag = "swift-6.1.0"
    #elseif compiler(>=6.0.3)
        public static let tag = "swift-6.0.3"
    #elseif compiler(>=6.0.2)
        public static let tag = "swift-6.0.2"
    #elseif compiler(>=6.0.1)
        public static let tag = "swift-6.0.1"
    #elseif compiler(>=6.0.0)
        public static let tag = "swift-6.0.0"
    #else
        #error("SwiftRuntime.tag: Ferry needs Swift 6.0 or later.")
        public static let tag = "swift-unknown"
    #endif
}
