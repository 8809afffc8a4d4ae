#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a configuration (or `.env`) file, refusing with one plain line anything
/// that is not a readable text file of sensible size: a folder, a FIFO (which
/// would block), a device (`/dev/zero` never ends), a binary file.
///
/// Foundation's own words for these ("NSCocoaErrorDomain error 256", "You don't
/// have permission" said to root) name neither the problem nor the fix.
enum ConfigFile {
    /// The largest configuration accepted; real ones are a few kilobytes.
    static let sizeLimit = 4 * 1024 * 1024

    /// The text of the file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file, as the user gave it.
    ///   - what: "configuration file" or ".env file", for the message.
    /// - Throws: `ConfigError.unreadableFile` naming the file, the problem and the fix.
    static func read(_ path: String, what: String = "configuration file") throws -> String {
        func refuse(_ message: String) -> ConfigError {
            ConfigError(.unreadableFile, at: SourceLocation(file: path, line: 0, column: 0), message: message)
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: throw refuse("no such \(what); pass the right one with --config FILE or FERRY_CONFIG")
            case EACCES: throw refuse("permission denied reading the \(what); give the user running ferry read access")
            case EISDIR:
                throw refuse("is a folder, not a \(what); pass the YAML file in it, e.g. --config \(path)/ferry.yaml")
            default: throw refuse("cannot open the \(what): \(String(cString: strerror(errno)))")
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw refuse("cannot read the \(what): \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            break
        case S_IFDIR:
            throw refuse("is a folder, not a \(what); pass the YAML file in it, e.g. --config \(path)/ferry.yaml")
        case S_IFIFO:
            throw refuse(
                "is a FIFO (named pipe), not a \(what); write the configuration to a regular file and pass that")
        case S_IFCHR, S_IFBLK:
            throw refuse("is a device, not a \(what); pass a YAML file with --config FILE")
        default:
            throw refuse("is not a regular file; pass a YAML file with --config FILE")
        }
        guard info.st_size <= sizeLimit else {
            throw refuse(
                "is \(info.st_size) bytes; a \(what) may have at most \(sizeLimit) bytes (is it the right file?)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else { throw refuse("cannot read the \(what): \(String(cString: strerror(errno)))") }
            if read == 0 { break }
            count += read
        }
        bytes.removeLast(bytes.count - count)
        if let zero = bytes.firstIndex(of: 0) {
            throw refuse("is a binary file, not YAML text (a NUL byte at offset \(zero)); pass the YAML configuration")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw refuse("is not UTF-8 text, so not a \(what); save it as UTF-8")
        }
        return text
    }
}
