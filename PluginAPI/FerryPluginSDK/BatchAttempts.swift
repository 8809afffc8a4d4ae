/// The write pattern of transactional destinations: apply a batch whole, and when
/// one record's error aborts that attempt, roll back and apply it once more record
/// by record, so the bad records are rejected and the good ones still land.
public enum BatchAttempts {
    /// Thrown by a whole-batch attempt to ask for the record-by-record one.
    public struct RetryPerRecord: Error {
        public init() {}
    }

    /// Runs `attempt(false)`; if it throws ``RetryPerRecord``, calls `rollBack` and runs
    /// `attempt(true)`. Any other error rolls back and propagates.
    /// - Parameters:
    ///   - rollBack: Undoes a failed attempt (ends its transaction, forgets cached schema).
    ///   - attempt: One attempt; the argument says whether it goes record by record.
    public static func run<T>(rollBack: () -> Void, _ attempt: (_ perRecord: Bool) throws -> T) throws -> T {
        do {
            return try attempt(false)
        } catch is RetryPerRecord {
            rollBack()
        } catch {
            rollBack()
            throw error
        }
        do {
            return try attempt(true)
        } catch {
            rollBack()
            throw error
        }
    }

    /// Runs one record's statements of the record-by-record attempt under a
    /// savepoint, so a record the database refuses is undone alone and the
    /// transaction carries on with the next one.
    ///
    /// The savepoint's SQL (`SAVEPOINT`, `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`)
    /// is the same in SQLite and PostgreSQL.
    /// - Parameters:
    ///   - execute: Runs SQL text on the destination's connection.
    ///   - recordError: The rejection message for an error that belongs to the record
    ///     (a constraint, a value of the wrong type), nil for one that must fail the batch.
    ///   - write: The record's statements.
    /// - Returns: The rejection message when the record was refused and undone, nil when it landed.
    /// - Throws: What `execute` throws, and errors `recordError` leaves to the batch (the
    ///   savepoint is then left to the batch's rollback).
    public static func savepoint(
        execute: (String) throws -> Void, recordError: (any Error) -> String?,
        _ write: () throws -> Void
    ) throws -> String? {
        try execute("SAVEPOINT ferry_record")
        do {
            try write()
        } catch {
            guard let message = recordError(error) else { throw error }
            try execute("ROLLBACK TO SAVEPOINT ferry_record; RELEASE SAVEPOINT ferry_record")
            return message
        }
        try execute("RELEASE SAVEPOINT ferry_record")
        return nil
    }
}
