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
    /// With a selection, only the files whose name says they hold a selected
    /// plugin (`libferry-<name>.so`, `lib<name>.so` or `<name>.so`) are opened
    /// at first: `dlopen` runs a library's constructors, so a command should open
    /// no more code than it uses. Other files are probed only when a selected
    /// name is still missing after that.
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
        var candidates: [String] = []
        var seenFiles = Set<String>()
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
                if seenFiles.insert(resolved).inserted { candidates.append(path) }
            }
        }
        var owners: [String: String] = [:] // plugin name → the path that provides it
        if let names {
            let (named, others) = candidates.partitioned { names.contains(pluginName(fromFileName: $0)) }
            visit(named, names: names, loader: loader, owners: &owners, into: &result)
            if names.contains(where: { owners[$0] == nil }) {
                visit(others, names: names, loader: loader, owners: &owners, into: &result)
            }
            result.missing = names.filter { owners[$0] == nil }.sorted()
        } else {
            visit(candidates, names: nil, loader: loader, owners: &owners, into: &result)
        }
        return result
    }

    /// The plugin name a file's name announces: `libferry-x.so`, `libx.so` and `x.so` all say `x`.
    ///
    /// - Parameter path: a candidate file.
    static func pluginName(fromFileName path: String) -> String {
        var name = Substring((path as NSString).lastPathComponent)
        if name.hasSuffix(".so") { name = name.dropLast(3) }
        for prefix in ["libferry-", "lib"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return String(name)
    }

    /// Probes `paths` in order, initialising the selected plugins.
    private static func visit(
        _ paths: [String], names: Set<String>?, loader: PluginLoader,
        owners: inout [String: String], into result: inout PluginDiscovery
    ) {
        for path in paths {
            let probe: PluginProbe
            do {
                probe = try loader.probe(path: path)
            } catch {
                result.errors.append(error)
                continue
            }
            let name = probe.descriptor.name
            if let first = owners[name] {
                result.errors.append(
                    PluginLoadError(
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
}

extension Array {
    /// The elements that satisfy `belongs`, then the others, each in order.
    fileprivate func partitioned(by belongs: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = [], no: [Element] = []
        for element in self {
            if belongs(element) { yes.append(element) } else { no.append(element) }
        }
        return (yes, no)
    }
}
