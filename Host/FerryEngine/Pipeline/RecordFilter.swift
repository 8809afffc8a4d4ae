import FerryJSON
import Foundation

/// One `--filter FIELD=VALUE` (serve's `filters: {FIELD: VALUE}`): keep only source records
/// whose top-level field `FIELD` equals `VALUE`, as the seed scripts' `--filters` did.
///
/// The comparison is on text, on the record as the source delivers it (before transforms):
/// a string as it is, a number or boolean as JSON writes it (`10002`, `true`); a missing or
/// null field matches nothing. Several filters must all hold. A source that can ask its
/// API for the same (the `rest` connector's `field_filter`) narrows what it reads; the host
/// checks every record it receives either way, so a source that cannot is still correct.
public struct RecordFilter: Sendable, Equatable {
    /// The source record's field.
    public var field: String
    /// The text it must equal.
    public var value: String

    /// Creates a filter.
    /// - Parameters:
    ///   - field: the source record's top-level field.
    ///   - value: the text it must equal.
    public init(field: String, value: String) {
        self.field = field
        self.value = value
    }

    /// Parses `FIELD=VALUE` (the value may hold `=` itself; only the first one splits).
    /// - Parameter text: the option's argument.
    /// - Throws: `RunOptionError` naming the argument when it has no `=` or no field.
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw RunOptionError("--filter takes FIELD=VALUE (e.g. Nummer=11400-BE), got '\(text)'")
        }
        let field = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        guard !field.isEmpty else {
            throw RunOptionError("--filter takes FIELD=VALUE (e.g. Nummer=11400-BE): '\(text)' names no field")
        }
        self.init(field: field, value: String(text[text.index(after: equals)...]))
    }

    /// True when `record` has the field with this value.
    /// - Parameter record: a source record.
    public func matches(_ record: JSONValue) -> Bool {
        switch record[field] {
        case .string(let text)?: return text == value
        case nil, .null?: return false
        case let other?: return JSONWriter().encodeString(other) == value
        }
    }

    /// Checks a run's filters: each field at most once (several values of one field would
    /// match nothing, since every filter must hold).
    /// - Parameter filters: the run's filters.
    /// - Throws: `RunOptionError` naming the repeated field.
    public static func validate(_ filters: [RecordFilter]) throws {
        var seen = Set<String>()
        for filter in filters where !seen.insert(filter.field).inserted {
            throw RunOptionError(
                "--filter names '\(filter.field)' twice; every filter must hold, so give each field once")
        }
    }
}

extension RecordFilter: CustomStringConvertible {
    public var description: String { "\(field)=\(value)" }
}
