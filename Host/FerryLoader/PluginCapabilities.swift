import CFerryPlugin

/// The roles a plugin declares in its descriptor (`FERRY_CAP_*` bits).
public struct PluginCapabilities: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The raw `FERRY_CAP_*` bits.
    public let rawValue: UInt32

    /// Creates capabilities from raw `FERRY_CAP_*` bits.
    ///
    /// - Parameter rawValue: the descriptor's `capabilities` field.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// A source: `discover`, `read_open`, `read_next` and `read_close`.
    public static let source = PluginCapabilities(rawValue: 1 << 0)
    /// A destination: `write`.
    public static let destination = PluginCapabilities(rawValue: 1 << 1)
    /// A transform: `transform`.
    public static let transform = PluginCapabilities(rawValue: 1 << 2)

    /// A source whose failed `read_next` may be repeated in place (ABI 1.1).
    public static let repeatableRead = PluginCapabilities(rawValue: 1 << 3)

    /// A destination that commits the writes of one transaction id together (ABI 1.2).
    public static let writeTransaction = PluginCapabilities(rawValue: 1 << 4)

    /// Every bit ABI 1.2 defines; any other bit makes a descriptor invalid.
    public static let known: PluginCapabilities = [
        .source, .destination, .transform, .repeatableRead, .writeTransaction,
    ]
    /// The bits that name a role; a plugin must declare at least one.
    public static let roles: PluginCapabilities = [.source, .destination, .transform]

    /// The known roles as lowercase words, e.g. `["source", "destination"]`.
    public var names: [String] {
        var words: [String] = []
        if contains(.source) { words.append("source") }
        if contains(.destination) { words.append("destination") }
        if contains(.transform) { words.append("transform") }
        if contains(.repeatableRead) { words.append("repeatable reads") }
        if contains(.writeTransaction) { words.append("transactional writes") }
        return words
    }

    /// The roles as lowercase words, e.g. `"source, destination"`.
    public var description: String {
        var words = names
        let unknown = rawValue & ~PluginCapabilities.known.rawValue
        if unknown != 0 { words.append("unknown bits 0x" + String(unknown, radix: 16)) }
        return words.isEmpty ? "none" : words.joined(separator: ", ")
    }
}
