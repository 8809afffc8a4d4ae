import Foundation

/// Finds, checks and loads the plugins of a search path.
///
/// One bad file never stops the others: every failure becomes an entry in
/// `PluginDiscovery.errors` and discovery goes on. Libraries are opened once
/// per process (see `PluginLoader`), so discovering again is cheap.
public enum PluginRegistry {
    /// Discovers the plugins of `searchPath`.
    ///
    /// Every candidate file is probed (the descriptor is side-effect free) so
    /// that name conflicts are seen, but `init` runs only for the selected names.
    /// When two files claim one name, the first in search order wins and the
    /// second is reported with both paths.
    ///
    /// - Parameters:
    ///   - searchPath: the folders to look in.
    ///   - names: the plugins a site selects; nil loads all.
    ///   - loader: the loader to use (its `minimumMinor` is the ABI floor).
    /// - Returns: the loaded plugins, the unselected ones and per-file errors.
    public static func discover(
        searchPath: PluginSearchPath, only names: Set<String>? = nil, loader: PluginLoader = PluginLoader()
    ) -> PluginDiscovery {
        var result = PluginDiscovery()
        var seenFiles = Set<String>()
        var owners: [String: String] = [:]  // plugin name → the path that provides it
        for folder in searchPath.existingFolders() {
            do {
                try PluginFileSafety.check(folder.path, isFolder: true)
            } catch {
                result.errors.append(error)
                continue
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for fileName in entries.sorted() where folder.accepts(fileName: fileName) {
                let path = (folder.path as NSString).appendingPathComponent(fileName)
                let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                guard seenFiles.insert(resolved).inserted else { continue }
                let probe: PluginProbe
                do {
                    probe = try loader.probe(path: path)
                } catch {
                    result.errors.append(error)
                    continue
                }
                let name = probe.descriptor.name
                if let first = owners[name] {
                    result.errors.append(PluginLoadError(
                        path: path, kind: .duplicateName,
                        problem: "plugin name '\(name)' is already provided by \(first); this file is ignored",
                        hint: "remove one of the two files, or order the search path"))
                    continue
                }
                owners[name] = path
                guard names?.contains(name) ?? true else {
                    result.unselected.append(probe)
                    continue
                }
                do {
                    result.plugins.append(try loader.initialize(probe))
                } catch {
                    result.errors.append(error)
                }
            }
        }
        if let names {
            result.missing = names.filter { owners[$0] == nil }.sorted()
        }
        return result
    }
}
