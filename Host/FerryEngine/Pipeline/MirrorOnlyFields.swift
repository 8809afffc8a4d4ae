import FerryJSON

/// `mirror_only:` of a pipeline or an output: top-level fields that ride with the records as
/// far as the change hash and the `id_map_mirrors:` columns, and are taken out of what the
/// destination receives (a mapping-table column, such as the system a material belongs to,
/// that the API's body has no place for). docs/relational.md, "Mapping tables".
public struct MirrorOnlyFields: Sendable {
    let names: Set<String>

    public init(_ names: [String] = []) { self.names = Set(names) }

    /// The records as the destination receives them: each line without these fields. Lines
    /// that hold none of them, or are not JSON objects (the destination rejects those as they
    /// are), are passed through untouched.
    func sendable(_ lines: [[UInt8]]) -> [[UInt8]] {
        guard !names.isEmpty else { return lines }
        return lines.map(sendable)
    }

    /// One record as the destination receives it.
    func sendable(_ line: [UInt8]) -> [UInt8] {
        guard !names.isEmpty, case .object(var record)? = try? JSONParser().parse(line),
            names.contains(where: { record[$0] != nil })
        else { return line }
        for name in names { record[name] = nil }
        return JSONWriter().encode(.object(record))
    }
}
