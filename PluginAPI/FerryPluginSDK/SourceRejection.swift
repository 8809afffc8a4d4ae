import FerryJSON

/// A record a source could read only in part: the listed item is there, but what the
/// source needed to complete it (a detail or child request) failed for this record alone,
/// say with HTTP 404 for an object deleted between the list and the detail call.
///
/// The ABI has no per-record rejection for sources, so the source emits the record with
/// one extra top-level member, ``field``, holding `{"error": "..."}`; the host stores such a
/// record as a dead letter (stage `source`) and passes the rest of the batch on. A failure
/// that is not the record's own (401, 429 or 5xx after the host's retries) must fail the
/// read instead, so the checkpoint stays before it.
public enum SourceRejection {
    /// The marker member's name.
    public static let field = "__ferry_reject"

    /// `record` marked as rejected with `error` (which must hold no secret).
    public static func mark(_ record: JSONObject, error: String) -> JSONObject {
        var marked = JSONObject([(field, .object(["error": .string(error)]))])
        for (key, value) in record where key != field { marked[key] = value }
        return marked
    }

    /// The rejection's error when `record` is marked, else nil.
    public static func error(in record: JSONObject) -> String? {
        record[field].map { $0["error"]?.stringValue ?? "rejected by the source" }
    }
}
