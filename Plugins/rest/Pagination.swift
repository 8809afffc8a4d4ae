import FerryJSON
import FerryPluginSDK

/// How a stream pages, as a state machine with no I/O: it says which query to
/// send first and, given each page's outcome, what to send next or that the
/// stream is done.
struct Pagination {
    /// The configured style (`pagination.type`).
    enum Style {
        case none
        /// `?page=N&per_page=S`, starting at `start`.
        case page(param: String, sizeParam: String?, size: Int, start: Int)
        /// `?offset=N&limit=S`.
        case offset(param: String, limitParam: String, size: Int)
        /// A token from the body (`next_path`) sent back as `param`.
        case cursor(param: String, nextPath: [String], sizeParam: String?, size: Int?)
        /// RFC 8288 `Link: <…>; rel="next"`.
        case link
        /// 4D REST: `$skip`/`$top`, `__COUNT`/`__SENT`, `__ENTITIES`.
        case fourD(size: Int)

        var isFourD: Bool { if case .fourD = self { return true } else { return false } }

        init(_ object: JSONObject, at where_: String) throws {
            let type = object["type"]?.stringValue ?? "none"
            let size = object["page_size"]?.intValue.map(Int.init)
            let allowed: [String: [String]] = [
                "none": [], "page": ["page_param", "size_param", "page_size", "start_page"],
                "offset": ["offset_param", "limit_param", "page_size"], "cursor": ["cursor_param", "next_path", "size_param", "page_size"],
                "link": [], "4d": ["page_size"],
            ]
            guard let keys = allowed[type] else {
                throw PluginError.invalid("\(where_).type must be one of none, page, offset, cursor, link, 4d, got '\(type)'")
            }
            for key in object.keys where key != "type" && !keys.contains(key) {
                throw PluginError.invalid("\(where_): unknown key '\(key)' for type \(type); valid: \(keys.joined(separator: ", "))")
            }
            if let size, size <= 0 { throw PluginError.invalid("\(where_).page_size must be greater than 0") }
            switch type {
            case "page":
                self = .page(param: object["page_param"]?.stringValue ?? "page", sizeParam: object["size_param"]?.stringValue,
                             size: size ?? 100, start: object["start_page"]?.intValue.map(Int.init) ?? 1)
            case "offset":
                self = .offset(param: object["offset_param"]?.stringValue ?? "offset",
                               limitParam: object["limit_param"]?.stringValue ?? "limit", size: size ?? 100)
            case "cursor":
                guard let next = object["next_path"]?.stringValue else { throw PluginError.invalid("\(where_).next_path is required for type cursor") }
                self = .cursor(param: object["cursor_param"]?.stringValue ?? "cursor",
                               nextPath: next.split(separator: ".").map(String.init), sizeParam: object["size_param"]?.stringValue, size: size)
            case "link": self = .link
            case "4d": self = .fourD(size: size ?? 1000)
            default: self = .none
            }
        }
    }

    /// What to request next.
    enum Next: Equatable {
        /// The stream's path with these paging parameters added.
        case query([Parameter])
        /// An absolute or relative URL given by the server (Link header).
        case url(String)
        /// No more pages.
        case done
    }

    /// One query parameter.
    struct Parameter: Equatable {
        var name: String
        var value: String
        init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    let style: Style
    private var page = 0
    private var offset = 0

    init(_ style: Style) { self.style = style }

    /// The first request's paging parameters.
    mutating func first() -> Next {
        switch style {
        case .none, .link: return .query([])
        case .page(let param, let sizeParam, let size, let start):
            page = start
            return .query([Parameter(param, "\(start)")] + (sizeParam.map { [Parameter($0, "\(size)")] } ?? []))
        case .offset(let param, let limitParam, let size):
            return .query([Parameter(param, "0"), Parameter(limitParam, "\(size)")])
        case .cursor(_, _, let sizeParam, let size):
            return .query(sizeParam.flatMap { name in size.map { [Parameter(name, "\($0)")] } } ?? [])
        case .fourD(let size):
            return .query([Parameter("$skip", "0"), Parameter("$top", "\(size)")])
        }
    }

    /// The next request after a page with `count` records.
    /// - Parameters:
    ///   - count: Records on the page just read.
    ///   - body: Its parsed body.
    ///   - linkHeader: Its `Link` header, if any.
    mutating func next(afterPageOf count: Int, body: JSONValue, linkHeader: String?) -> Next {
        switch style {
        case .none:
            return .done
        case .page(let param, let sizeParam, let size, _):
            guard count >= size, count > 0 else { return .done }
            page += 1
            return .query([Parameter(param, "\(page)")] + (sizeParam.map { [Parameter($0, "\(size)")] } ?? []))
        case .offset(let param, let limitParam, let size):
            guard count >= size, count > 0 else { return .done }
            offset += count
            return .query([Parameter(param, "\(offset)"), Parameter(limitParam, "\(size)")])
        case .cursor(let param, let nextPath, let sizeParam, let size):
            var value = body
            for key in nextPath { value = value[key] ?? .null }
            let token = value.stringValue ?? value.intValue.map(String.init)
            guard let token, !token.isEmpty, count > 0 else { return .done }
            return .query([Parameter(param, token)] + (sizeParam.flatMap { name in size.map { [Parameter(name, "\($0)")] } } ?? []))
        case .link:
            return Self.nextLink(linkHeader).map(Next.url) ?? .done
        case .fourD(let size):
            offset += count
            if let total = body["__COUNT"]?.intValue, offset >= Int(total) { return .done }
            guard count >= size, count > 0 else { return .done }
            return .query([Parameter("$skip", "\(offset)"), Parameter("$top", "\(size)")])
        }
    }

    /// The `rel="next"` target of a Link header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: " ") }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">"),
                  pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: "\"", with: "").lowercased() == "rel=next" })
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }
}

/// A configuration problem, reported as `PluginError.invalid` by the connector.
struct RESTConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String {
        var text = self
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
