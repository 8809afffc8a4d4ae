import Synchronization

/// The process-wide memory of opened plugin libraries and initialised tables.
///
/// `dlopen` state is global to the process, libraries are never unloaded and
/// `init` may be called only once per plugin, so this cache is one shared
/// instance: each file (device and inode) is opened once per process, each
/// descriptor's `init` runs once, and failures are remembered too.
final class PluginLibraryCache: Sendable {
    /// The one cache of the process.
    static let shared = PluginLibraryCache()

    private struct State {
        /// `device:inode` → the descriptor's address, or why there is none.
        var descriptors: [String: Result<UInt, PluginLoadError>] = [:]
        /// Descriptor address → the table's address, or why `init` failed.
        var tables: [UInt: Result<UInt, PluginLoadError>] = [:]
    }

    private let state = Mutex(State())

    /// The descriptor address of the library whose file is `identity`, opening it
    /// with `open` the first time.
    ///
    /// - Parameters:
    ///   - identity: the file's `device:inode` (the cache key), so that two names
    ///     of one file share one load and a file swapped in under an old name does not.
    ///   - open: opens the library and calls its entry point.
    func descriptor(
        identity: String, open: () throws(PluginLoadError) -> UInt
    ) throws(PluginLoadError) -> UInt {
        let result: Result<UInt, PluginLoadError> = state.withLock { state in
            if let known = state.descriptors[identity] { return known }
            let fresh: Result<UInt, PluginLoadError>
            do throws(PluginLoadError) { fresh = .success(try open()) } catch { fresh = .failure(error) }
            state.descriptors[identity] = fresh
            return fresh
        }
        return try result.get()
    }

    /// The table address `init` returned for the descriptor at `descriptor`,
    /// calling `initialize` the first time.
    ///
    /// - Parameters:
    ///   - descriptor: the descriptor's address (the cache key).
    ///   - initialize: calls the plugin's `init`.
    func table(
        descriptor: UInt, initialize: () throws(PluginLoadError) -> UInt
    ) throws(PluginLoadError) -> UInt {
        let result: Result<UInt, PluginLoadError> = state.withLock { state in
            if let known = state.tables[descriptor] { return known }
            let fresh: Result<UInt, PluginLoadError>
            do throws(PluginLoadError) { fresh = .success(try initialize()) } catch { fresh = .failure(error) }
            state.tables[descriptor] = fresh
            return fresh
        }
        return try result.get()
    }
}
