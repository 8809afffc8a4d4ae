/// Why one plugin file (or folder) was not loaded.
///
/// The `description` is one line that names the file and the problem and ends
/// with a hint, e.g.
/// `/x/libfoo.so: not a Ferry plugin: no symbol 'ferry_plugin_v1' (was it built with FERRY_EXPORT / a public @c entry?)`.
/// Discovery collects these per file and never stops at one.
public struct PluginLoadError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The plugin file or folder concerned.
    public let path: String
    /// What kind of failure this is, for code that reacts to it.
    public let kind: Kind
    /// What is wrong, without the path or hint.
    public let problem: String
    /// What to do about it, if anything useful can be said.
    public let hint: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - path: the file or folder concerned.
    ///   - kind: the failure class.
    ///   - problem: what is wrong (one line, no path).
    ///   - hint: what to do about it.
    public init(path: String, kind: Kind, problem: String, hint: String? = nil) {
        self.path = path
        self.kind = kind
        self.problem = PluginLoadError.oneLine(problem)
        self.hint = hint.map(PluginLoadError.oneLine)
    }

    /// `<path>: <problem> (<hint>)`, on one line.
    public var description: String {
        var line = "\(path): \(problem)"
        if let hint { line += " (\(hint))" }
        return line
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension PluginLoadError {
    /// The class of a load failure. Extensible: new kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Internal: String, Hashable, Sendable {
            case unsafeLocation = "unsafe location"
            case unreadable
            case notELF = "not ELF"
            case wrongArchitecture = "wrong architecture"
            case notSharedLibrary = "not a shared library"
            case missingDependency = "missing dependency"
            case unresolvedSymbol = "unresolved symbol"
            case loadFailed = "load failed"
            case noEntrySymbol = "no entry symbol"
            case invalidDescriptor = "invalid descriptor"
            case incompatibleABI = "incompatible ABI"
            case runtimeMismatch = "runtime mismatch"
            case initFailed = "init failed"
            case invalidTable = "invalid table"
            case duplicateName = "duplicate name"
        }

        private let value: Internal

        private init(_ value: Internal) {
            self.value = value
        }

        /// The folder or file is writable by others or owned by another user.
        public static let unsafeLocation = Kind(.unsafeLocation)
        /// The file cannot be read or resolved.
        public static let unreadable = Kind(.unreadable)
        /// The file is not an ELF object (a text file, an archive, a download error page).
        public static let notELF = Kind(.notELF)
        /// An ELF object for another machine or word size.
        public static let wrongArchitecture = Kind(.wrongArchitecture)
        /// An ELF executable or object file rather than a shared library.
        public static let notSharedLibrary = Kind(.notSharedLibrary)
        /// `dlopen` could not find a library the plugin links against.
        public static let missingDependency = Kind(.missingDependency)
        /// `dlopen` could not resolve a symbol the plugin needs.
        public static let unresolvedSymbol = Kind(.unresolvedSymbol)
        /// `dlopen` failed for another reason (its message is kept).
        public static let loadFailed = Kind(.loadFailed)
        /// The library does not export `ferry_plugin_v1`.
        public static let noEntrySymbol = Kind(.noEntrySymbol)
        /// The descriptor is NULL, too small, or has an invalid field.
        public static let invalidDescriptor = Kind(.invalidDescriptor)
        /// The ABI major differs, or the minor is below the loader's floor.
        public static let incompatibleABI = Kind(.incompatibleABI)
        /// A Swift plugin built by another Swift toolchain than the host's.
        public static let runtimeMismatch = Kind(.runtimeMismatch)
        /// The plugin's `init` returned an error.
        public static let initFailed = Kind(.initFailed)
        /// The plugin table is NULL, has a bad size or minor, or lacks a required slot.
        public static let invalidTable = Kind(.invalidTable)
        /// Another file earlier in the search path has the same plugin name.
        public static let duplicateName = Kind(.duplicateName)

        /// The kind in words, e.g. `"wrong architecture"`.
        public var description: String { value.rawValue }
    }
}
