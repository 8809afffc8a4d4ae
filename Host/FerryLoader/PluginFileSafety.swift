#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The ownership and permission rules for plugin folders and files.
///
/// Loading a library runs its code with the host's rights, so a folder or file
/// that another user could write to is refused: anything world-writable
/// (sticky bit or not), and anything owned by a user other than the current
/// effective user or root.
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
        let what = isFolder ? "refusing plugin folder" : "refusing plugin file"
        let consequence = isFolder ? "; none of its plugins are loaded" : ""
        if info.st_mode & S_IWOTH != 0 {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            throw PluginLoadError(
                path: path, kind: .unsafeLocation,
                problem: "\(what): it is world-writable (mode \(mode)), so any user could plant code\(consequence)",
                hint: "chmod o-w \(path)")
        }
        let me = geteuid()
        if info.st_uid != me && info.st_uid != 0 {
            throw PluginLoadError(
                path: path, kind: .unsafeLocation,
                problem: "\(what): it is owned by \(userName(info.st_uid)), not by \(me == 0 ? "root" : userName(me) + " or root")\(consequence)",
                hint: "chown it to yourself or root, or move the plugins elsewhere")
        }
    }

    private static func userName(_ uid: uid_t) -> String {
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            return "\(String(cString: name)) (uid \(uid))"
        }
        return "uid \(uid)"
    }
}
