import CFerryPlugin

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Opens plugin libraries, validates their descriptor and table, and turns
/// every failure into a one-line `PluginLoadError`.
///
/// Libraries are opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and are
/// **never closed**: unloading a Swift plugin crashed the host in both runtime
/// set-ups that were tried (its runtime metadata and type caches stay
/// referenced from the host's runtime), and a C plugin may have started
/// threads. `RTLD_LOCAL` keeps one plugin's symbols from binding to another's;
/// `RTLD_NOW` reports unresolved symbols at load time instead of as a crash
/// mid-run. Reloading a plugin means restarting the process.
public struct PluginLoader: Sendable {
    /// The entry symbol of ABI major 1.
    public static let entrySymbol = "ferry_plugin_v1"

    /// The lowest ABI minor a plugin may implement to be accepted.
    public var minimumMinor: UInt32
    /// The minor the host implements and passes to `init`.
    public var hostMinor: UInt32

    /// Creates a loader.
    ///
    /// - Parameters:
    ///   - minimumMinor: the floor for a plugin's `abi_minor` (default 0: every 1.x).
    ///   - hostMinor: the host's minor, `FERRY_ABI_MINOR` unless testing.
    public init(minimumMinor: UInt32 = 0, hostMinor: UInt32 = UInt32(FERRY_ABI_MINOR)) {
        self.minimumMinor = minimumMinor
        self.hostMinor = hostMinor
    }

    /// Opens the library at `path` (once per file per process), calls its entry
    /// point and validates the descriptor, without calling `init`.
    ///
    /// The file is opened once and checked through its descriptor, which is what
    /// `dlopen` loads (see `PluginFile`).
    ///
    /// - Parameter path: the plugin file.
    /// - Returns: the descriptor's facts and its raw pointer.
    /// - Throws: `PluginLoadError` naming the file and the problem.
    public func probe(path: String) throws(PluginLoadError) -> PluginProbe {
        let file = try PluginFile.open(path)
        var loaded = false
        defer {
            // A file known from an earlier load, or refused before dlopen, needs no descriptor kept.
            if !loaded { file.discard() }
        }
        let address = try PluginLibraryCache.shared.descriptor(identity: file.identity) {
            () throws(PluginLoadError) -> UInt in
            try Self.openLibrary(file, loaded: &loaded)
        }
        guard let raw = UnsafePointer<ferry_plugin_descriptor>(bitPattern: address) else {
            throw PluginLoadError(
                path: path, kind: .invalidDescriptor, problem: "\(Self.entrySymbol)() returned NULL",
                hint: "the entry point must return a static descriptor")
        }
        let descriptor = try validateDescriptor(raw, path: path)
        return PluginProbe(path: path, descriptor: descriptor, rawDescriptor: raw)
    }

    /// Calls the plugin's `init` (once per process) and validates the table.
    ///
    /// - Parameter probe: a descriptor `probe(path:)` accepted.
    /// - Returns: the plugin, ready for the engine.
    /// - Throws: `PluginLoadError` when `init` fails or the table is invalid.
    public func initialize(_ probe: PluginProbe) throws(PluginLoadError) -> LoadedPlugin {
        let raw = probe.rawDescriptor
        let hostMinor = hostMinor
        let address = try PluginLibraryCache.shared.table(descriptor: UInt(bitPattern: raw)) {
            () throws(PluginLoadError) -> UInt in
            try Self.callInit(raw, hostMinor: hostMinor, path: probe.path)
        }
        guard let api = UnsafePointer<ferry_plugin_api>(bitPattern: address) else {
            throw PluginLoadError(
                path: probe.path, kind: .invalidTable, problem: "init returned FERRY_OK but no plugin table",
                hint: "init must set *out_api")
        }
        let minor = try validateTable(api, descriptor: probe.descriptor, path: probe.path)
        return LoadedPlugin(probe: probe, abiMinor: minor, api: api)
    }

    /// Probes and initialises the plugin at `path`.
    ///
    /// - Parameter path: the plugin file.
    /// - Throws: `PluginLoadError` naming the file and the problem.
    public func load(path: String) throws(PluginLoadError) -> LoadedPlugin {
        try initialize(probe(path: path))
    }

    // MARK: Opening

    /// Checks the ELF header, `dlopen`s the checked descriptor, finds and calls the entry point.
    /// Sets `loaded` once `dlopen` succeeded: from then on the descriptor must stay open.
    private static func openLibrary(_ file: PluginFile, loaded: inout Bool) throws(PluginLoadError) -> UInt {
        let path = file.path
        try ELFHeader.read(descriptor: file.descriptor, path: path).checkLoadable(path: path)
        _ = dlerror()
        guard let handle = dlopen(file.loadPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw dlopenError(path: path, names: [file.loadPath, file.canonicalPath, path])
        }
        loaded = true
        // Never dlclose(handle): see the type's documentation.
        guard let symbol = dlsym(handle, entrySymbol) else {
            throw PluginLoadError(
                path: path, kind: .noEntrySymbol, problem: "not a Ferry plugin: no symbol '\(entrySymbol)'",
                hint: "was it built with FERRY_EXPORT / a public @c entry?")
        }
        let entry = unsafeBitCast(symbol, to: ferry_plugin_entry_fn.self)
        return UInt(bitPattern: entry())
    }

    /// Classifies `dlerror()` after a failed `dlopen`, keeping its text.
    private static func dlopenError(path: String, names: [String]) -> PluginLoadError {
        var text = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
        for prefix in names.map({ $0 + ": " }) where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
        }
        if text.contains("position-independent executable") {
            return PluginLoadError(
                path: path, kind: .notSharedLibrary, problem: "an executable, not a shared library (\(text))",
                hint: "build the plugin with -shared -fPIC")
        }
        if text.contains("cannot open shared object file") {
            return PluginLoadError(
                path: path, kind: .missingDependency, problem: "missing dependency: \(text)",
                hint: "install that library or fix the plugin's rpath; ldd \(path) lists what is missing")
        }
        if text.contains("undefined symbol") || text.contains("symbol lookup error") {
            return PluginLoadError(
                path: path, kind: .unresolvedSymbol, problem: "unresolved symbol: \(text)",
                hint: "link the library that defines it into the plugin")
        }
        return PluginLoadError(
            path: path, kind: .loadFailed, problem: "dlopen failed: \(text)",
            hint: "check the file with ldd and readelf -d")
    }
}
