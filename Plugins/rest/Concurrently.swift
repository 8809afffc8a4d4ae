import Glibc

/// Runs blocking jobs (the host's `http_request` is synchronous) on up to `width` threads:
/// the calling thread and `width - 1` pthreads, each taking the next job until none is left.
/// The host's HTTP service is thread-safe (ABI rule) and shares the connection's rate
/// budget between them, so `width` bounds how many requests are in flight, not their rate.
enum Concurrently {
    /// `work(index)` for every index below `count`, in index order. After the first error no
    /// new job starts; the first error (by index) is thrown once the running ones finish.
    static func map<T>(_ count: Int, width: Int, _ work: @escaping (Int) throws -> T) throws -> [T] {
        let width = min(width, count)
        guard width > 1 else { return try (0..<count).map(work) }
        let pool = Pool<T>(count: count, work: work)
        var threads: [pthread_t] = []
        for _ in 1..<width {
            var thread = pthread_t()
            let worker = Unmanaged.passRetained(Worker(pool.drain)).toOpaque()
            let started = pthread_create(
                &thread, nil,
                { argument in
                    Unmanaged<Worker>.fromOpaque(argument!).takeRetainedValue().body()
                    return nil
                }, worker)
            // A thread that could not start leaves its share to the others.
            if started == 0 { threads.append(thread) } else { Unmanaged<Worker>.fromOpaque(worker).release() }
        }
        pool.drain()
        for thread in threads { pthread_join(thread, nil) }
        return try pool.results()
    }

    /// What one thread runs (not generic: a C start routine captures nothing).
    private final class Worker: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// The jobs and their outcomes, shared by the threads; every access holds `mutex`.
    private final class Pool<T>: @unchecked Sendable {
        private let count: Int
        private let work: (Int) throws -> T
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var next = 0
        private var failed = false
        private var outcomes: [Result<T, any Error>?]

        init(count: Int, work: @escaping (Int) throws -> T) {
            self.count = count
            self.work = work
            outcomes = Array(repeating: nil, count: count)
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        private func locked<R>(_ body: () -> R) -> R {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return body()
        }

        /// Takes jobs until none is left or one failed.
        func drain() {
            while true {
                let index: Int? = locked {
                    guard !failed, next < count else { return nil }
                    defer { next += 1 }
                    return next
                }
                guard let index else { return }
                let outcome = Result { try work(index) }
                locked {
                    outcomes[index] = outcome
                    if case .failure = outcome { failed = true }
                }
            }
        }

        /// The results in order, or the first failure.
        func results() throws -> [T] {
            let outcomes = locked { self.outcomes }
            var results: [T] = []
            results.reserveCapacity(count)
            for outcome in outcomes {
                // A job not run means another one failed, which this loop reaches and throws.
                guard let outcome else { continue }
                results.append(try outcome.get())
            }
            return results
        }
    }
}
