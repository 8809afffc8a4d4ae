import FerryJSON

/// Edits made in Yuman by its users, between runs: what the policies must keep or report.
extension YumanSimulator {
    /// Sets fields of a stored object as a person would in Yuman's screens (null clears one).
    func edit(_ collection: String, id: Int, _ fields: JSONObject) {
        store.withLock { store in
            guard let index = store.objects[collection]?.firstIndex(where: { $0.id == id }) else { return }
            for (name, value) in fields { store.objects[collection]![index].fields[name] = value }
        }
    }

    /// The stored object of a collection with this id.
    func object(_ collection: String, id: Int) -> Object? { objects(collection).first { $0.id == id } }
}
