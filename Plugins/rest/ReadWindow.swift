import FerryJSON
import FerryPluginSDK

/// Which cursor values one read asks for and keeps: from `--since` (or the
/// checkpoint's cursor moved back by `lookback`) up to `--until`, exclusive.
///
/// The start is what the API receives in place of `{cursor}`, so how inclusive it
/// is depends on the API's comparison; the connector also drops records before
/// `--since` and at or after `--until` itself, so the range holds whatever the API
/// does with it.
struct ReadWindow {
    /// The cursor the first request carries; nil: from the beginning.
    var start: JSONValue?
    /// The checkpoint's cursor, the floor of the cursor this read reports.
    var checkpointCursor: JSONValue?
    /// For keyset: the keys the checkpoint says were read at its cursor.
    var checkpointKeys: [JSONValue]
    var since: JSONValue?
    var until: JSONValue?
    /// A filtered run's conditions (`ferry run --filter`), for `field_filter`.
    var filters: [ReadFilter] = []

    init(request: ReadRequest, stream: RESTStream) throws {
        let checkpoint = request.fullRefresh ? nil : request.checkpoint
        let cursor = checkpoint?["cursor"].flatMap { $0.isNull ? nil : $0 }
        since = request.since.map(JSONValue.string)
        until = request.until.map(JSONValue.string)
        checkpointKeys = []
        filters = request.filters ?? []
        if (since != nil || until != nil) && stream.cursorField == nil {
            throw PluginError.invalid(
                "stream '\(stream.name)' has no cursor_field, so --since and --until cannot select a range of it")
        }
        if let since {
            // An explicit range replaces the checkpoint.
            start = since
            checkpointCursor = nil
            return
        }
        checkpointCursor = cursor
        start = cursor
        checkpointKeys = checkpoint?["keys"]?.arrayValue ?? []
        guard let cursor, let lookback = request.lookback, lookback > 0 else { return }
        guard let text = cursor.stringValue, let timestamp = Timestamp(text) else {
            throw PluginError.invalid(
                "stream '\(stream.name)': lookback needs a timestamp cursor, but the checkpoint's "
                    + "\(stream.cursorField ?? "cursor") is \(JSONWriter().encodeString(cursor))")
        }
        start = .string(timestamp.moved(back: lookback).text)
        // Records re-read inside the lookback are delivered again; the tie keys no longer apply.
        checkpointKeys = []
    }

    /// True when the read asks for the whole stream: no cursor to start from, no range end.
    var isWhole: Bool { start == nil && until == nil }

    /// True when a record's cursor value lies inside the range (records without one are kept).
    func admits(_ value: JSONValue?) -> Bool {
        guard let value, !value.isNull else { return true }
        if let since, RESTReader.isAfter(since, value) { return false }
        if let until, !RESTReader.isAfter(until, value) { return false }
        return true
    }
}
