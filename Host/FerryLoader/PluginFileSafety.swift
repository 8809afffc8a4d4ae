#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The ownership and permission rules for plugin folders and files.
///
/// Loading a library runs its code with the host's rights, so a folder or file
/// that another user could write to is refused: anything world-writable
/// (sticky bit or not), anything group-writable unless the group is root's
/// (as sshd's `StrictModes` treats key files), and anything owned by a user
/// other than the current effective user or root. The folders *above* a
/// plugin's resolved path follow the same rules, except that a root-owned
/// sticky folder such as `/tmp` is accepted: there, no other user can rename
/// or replace an entry we own.
enum PluginFileSafety {
    /// Throws `.unsafeLocation` when `path` fails the rules.
    ///
    /// - Parameters:
    ///   - path: a folder or file (symbolic links are followed).
    ///   - isFolder: words the message for a folder, whose plugins are all skipped.
    static func check(_ path: String, isFolder: Bool) throws(PluginLoadError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PluginLoadError(
                path: path, kind: .unreadable,
                problem: "cannot stat: \(String(cString: strerror(errno)))")
        }
        try check(info, path: path, role: isFolder ? .pluginFolder : .pluginFile)
    }

    /// What a checked path is to the plugin, which words the message and sets the sticky-bit rule.
    enum Role {
        /// A folder on the search path: all of its plugins are skipped when it fails.
        case pluginFolder
        /// The plugin file itself.
        case pluginFile
        /// A folder above a plugin file's resolved path `canonical` (the file's own folder
        /// included); errors name the plugin by the path it was asked for by.
        case ancestor(plugin: String, canonical: String)
    }

    /// Throws `.unsafeLocation` when the file or folder described by `info` fails the rules.
    ///
    /// - Parameters:
    ///   - info: what `stat`/`fstat` said about it.
    ///   - path: its path, for the message.
    ///   - role: what it is to the plugin.
    static func check(_ info: stat, path: String, role: Role) throws(PluginLoadError) {
        let what: String
        let consequence: String
        var stickyAllowed = false
        switch role {
        case .pluginFolder:
            (what, consequence) = ("refusing plugin folder", "; none of its plugins are loaded")
        case .pluginFile:
            (what, consequence) = ("refusing plugin file", "")
        case .ancestor(_, let canonical):
            (what, consequence) = ("refusing plugin file", "")
            // The plugin's own folder must be closed; higher up, a root-owned sticky folder protects our entry.
            let ownFolder = canonical.lastIndex(of: "/").map { String(canonical[..<$0]) }
            stickyAllowed = path != ownFolder && !(path == "/" && ownFolder == "")
        }
        let where_ = role.isAncestor ? ": the folder \(path) on its resolved path" : ""
        let mode = String(info.st_mode & 0o7777, radix: 8)
        let sticky = info.st_mode & S_ISVTX != 0 && info.st_uid == 0
        if info.st_mode & S_IWOTH != 0 && !(stickyAllowed && sticky) {
            throw PluginLoadError(
                path: role.subject(path), kind: .unsafeLocation,
                problem:
                    "\(what)\(where_): it is world-writable (mode \(mode)), so any user could plant code\(consequence)",
                hint: "chmod o-w \(path)")
        }
        if info.st_mode & S_IWGRP != 0 && info.st_gid != 0 && !(stickyAllowed && sticky) {
            throw PluginLoadError(
                path: role.subject(path), kind: .unsafeLocation,
                problem:
                    "\(what)\(where_): it is writable by group \(groupName(info.st_gid)) (mode \(mode)), so its members could plant code\(consequence)",
                hint: "chmod g-w \(path), or give it to group root")
        }
        let me = geteuid()
        if info.st_uid != me && info.st_uid != 0 {
            throw PluginLoadError(
                path: role.subject(path), kind: .unsafeLocation,
                problem:
                    "\(what)\(where_): it is owned by \(userName(info.st_uid)), not by \(me == 0 ? "root" : userName(me) + " or root")\(consequence)",
                hint: "chown it to yourself or root, or move the plugins elsewhere")
        }
    }

    /// Checks every folder from `/` down to the one holding `canonicalPath` (a `realpath` result).
    ///
    /// Once none of them can be changed by another user, the resolved path names the same
    /// file until a trusted user changes it, however the symbolic links leading to it move.
    ///
    /// - Parameters:
    ///   - canonicalPath: the plugin file's resolved, absolute path.
    ///   - plugin: the path the plugin was asked for by, which errors name.
    static func checkAncestors(of canonicalPath: String, plugin: String) throws(PluginLoadError) {
        var folder = canonicalPath
        while let slash = folder.lastIndex(of: "/") {
            folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
            var info = stat()
            guard lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw PluginLoadError(
                    path: plugin, kind: .unsafeLocation,
                    problem: "refusing plugin: \(folder) on its resolved path \(canonicalPath) is no longer a folder",
                    hint: "something is changing the plugin's folders; check who can write to them")
            }
            try check(info, path: folder, role: .ancestor(plugin: plugin, canonical: canonicalPath))
            if folder == "/" { return }
        }
    }

    private static func userName(_ uid: uid_t) -> String {
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            return "\(String(cString: name)) (uid \(uid))"
        }
        return "uid \(uid)"
    }

    private static func groupName(_ gid: gid_t) -> String {
        if let entry = getgrgid(gid), let name = entry.pointee.gr_name {
            return "\(String(cString: name)) (gid \(gid))"
        }
        return "gid \(gid)"
    }
}

extension PluginFileSafety.Role {
    fileprivate var isAncestor: Bool {
        if case .ancestor = self { return true }
        return false
    }

    /// The path an error names: the plugin for an ancestor folder, else the checked path.
    fileprivate func subject(_ path: String) -> String {
        if case .ancestor(let plugin, _) = self { return plugin }
        return path
    }
}
