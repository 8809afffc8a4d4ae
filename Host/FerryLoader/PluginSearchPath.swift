import Foundation

/// The ordered list of folders the host looks in for plugin libraries.
///
/// In order: the folders the configuration names, the colon-separated
/// `FERRY_PLUGIN_PATH`, a `plugins/` folder beside the configuration file,
/// then the install prefix: the running executable's own folder (where
/// `swift build` leaves `libferry-*.so`) and `<exe dir>/../lib/ferry/plugins`.
/// An earlier folder wins when two files claim the same plugin name.
public struct PluginSearchPath: Hashable, Sendable {
    /// One folder of the search path.
    public struct Folder: Hashable, Sendable {
        /// Which files of a folder count as plugins.
        public enum Kind: Hashable, Sendable {
            /// A real plugin folder: every `*.so`.
            case plugins
            /// The executable's own folder, which holds other things: only `libferry-*.so`.
            case executable
        }

        /// The folder's absolute, standardised path.
        public var path: String
        /// Which files count.
        public var kind: Kind

        /// Creates a folder entry.
        ///
        /// - Parameters:
        ///   - path: the folder.
        ///   - kind: which files count (default: every `*.so`).
        public init(path: String, kind: Kind = .plugins) {
            self.path = path
            self.kind = kind
        }

        /// Whether a file of this folder named `fileName` is a plugin candidate.
        ///
        /// - Parameter fileName: the file's last path component.
        public func accepts(fileName: String) -> Bool {
            guard fileName.hasSuffix(".so"), !fileName.hasPrefix(".") else { return false }
            switch kind {
            case .plugins: return true
            case .executable: return fileName.hasPrefix("libferry-")
            }
        }
    }

    /// The folders, in search order, without duplicates.
    public private(set) var entries: [Folder]

    /// The folders' paths, in search order.
    public var folders: [String] { entries.map(\.path) }

    /// Creates a search path from explicit entries (duplicates removed).
    ///
    /// - Parameter entries: the folders in search order.
    public init(entries: [Folder]) {
        var seen = Set<String>()
        self.entries = entries.filter { seen.insert($0.path).inserted }
    }

    /// Creates a search path of plain plugin folders, where every `*.so` counts.
    ///
    /// - Parameter folders: the folders in search order.
    public init(folders: [String]) {
        self.init(entries: folders.map { Folder(path: $0) })
    }

    /// Creates the standard search path.
    ///
    /// - Parameters:
    ///   - configFolders: folders from the configuration; relative ones are
    ///     resolved against the configuration file's folder (or the current directory).
    ///   - configFile: the configuration file, whose sibling `plugins/` is searched.
    ///   - environment: where `FERRY_PLUGIN_PATH` is read from.
    ///   - executablePath: the running executable, for the install prefix; nil leaves it out.
    public init(
        configFolders: [String] = [],
        configFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = PluginSearchPath.currentExecutablePath
    ) {
        let base =
            configFile.map { Self.absolute($0).deletingLastPathComponent }
            ?? FileManager.default.currentDirectoryPath
        var folders = configFolders.map { Folder(path: Self.absolute($0, relativeTo: base)) }
        let fromEnvironment = (environment["FERRY_PLUGIN_PATH"] ?? "").split(separator: ":")
        folders += fromEnvironment.map { Folder(path: Self.absolute(String($0))) }
        if let configFile {
            folders.append(Folder(path: Self.absolute(configFile).deletingLastPathComponent.appendingPath("plugins")))
        }
        if let executablePath {
            let exeDir = Self.absolute(executablePath).deletingLastPathComponent
            folders.append(Folder(path: exeDir, kind: .executable))
            folders.append(Folder(path: Self.absolute(exeDir.appendingPath("../lib/ferry/plugins"))))
        }
        self.init(entries: folders)
    }

    /// The path of the running executable (`/proc/self/exe`), or nil.
    public static var currentExecutablePath: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    /// The folders that exist, in order, with duplicates (after resolving
    /// symbolic links) removed. Missing folders are skipped silently.
    public func existingFolders() -> [Folder] {
        var seen = Set<String>()
        var result: [Folder] = []
        for folder in entries {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else { continue }
            let resolved = URL(fileURLWithPath: folder.path).resolvingSymlinksInPath().path
            if seen.insert(resolved).inserted { result.append(folder) }
        }
        return result
    }

    private static func absolute(_ path: String, relativeTo base: String? = nil) -> String {
        let root = base ?? FileManager.default.currentDirectoryPath
        let joined = path.hasPrefix("/") ? path : root.appendingPath(path)
        return (joined as NSString).standardizingPath
    }
}

extension String {
    fileprivate var deletingLastPathComponent: String { (self as NSString).deletingLastPathComponent }
    fileprivate func appendingPath(_ component: String) -> String {
        (self as NSString).appendingPathComponent(component)
    }
}
