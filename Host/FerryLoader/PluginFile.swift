#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A plugin file opened once, checked through its open descriptor, and loaded
/// through that same descriptor, so that what was checked is what runs.
///
/// Checking a path with `stat` and then `dlopen`ing the path left a window in
/// which another user could swap the file (or the target of a symbolic link to
/// it) between the check and the load: root lost that race 55 times in 300.
/// Now the path is resolved, every folder on the resolved path must pass
/// `PluginFileSafety` (so no other user can change what it names), the file is
/// opened with `O_NOFOLLOW`, the *descriptor* is checked with `fstat`, and
/// `dlopen` opens `/proc/self/fd/N`, the very inode checked.
struct PluginFile {
    /// The open file; kept open for the life of the process once loaded (see `loadPath`).
    let descriptor: Int32
    /// The path the plugin was asked for by (errors name it).
    let path: String
    /// The resolved path.
    let canonicalPath: String
    /// `device:inode` of the open file: the library cache's key.
    let identity: String

    /// What `dlopen` is given.
    ///
    /// glibc remembers a library by the name it was opened with, and would hand
    /// an old library back for a new file opened under a reused name: so the
    /// descriptor of a loaded plugin is never closed and its number never reused,
    /// just as the library itself is never `dlclose`d. (A plugin's `$ORIGIN` rpath
    /// therefore resolves to `/proc/self/fd`: its own dependencies must be found
    /// through an absolute rpath or the system's library path.)
    var loadPath: String { "/proc/self/fd/\(descriptor)" }

    /// Resolves, checks and opens the plugin at `path`.
    ///
    /// - Parameter path: the plugin file, possibly through symbolic links.
    /// - Throws: `.unreadable` or `.unsafeLocation`, naming `path`.
    static func open(_ path: String) throws(PluginLoadError) -> PluginFile {
        guard let resolved = realpath(path, nil) else {
            throw PluginLoadError(
                path: path, kind: .unreadable, problem: "cannot resolve: \(String(cString: strerror(errno)))")
        }
        let canonical = String(cString: resolved)
        free(resolved)
        try PluginFileSafety.checkAncestors(of: canonical, plugin: path)
        let descriptor = Glibc.open(canonical, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw PluginLoadError(
                path: path, kind: .unreadable, problem: "cannot open \(canonical): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw PluginLoadError(
                path: path, kind: .unreadable, problem: "not a regular file",
                hint: "a plugin is a shared library file")
        }
        do {
            try PluginFileSafety.check(info, path: path, role: .pluginFile)
        } catch {
            close(descriptor)
            throw error
        }
        return PluginFile(
            descriptor: descriptor, path: path, canonicalPath: canonical, identity: "\(info.st_dev):\(info.st_ino)")
    }

    /// Closes the descriptor of a file that was not loaded.
    func discard() {
        close(descriptor)
    }
}
