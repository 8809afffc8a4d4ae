import FerryJSON
import FerryPluginSDK

/// One entry of a stream's `children:`: a list per parent record (`clients/{id}/pianos`),
/// paged with its own pagination, read as a stream of its own whose records carry the
/// parent's key in `parent_key`.
struct ChildStream {

    let name: String
    let path: PathTemplate
    let query: [(String, String)]
    let recordsPath: [String]
    let primaryKey: [String]
    /// The field each child gets, holding the parent's key.
    let parentKey: String
    /// The parent's field whose value that is (dotted; default: the parent's primary key).
    let parentField: [String]
    let pagination: Pagination.Style
    let totals: Pagination.Totals
    let endsOnEmptyPage: Bool
    let concurrency: Int
    let rejectStatuses: Set<Int>

    init(_ object: JSONObject, at where_: String, parentKey parentPrimaryKey: [String]) throws {
        let fields = try ConfigFields(object, at: where_, table: RESTKeys.child)
        name = try fields.requiredText("name")
        path = try PathTemplate(try fields.requiredText("path"), at: "\(where_).path")
        query = try fields.query()
        recordsPath = (try fields.text("records_path") ?? "").split(separator: ".").map(String.init)
        if let key = object["primary_key"] {
            primaryKey = key.stringValue.map { [$0] } ?? (key.arrayValue ?? []).compactMap(\.stringValue)
        } else {
            primaryKey = []
        }
        parentKey = try fields.values.string("parent_key")
        guard let field = try fields.text("parent_field") ?? (parentPrimaryKey.count == 1 ? parentPrimaryKey[0] : nil)
        else {
            throw PluginError.invalid(
                "\(where_).parent_field is required when the parent stream has no single-field primary_key")
        }
        parentField = field.split(separator: ".").map(String.init)
        let paginationObject = object["pagination"]?.objectValue ?? JSONObject()
        pagination = try Pagination.Style(paginationObject, at: "\(where_).pagination")
        if pagination.isKeyset {
            throw PluginError.invalid("\(where_).pagination cannot be keyset: a child list has no cursor")
        }
        totals = Pagination.Totals(paginationObject)
        endsOnEmptyPage = try Pagination.endsOnEmptyPage(paginationObject, at: "\(where_).pagination")
        concurrency = try fields.concurrency()
        rejectStatuses = try fields.statuses("reject_statuses") ?? []
    }

    /// One parent's children, every page of them, each carrying the parent's key; `complete`
    /// when the API declared the list's end. A parent the list request rejects (404: deleted
    /// since it was listed) comes back as itself, marked for the host to dead-letter.
    func children(of parent: JSONObject, host: HostServices) throws -> (records: [JSONObject], complete: Bool) {
        guard let key = PathTemplate.value(at: parentField, in: parent), !key.isNull else {
            let error = "stream '\(name)': the parent has no '\(parentField.joined(separator: "."))' (parent_field)"
            return ([SourceRejection.mark(parent, error: error)], true)
        }
        let base: String
        switch path.path(for: parent) {
        case .failure(let missing):
            let error = "stream '\(name)': the parent has no usable '\(missing.name)' for path '\(path.text)'"
            return ([SourceRejection.mark(parent, error: error)], true)
        case .success(let filled): base = filled
        }
        var pagination = Pagination(pagination, totals: totals, endsOnEmptyPage: endsOnEmptyPage)
        var pending = pagination.first()
        var records: [JSONObject] = []
        var previous: [JSONValue] = []
        while true {
            if host.isCancelled { throw PluginError.cancelled() }
            let url: String
            switch pending {
            case .done(let complete): return (records, complete)
            case .url(let next): url = next
            case .query(let paging): url = HTTPRequest.path(base, query: query + paging.map { ($0.name, $0.value) })
            case .repeatPage, .inconsistent:
                throw PluginError.invalid("stream '\(name)': internal paging state \(pending)")
            }
            let response = try host.http(.get(url))
            guard response.isSuccess else {
                let what =
                    "stream '\(name)': GET \(base) answered HTTP \(response.status): \(response.text.prefix(200))"
                if rejectStatuses.contains(response.status) {
                    return ([SourceRejection.mark(parent, error: what)], true)
                }
                if response.status >= 500 { throw PluginError.retryable(what) }
                throw PluginError.invalid(what + " (only reject_statuses reject the parent alone)")
            }
            let body = try response.json()
            let page = try RESTStream.records(in: body, at: recordsPath, stream: name)
            if !page.isEmpty, page == previous {
                throw PluginError.invalid(
                    "stream '\(name)': GET \(base) returned the same \(page.count) records as the page before: the API "
                        + "ignores the paging parameter (check the child's pagination)")
            }
            let next = pagination.next(afterPageOf: page.count, body: body, linkHeader: response[header: "Link"])
            switch next {
            case .repeatPage: continue
            case .inconsistent(let reason):
                throw PluginError.retryable(
                    "stream '\(name)': GET \(base): \(reason); the read stops before this parent")
            default: break
            }
            for item in page {
                guard var child = item.objectValue else {
                    throw PluginError.invalid("stream '\(name)': a record of GET \(base) is not a JSON object")
                }
                child[parentKey] = key
                records.append(child)
            }
            previous = page
            pending = next
        }
    }
}

/// Reads a child stream: the parent stream page by page (its checkpoint, so an incremental
/// run reads the children of changed parents only), and for each page the children of
/// every parent, `concurrency` parents at a time; one batch per parent page.
final class ChildReader: BatchReader {
    private let parents: RESTReader
    private let child: ChildStream
    private let host: HostServices
    /// A parent page whose children are not delivered yet: a `next()` called again after a
    /// failure reads them again instead of skipping the page.
    private var unfinished: RESTReader.Delivery?
    private var everyListComplete = true
    private(set) var isComplete = false

    init(parents: RESTReader, child: ChildStream, host: HostServices) {
        self.parents = parents
        self.child = child
        self.host = host
    }

    func next() throws -> RecordBatch? {
        while true {
            if unfinished == nil {
                guard let page = try parents.nextPage() else {
                    isComplete = parents.isComplete && everyListComplete
                    return nil
                }
                unfinished = page
            }
            let (page, child, host) = (unfinished!, child, host)
            let lists = try Concurrently.map(page.records.count, width: child.concurrency) { index in
                try child.children(of: page.records[index], host: host)
            }
            unfinished = nil
            var batch = RecordBatch(checkpoint: page.checkpoint)
            for list in lists {
                everyListComplete = everyListComplete && list.complete
                for record in list.records { batch.append(record) }
            }
            if batch.isEmpty && page.checkpoint == nil { continue }
            return batch
        }
    }
}
