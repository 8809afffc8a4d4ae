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
}
