import Glibc

/// File helpers destinations share. The SDK avoids Foundation so that plugins
/// stay small; these are the few calls connectors kept writing by hand.
public enum FileSystem {
    /// Creates the folders above `path` that do not exist yet (`mkdir -p` of its parent).
    /// - Throws: `PluginError.invalid` naming the folder that could not be made.
    public static func createParentFolders(of path: String) throws {
        var parent = path
        while parent.hasSuffix("/") { parent.removeLast() }
        guard let slash = parent.lastIndex(of: "/") else { return }
        parent = String(parent[..<slash])
        guard !parent.isEmpty else { return }
        var current = parent.hasPrefix("/") ? "" : "."
        for component in parent.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw PluginError.invalid("cannot create folder '\(current)': \(String(cString: strerror(errno)))")
            }
        }
    }
}
