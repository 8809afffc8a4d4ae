import FerryPluginSDK
import Glibc

/// A stream's GraphQL document: given inline (`query`) or read once, when the
/// connection opens, from `query_file`, so a broken file is a configuration error
/// and not a failure halfway through a run.
enum QueryText {
    /// The largest query file read; a GraphQL document is a few kilobytes.
    static let maximumBytes = 1 << 20

    /// The text of `path`, relative paths resolved against `folder`.
    /// - Parameters:
    ///   - path: The `query_file` value.
    ///   - folder: `queries_dir`, already made absolute by the host, if configured.
    ///   - place: Where the key is, for messages (`config.streams[0].query_file`).
    static func read(_ path: String, folder: String?, at place: String) throws -> String {
        var full = path
        if !path.hasPrefix("/") {
            guard let folder else {
                throw PluginError.invalid(
                    "\(place): '\(path)' is a relative path; set config.queries_dir (resolved against the config "
                        + "file's folder) or give an absolute path")
            }
            full = folder.hasSuffix("/") ? folder + path : folder + "/" + path
        }
        guard let file = fopen(full, "rb") else {
            throw PluginError.invalid("\(place): cannot open '\(full)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            guard bytes.count <= maximumBytes else {
                throw PluginError.invalid("\(place): '\(full)' is larger than 1 MiB; is it really a GraphQL query?")
            }
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { throw PluginError.invalid("\(place): cannot read '\(full)'") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Refuses documents this source must not send: empty ones, and mutations and
    /// subscriptions (a source only reads, and its requests are retried as safe).
    static func validate(_ text: String, at place: String) throws {
        var rest = Substring(text)
        // Skip whitespace, commas (insignificant in GraphQL) and `#` comments to the first token.
        while let first = rest.first {
            if first.isWhitespace || first == "," || first == "\u{FEFF}" {
                rest = rest.dropFirst()
            } else if first == "#" {
                rest = rest.drop { $0 != "\n" }
            } else {
                break
            }
        }
        guard !rest.isEmpty else { throw PluginError.invalid("\(place): the GraphQL query is empty") }
        let keyword = rest.prefix { $0.isLetter }
        if keyword == "mutation" || keyword == "subscription" {
            throw PluginError.invalid(
                "\(place): a source sends queries only, but this document is a \(keyword); "
                    + "the graphql connector never changes data in the API")
        }
    }
}
