import FerryJSON
import FerryPluginSDK

/// Which cursor values one read asks for and keeps: from `--since` or the
/// checkpoint's cursor, up to `--until` (exclusive).
///
/// The start goes to the API in `cursor_variable`, so how inclusive it is depends on
/// the API's filter (Gazelle's `occurredAtGet` is `>=`); the connector also drops
/// records before `--since` and at or after `--until` itself.
struct ReadWindow {
    /// The value `cursor_variable` receives; nil: from the beginning.
    var start: JSONValue?
    /// The stored checkpoint's cursor: the reported checkpoint never goes below it.
    var checkpointCursor: JSONValue?
    var since: JSONValue?
    var until: JSONValue?

    init(request: ReadRequest, stream: GraphQLStream) throws {
        let checkpoint = request.fullRefresh ? nil : request.checkpoint
        since = request.since.map(JSONValue.string)
        until = request.until.map(JSONValue.string)
        if (since != nil || until != nil) && stream.cursorField == nil {
            throw PluginError.invalid(
                "stream '\(stream.name)' has no cursor_field, so --since and --until cannot select a range of it")
        }
        if let since {
            // An explicit range replaces the checkpoint (the host keeps no checkpoint from it).
            start = since
            checkpointCursor = nil
        } else {
            checkpointCursor = checkpoint?["cursor"].flatMap { $0.isNull ? nil : $0 }
            start = checkpointCursor
        }
    }

    /// True when the read asks for the whole stream: no start, no end.
    var isWhole: Bool { start == nil && until == nil }

    /// True when a record's cursor value lies inside the range (records without one are kept).
    func admits(_ value: JSONValue?) -> Bool {
        guard let value else { return true }
        if let since, CursorOrder.isAfter(since, value) { return false }
        if let until, !CursorOrder.isAfter(until, value) { return false }
        return true
    }
}

/// How cursor values compare: numbers numerically, anything else as text, which
/// orders ISO 8601 timestamps written in one layout (`2026-01-31T12:00:00Z`).
enum CursorOrder {
    /// Whether `a` comes after `b`.
    static func isAfter(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x > y }
        return text(a) > text(b)
    }

    /// A cursor value as text: strings bare, anything else as JSON.
    static func text(_ value: JSONValue) -> String { value.stringValue ?? JSONWriter().encodeString(value) }
}
