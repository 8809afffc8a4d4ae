import FerryJSON
import FerryPluginSDK

/// `detail:` of a stream: one request per listed record (`repair-order/{id}`), its object
/// merged over the listed record, merged under a key, or put in its place.
struct Detail {

    enum Mode: String { case merge, replace }

    let path: PathTemplate
    let query: [(String, String)]
    /// Dotted path to the object in the response; empty: the body is the object.
    let recordsPath: [String]
    let mode: Mode
    /// With `merge`: the key the detail goes under; nil: its fields go over the listed record's.
    let into: String?
    let concurrency: Int
    let rejectStatuses: Set<Int>
    /// `also:`: further requests per record, each merged into what the ones before made
    /// (Tekmetric's estimate and labor profit after the repair order), in order.
    let also: [Detail]
    /// For an `also:` request: a record without the path's field, or whose request answers a
    /// reject status, goes on without `into` instead of being rejected (a repair order whose
    /// customer was deleted is still a repair order).
    let optional: Bool
    /// For an `also:` request: the dotted path to a list in the record; one request per
    /// element (its fields first, then the record's, fill the path), each answer put under
    /// `into` in its element (an inverter's detail in each inverter of the system's list).
    let each: [String]

    init(_ object: JSONObject, at where_: String, nested: Bool = false) throws {
        let fields = try ConfigFields(object, at: where_, table: RESTKeys.detail(nested: nested))
        path = try PathTemplate(try fields.requiredText("path"), at: "\(where_).path")
        query = try fields.query()
        recordsPath = (try fields.text("records_path") ?? "").split(separator: ".").map(String.init)
        // The table allows only the cases' names and defaults to merge.
        mode = Mode(rawValue: try fields.values.string("mode")) ?? .merge
        into = try fields.text("into")
        if into != nil && mode == .replace { throw PluginError.invalid("\(where_).into needs mode: merge") }
        concurrency = try fields.concurrency()
        rejectStatuses = try fields.statuses("reject_statuses") ?? []
        also = try Self.also(object["also"], at: "\(where_).also", nested: nested)
        optional = try fields.values.bool("optional")
        each = nested ? (try fields.text("each") ?? "").split(separator: ".").map(String.init) : []
        if !each.isEmpty && mode == .replace {
            throw PluginError.invalid("\(where_).each needs mode: merge (each answer goes under into in its element)")
        }
        if optional && !nested {
            throw PluginError.invalid("\(where_).optional is for also: requests; the detail itself is the record")
        }
        if nested && mode == .replace {
            throw PluginError.invalid(
                "\(where_).mode must be merge: a further request completes the record, it cannot replace it")
        }
    }

    private static func also(_ value: JSONValue?, at where_: String, nested: Bool) throws -> [Detail] {
        guard let value, !value.isNull else { return [] }
        // One level: the record one request built is what the next one's path reads.
        guard !nested else { throw PluginError.invalid("\(where_) is only allowed on the stream's detail itself") }
        guard let items = value.arrayValue else { throw PluginError.invalid("\(where_) must be a list of requests") }
        return try items.enumerated().map { index, item in
            guard let object = item.objectValue else {
                throw PluginError.invalid("\(where_)[\(index)] must be an object")
            }
            let detail = try Detail(object, at: "\(where_)[\(index)]", nested: true)
            if detail.into == nil {
                throw PluginError.invalid("\(where_)[\(index)] needs into: (the key its response goes under)")
            }
            return detail
        }
    }

    /// The listed records, each completed by its detail request, `concurrency` at a time.
    /// A record whose request answered one of `reject_statuses`, or that lacks a field the
    /// path needs, comes back marked (`SourceRejection`) for the host to dead-letter.
    /// - Throws: When a request failed for another reason (401, 429 or 5xx after the host's
    ///   retries, another status, a body that is not the expected object): the read fails
    ///   before the page, so no checkpoint passes it.
    func complete(_ records: [JSONObject], stream: String, host: HostServices) throws -> [JSONObject] {
        try Concurrently.map(records.count, width: concurrency) { index in
            if host.isCancelled { throw PluginError.cancelled() }
            return try complete(records[index], stream: stream, host: host)
        }
    }

    private func complete(_ record: JSONObject, stream: String, host: HostServices) throws -> JSONObject {
        var completed = try fetch(record, stream: stream, host: host)
        for further in also {
            // A record rejected by an earlier request is not asked about again.
            guard SourceRejection.error(in: completed) == nil else { break }
            completed = try further.fetch(completed, stream: stream, host: host)
        }
        return completed
    }

    private func fetch(_ record: JSONObject, stream: String, host: HostServices) throws -> JSONObject {
        guard !each.isEmpty else {
            switch try answer(filling: record, stream: stream, host: host) {
            case .skip: return record
            case .reject(let error): return SourceRejection.mark(record, error: error)
            case .detail(let detail): return merged(detail, over: record)
            }
        }
        return try fetchEach(record, stream: stream, host: host)
    }

    /// `each:`: one request per element of the record's list, each answer under `into` in its element.
    private func fetchEach(_ record: JSONObject, stream: String, host: HostServices) throws -> JSONObject {
        let list = each.joined(separator: ".")
        var value: JSONValue? = .object(record)
        for key in each { value = value?[key] }
        guard let value, !value.isNull else { return record }
        guard let elements = value.arrayValue else {
            throw PluginError.invalid("stream '\(stream)': also each '\(list)' of a record is not a list")
        }
        var completed: [JSONValue] = []
        for (index, element) in elements.enumerated() {
            if host.isCancelled { throw PluginError.cancelled() }
            guard let object = element.objectValue else {
                throw PluginError.invalid("stream '\(stream)': also each '\(list)[\(index)]' is not an object")
            }
            var values = record
            for (key, field) in object { values[key] = field }
            switch try answer(filling: values, stream: stream, host: host) {
            case .skip: completed.append(element)
            case .reject(let error): return SourceRejection.mark(record, error: "\(error) (\(list)[\(index)])")
            case .detail(let detail): completed.append(.object(merged(detail, over: object)))
            }
        }
        return Self.replacing(each, in: record, with: .array(completed))
    }

    /// `record` with the value at `path` replaced.
    private static func replacing(_ path: [String], in record: JSONObject, with value: JSONValue) -> JSONObject {
        guard let key = path.first else { return record }
        var copy = record
        let inner = record[key]?.objectValue ?? JSONObject()
        copy[key] = path.count == 1 ? value : .object(replacing(Array(path.dropFirst()), in: inner, with: value))
        return copy
    }

    /// What one request answered: the detail object, nothing to add (an optional request), or a rejection.
    private enum Answer {
        case detail(JSONObject)
        case skip
        case reject(String)
    }

    /// The request whose path `values` fill, and its answer.
    private func answer(filling values: JSONObject, stream: String, host: HostServices) throws -> Answer {
        let path: String
        switch self.path.path(for: values) {
        case .failure where optional:
            return .skip
        case .failure(let missing):
            return .reject(
                "stream '\(stream)': the listed record has no usable '\(missing.name)' for detail.path '\(self.path.text)'"
            )
        case .success(let filled): path = filled
        }
        let response = try host.http(.get(HTTPRequest.path(path, query: query)))
        guard response.isSuccess else {
            let what =
                "stream '\(stream)': detail GET \(path) answered HTTP \(response.status): \(response.text.prefix(200))"
            if rejectStatuses.contains(response.status) { return optional ? .skip : .reject(what) }
            if response.status >= 500 { throw PluginError.retryable(what) }
            throw PluginError.invalid(what + " (only detail.reject_statuses reject the record alone)")
        }
        var value = try response.json()
        for key in recordsPath {
            guard let next = value[key] else {
                throw PluginError.invalid(
                    "stream '\(stream)': the detail response of GET \(path) has no '\(recordsPath.joined(separator: "."))'"
                )
            }
            value = next
        }
        guard let detail = value.objectValue else {
            throw PluginError.invalid(
                "stream '\(stream)': the detail response of GET \(path) is not an object\(recordsPath.isEmpty ? " (set detail.records_path)" : "")"
            )
        }
        return .detail(detail)
    }

    /// `detail` merged into `record` as `mode` and `into` say.
    private func merged(_ detail: JSONObject, over record: JSONObject) -> JSONObject {
        switch (mode, into) {
        case (.replace, _): return detail
        case (.merge, let key?):
            var merged = record
            merged[key] = .object(detail)
            return merged
        case (.merge, nil):
            var merged = record
            for (key, value) in detail { merged[key] = value }
            return merged
        }
    }
}
