import FerryJSON
import FerryPluginSDK
import Glibc

/// One page's records, as the reader sees them.
///
/// Parsed into objects where something needs each record whole (`detail:`, `request_fields`,
/// several lists); otherwise kept as the bytes the API sent, one JSON line each, with only
/// the fields the reader looks at (cursor, key, window) parsed. Parsing each record into values
/// only to encode it again was a third of a REST read's CPU. The response is still checked
/// whole as the parser checks it, so a malformed page is refused the same way.
struct PageRecords {
    /// Each record whole, or (as lines) just its cursor, key and window fields.
    let fields: [JSONObject]
    /// The response body and each record's bytes in it, when read as lines.
    private let lineSource: (body: [UInt8], spans: [Range<Int>])?

    var count: Int { fields.count }

    /// What two pages are compared by, to catch an API that ignores the page parameter.
    enum Fingerprint: Equatable {
        case objects([JSONObject])
        /// The hash of each record's bytes.
        case lines([UInt64])
    }

    var fingerprint: Fingerprint {
        guard let (body, spans) = lineSource else { return .objects(fields) }
        return body.withUnsafeBytes { bytes in
            .lines(spans.map { XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[$0])) })
        }
    }

    /// Reads a successful response's records (at the stream's `records_path`) and the rest of its body.
    /// - Parameter asLines: Keep the records as the bytes they came as.
    static func read(_ response: HTTPResponse, stream: RESTStream, asLines: Bool) throws -> (
        body: JSONValue, records: PageRecords
    ) {
        guard asLines else {
            let body = try response.json()
            let objects = try RESTStream.records(in: body, at: stream.recordsPath, stream: stream.name).map { record in
                guard let object = record.objectValue else { throw notAnObject(stream) }
                return object
            }
            return (body, PageRecords(fields: objects, lineSource: nil))
        }
        switch try response.jsonSplit(arrayAt: stream.recordsPath) {
        case .failure(let notFound):
            throw RESTStream.noRecords(at: stream.recordsPath, stream: stream.name, missing: notFound.missing != nil)
        case .success(let document):
            let names = fieldsRead(by: stream)
            let keys = names.map { Array($0.utf8) }
            let fields = try response.body.withUnsafeBytes { bytes in
                try document.elements.map { span in
                    guard bytes[span.lowerBound] == UInt8(ascii: "{") else { throw notAnObject(stream) }
                    let values = try JSONTopLevelScanner.values(
                        of: keys, inChecked: UnsafeRawBufferPointer(rebasing: bytes[span]))
                    var object = JSONObject()
                    for (name, value) in zip(names, values) { if let value { object[name] = value } }
                    return object
                }
            }
            return (document.envelope, PageRecords(fields: fields, lineSource: (response.body, document.elements)))
        }
    }

    /// The records at `indexes` as JSON lines; nil when the page was read as objects.
    /// A record spread over several lines (an API that indents) is written compact.
    func lines(_ indexes: [Int]) -> RecordBatch? {
        guard let (body, spans) = lineSource else { return nil }
        var batch = RecordBatch(reservingBytes: indexes.reduce(0) { $0 + spans[$1].count + 1 })
        body.withUnsafeBytes { bytes in
            for index in indexes {
                let record = UnsafeRawBufferPointer(rebasing: bytes[spans[index]])
                if Self.breaksLines(record), let object = try? JSONParser().parse(record).objectValue {
                    batch.append(object)
                } else {
                    // As typed bytes the append is one copy; as raw bytes it goes byte by byte.
                    batch.append(encodedRecord: record.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return batch
    }

    /// Whether a record holds a line break (whitespace an API that indents put there: inside a
    /// checked string there is none). `memchr` per byte value; a byte-by-byte closure was a tenth
    /// of the page's reading.
    private static func breaksLines(_ record: UnsafeRawBufferPointer) -> Bool {
        guard let base = record.baseAddress else { return false }
        return memchr(base, 0x0A, record.count) != nil || memchr(base, 0x0D, record.count) != nil
    }

    /// The top-level fields the reader looks at: the cursor, the key (keyset paging) and each list's window field.
    private static func fieldsRead(by stream: RESTStream) -> [String] {
        var names: [String] = []
        for name in [stream.cursorField] + stream.requestCursorFields
            + (stream.pagination.isKeyset ? stream.primaryKey : [])
        {
            if let name, !names.contains(name) { names.append(name) }
        }
        return names
    }

    private static func notAnObject(_ stream: RESTStream) -> PluginError {
        PluginError.invalid("stream '\(stream.name)': a record is not a JSON object")
    }
}
