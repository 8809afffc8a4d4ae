import FerryTesting

/// `DELETE /materials/{id}`: the seed's `delete_material`, for equipment VCOM no longer has.
/// The material is removed (later reads and a second `DELETE` answer 404); the answer is 204.
extension YumanSimulator {
    func deleteMaterial(_ id: Int) -> LoopbackServer.Reply {
        store.withLock { store in
            guard let index = store.objects["materials"]?.firstIndex(where: { $0.id == id }) else {
                return .json(#"{"message":"Not found"}"#, status: 404)
            }
            store.objects["materials"]!.remove(at: index)
            return .response(status: 204)
        }
    }
}
