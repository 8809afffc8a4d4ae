import CFerryPlugin

/// The multi-write transaction (ABI 1.2: writes that carry one `transaction` id, a fan-out
/// batch's streams) a transactional destination keeps open across writes: opened by the
/// first write, committed by the one whose `transaction.commit` is true.
public struct OpenTransaction {
    /// The id of the transaction kept open, if any.
    public private(set) var id: String?

    public init() {}

    /// Before a write: rolls back a transaction the host abandoned (a write with another id,
    /// or without one, arrived instead), refuses to go on when the connection lost the open
    /// one, and opens the request's transaction when it is new.
    /// - Parameters:
    ///   - request: The write.
    ///   - host: Where the roll-back is logged.
    ///   - isInTransaction: Whether the connection still has a transaction open.
    ///   - rollBack: Rolls the whole open transaction back.
    ///   - begin: Begins a transaction.
    /// - Throws: `FERRY_ERR_INTERNAL` when the open transaction was lost: committing the rest
    ///   would record a batch that is not all there; the host must re-send the whole batch,
    ///   which a new run does. Or what `begin` throws.
    public mutating func join(
        _ request: WriteRequest, host: HostServices, isInTransaction: () -> Bool, rollBack: () -> Void,
        begin: () throws -> Void
    ) throws {
        if let open = id, open != request.transaction?.id {
            host.log(.warning, "Rolled back a transaction the host left open.", ["transaction": .string(open)])
            id = nil
            rollBack()
        }
        if let open = id, !isInTransaction() {
            id = nil
            throw PluginError(
                status: FERRY_ERR_INTERNAL,
                message:
                    "the transaction '\(open)' was lost (the connection was reset); its earlier writes were rolled back"
            )
        }
        if let transaction = request.transaction, id == nil {
            try begin()
            id = transaction.id
        }
    }

    /// The open transaction was committed.
    public mutating func committed() { id = nil }
}
