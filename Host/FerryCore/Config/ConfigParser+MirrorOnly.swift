/// `mirror_only:` of a pipeline or a fan-out output: fields its records carry for
/// `id_map_mirrors:` columns that the destination never receives (docs/relational.md).
extension ConfigParser {
    /// The field names; a key field is refused, since the destination needs the key to write by.
    func mirrorOnlyFields(_ field: Field, primaryKey: [String]?) throws -> [String] {
        try strings(field).map { name, element in
            guard !name.isEmpty, !name.contains(".") else {
                throw failure(.invalidValue, element, "must name a top-level field of the records, got '\(name)'")
            }
            if let primaryKey, primaryKey.contains(name) {
                throw failure(
                    .invalidValue, element, "'\(name)' is a primary key field: the destination needs it to write by")
            }
            return name
        }
    }
}
