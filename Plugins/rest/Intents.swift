import FerryJSON
import FerryPluginSDK

/// The first phase of a create (DESIGN.md, delivery rules: creating an object in an
/// API is two-phase). Before a `POST` the destination records an intent for the
/// record's key in the connection's key-value state, which the host stores at once;
/// after the API's answer it adds the new id. The host commits the id to its ID map
/// only with the batch, so a kill between the API's 201 and that commit leaves the
/// intent behind, and the next write resolves it instead of creating again:
///
/// - an intent with an id: the object exists; update it and report the id again;
/// - an intent without one (no answer was recorded): search for the object
///   (`lookup`); found: update it; not found: create it.
///
/// An intent is dropped once the host's ID map holds its id (checked at the start of
/// every write, so one batch later in a healthy run), or when the API refused the
/// create. One state key per stream holds them all: `rest.intents.<stream>`, a JSON
/// object `{"<key>": {"id": "…"} | {}}`, small because it is emptied every batch.
struct Intents {
    private(set) var entries: [String: String?] = [:]
    private let stateKey: String
    private let host: HostServices

    init(stream: String, host: HostServices) throws {
        stateKey = "rest.intents.\(stream)"
        self.host = host
        guard let text = try host.state(stateKey) else { return }
        guard case .object(let object)? = try? JSONParser().parse(text) else {
            throw PluginError.invalid(
                "state '\(stateKey)' is not a JSON object; it holds the creates still to be confirmed")
        }
        for (key, value) in object { entries[key] = RESTWrite.idText(value["id"]) }
    }

    /// Whether an intent is recorded for `key`; `.some(nil)` means no answer was recorded.
    subscript(key: String) -> String?? { entries[key] }

    /// Records that `key` is about to be created (`id` nil) or was created as `id`, durably.
    mutating func record(_ key: String, id: String?) throws {
        entries[key] = .some(id)
        try save()
    }

    /// Forgets the intents for `keys`, durably.
    mutating func remove(_ keys: some Sequence<String>) throws {
        var changed = false
        for key in keys where entries.removeValue(forKey: key) != nil { changed = true }
        if changed { try save() }
    }

    private func save() throws {
        if entries.isEmpty {
            try host.removeState(stateKey)
            return
        }
        let object = JSONObject(
            entries.sorted { $0.key < $1.key }.map { key, id in
                (key: key, value: JSONValue.object(id.map { ["id": .string($0)] } ?? JSONObject()))
            })
        try host.setState(JSONWriter().encodeString(.object(object)), for: stateKey)
    }
}
