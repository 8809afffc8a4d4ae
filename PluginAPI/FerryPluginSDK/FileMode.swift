import FerryJSON
import Glibc

/// The permission bits a destination gives the files it creates (`file_mode`
/// in a connection's config), applied exactly, whatever the process's umask.
///
/// Files that hold copied records are as sensitive as the source they came
/// from, so the default is 0600 (owner only), like the state database. A file
/// that already exists keeps its mode: changing it is the administrator's call.
public struct FileMode: Sendable, Equatable {
    /// The permission bits, 0 through 0o777.
    public var bits: mode_t

    /// Owner read and write only: the default for files holding records.
    public static let ownerOnly = FileMode(bits: 0o600)

    /// Creates a mode from permission bits.
    ///
    /// - Parameter bits: 0 through 0o777.
    public init(bits: mode_t) {
        self.bits = bits & 0o777
    }

    /// Reads a `file_mode` config value: an octal string such as `"0640"` or `"640"`,
    /// or an unquoted number whose digits are octal (`640`).
    ///
    /// - Parameters:
    ///   - value: the config value.
    ///   - key: the key, for the message.
    /// - Throws: `PluginError.invalid` saying what is allowed.
    public init(config value: JSONValue, key: String = "file_mode") throws {
        let digits: String
        if let text = value.stringValue {
            digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        } else if let number = value.intValue {
            digits = String(number)
        } else {
            digits = ""
        }
        guard (1...4).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x37).contains($0) }),
            let bits = mode_t(digits, radix: 8), bits <= 0o777
        else {
            throw PluginError.invalid(
                "config.\(key) must be an octal mode between \"0000\" and \"0777\" such as \"0600\" (quote it)")
        }
        self.init(bits: bits)
    }

    /// `"0600"`, for messages and docs.
    public var text: String {
        let octal = String(bits, radix: 8)
        return String(repeating: "0", count: max(0, 4 - octal.count)) + octal
    }

    /// Creates the file at `path` with this mode when it does not exist yet.
    ///
    /// - Parameter path: the file.
    /// - Returns: whether this call created it.
    /// - Throws: `PluginError.invalid` when it can neither be created nor found.
    @discardableResult
    public func createFileIfMissing(atPath path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, bits)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw PluginError.invalid("cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // open() applied the umask; the setting is meant exactly.
        guard fchmod(fd, bits) == 0 else {
            throw PluginError.invalid("cannot set mode \(text) on '\(path)': \(String(cString: strerror(errno)))")
        }
        return true
    }
}
