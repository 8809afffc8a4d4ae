#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension SQLiteDatabase {
    /// Runs `body` again, after a short random pause, while SQLite answers "busy" at once,
    /// for up to `seconds` in all. SQLite answers so without waiting for its busy handler
    /// in a few places, notably to the loser of two connections switching a new file to
    /// WAL: two first runs started together by cron must both get going.
    public static func retryingWhileBusy<T>(for seconds: Double = 10, _ body: () throws -> T) throws -> T {
        var waited = 0.0
        while true {
            do {
                return try body()
            } catch let error as SQLiteError where error.isBusy && waited < seconds {
                let pause = Double.random(in: 0.02...0.08)
                usleep(UInt32(pause * 1_000_000))
                waited += pause
            }
        }
    }
}
