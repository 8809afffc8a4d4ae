import CFerryPlugin
import FerryHTTP
import FerryJSON
import FerryLoader
import FerryPluginSDK
import Foundation

/// The conformance suite `ferry plugins test PATH.so` runs against any plugin file:
/// the spec is a JSON Schema, each role keeps its contract (docs/plugin-abi.md),
/// batches are well formed, checkpoints round-trip, cancellation is honoured, errors
/// carry their status and a message, and every release marks its struct released.
/// Each check runs on a fresh instance, so one failure does not hide the next.
public struct ConformanceKit {
    /// The connection config (a JSON object's text) every instance is opened with.
    public var config: String
    /// The stream to read; nil: the first one `discover` lists.
    public var stream: String?
    /// Records per batch asked of a source: small, so that a short stream still spans batches.
    public var batchSize = 7
    /// The most records a source check reads, so that an endless stream ends.
    public var recordLimit = 5_000
    /// Makes the service answering the plugin's HTTP requests (`--replay`: from a recording)
    /// for one host, given that host's cancellation flag; none by default.
    public var makeHTTP: HTTPFactory?
    /// Only the checks of this role (a plugin that is both a source and a destination tested as one).
    public var role: PluginCapabilities?

    /// Told the name of each check as it starts (`ferry plugins test` keeps it in a file,
    /// to name the check a crash happened in).
    public var onCheck: ((String) -> Void)?

    public typealias HTTPFactory = @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) -> HTTPService

    /// - Parameters:
    ///   - config: the connection config as JSON text (default `{}`).
    ///   - stream: the stream to read (default: the first discovered).
    public init(config: String = "{}", stream: String? = nil) {
        self.config = config
        self.stream = stream
    }

    /// Runs every check that applies to `plugin`, in order.
    public func run(_ plugin: LoadedPlugin) -> [KitResult] {
        let subject = PluginUnderTest(plugin)
        var results: [KitResult] = []
        func record(_ check: String, _ body: () throws -> KitResult.Outcome) {
            onCheck?(check)
            do { results.append(KitResult(check: check, outcome: try body())) } catch let error as NoStream {
                results.append(KitResult(check: check, outcome: .skipped("\(error)")))
            } catch {
                results.append(KitResult(check: check, outcome: .failed("\(error)")))
            }
        }
        record("spec") { try checkSpec(subject) }
        record("open") { try checkOpen(subject) }
        let capabilities =
            role.map { plugin.capabilities.subtracting(PluginCapabilities.roles.subtracting($0)) }
            ?? plugin.capabilities
        var source: SourceRun?
        if capabilities.contains(.source) {
            record("discover") { try checkDiscover(subject) }
            record("read") {
                let run = try readWhole(subject)
                source = run
                return run.problem.map { .failed($0) } ?? .passed
            }
            record("checkpoints") {
                guard let source, source.problem == nil else { return .skipped("the read check did not pass") }
                return try checkCheckpoints(subject, source)
            }
            record("cancel") { try checkCancel(subject) }
            record("unknown stream") { try checkUnknownStream(subject) }
        }
        let sample = source.map { Array($0.batches.flatMap(\.lines).prefix(20)) }.flatMap { $0.isEmpty ? nil : $0 }
        if capabilities.contains(.destination) {
            record("write") { try checkWrite(subject, records: sample ?? Self.sampleRecords) }
        }
        if capabilities.contains(.transform) {
            record("transform") { try checkTransform(subject, records: sample ?? Self.sampleRecords) }
        }
        record("errors") {
            subject.errorBreaches.isEmpty
                ? .passed : .failed(Self.unique(subject.errorBreaches).joined(separator: "; "))
        }
        record("memory") {
            subject.releaseBreaches.isEmpty
                ? .passed : .failed(Self.unique(subject.releaseBreaches).joined(separator: "; "))
        }
        record("leaks") {
            if capabilities.contains(.source) {
                guard let source, source.problem == nil else { return .skipped("the read check did not pass") }
                return try checkLeaks("reading '\(source.stream)' whole") {
                    try readWhole(subject).batches.reduce(0) { $0 + $1.count }
                }
            }
            guard capabilities.contains(.destination) else { return .skipped("not a source or a destination") }
            let records = sample ?? Self.sampleRecords
            return try checkLeaks("writing \(records.count) records") {
                _ = try checkWrite(subject, records: records)
                return records.count
            }
        }
        return results
    }

    /// Records a destination or transform gets when the plugin is not also a source.
    static let sampleRecords = (1...5).map { #"{"id":\#($0),"name":"kit \#($0)","updated_at":\#(1_700_000_000 + $0)}"# }

    static func unique(_ lines: [String]) -> [String] {
        var seen = Set<String>()
        return lines.filter { seen.insert($0).inserted }
    }

    /// Opens an instance on a fresh host, runs `body`, closes it.
    func withInstance<T>(_ subject: PluginUnderTest, _ body: (OpaquePointer, KitHost) throws -> T) throws -> T {
        let host = KitHost(makeHTTP: makeHTTP)
        // The plugin holds the host's context until close: keep the host alive that long.
        return try withExtendedLifetime(host) {
            let instance = try subject.open(config: config, host: host)
            defer { subject.close(instance) }
            return try body(instance, host)
        }
    }

    // MARK: spec and open

    func checkSpec(_ subject: PluginUnderTest) throws -> KitResult.Outcome {
        let text = try subject.spec()
        let spec: JSONValue
        do { spec = try JSONValue(parsing: text) } catch { return .failed("spec is not valid JSON: \(error)") }
        guard let schema = spec["config"] else { return .failed(#"spec has no "config" (the config's JSON Schema)"#) }
        if let problem = SchemaShape.problem(schema, at: "config") { return .failed("spec: \(problem)") }
        return .passed
    }

    func checkOpen(_ subject: PluginUnderTest) throws -> KitResult.Outcome {
        try withInstance(subject) { instance, _ in
            if subject.plugin.api.pointee.check != nil {
                let text = try subject.report("check", instance) { subject.plugin.api.pointee.check!($0, $1, $2) }
                guard let report = try? JSONValue(parsing: text), report["ok"]?.boolValue != nil else {
                    return .failed(#"check did not answer a JSON object with a boolean "ok": \#(text.prefix(200))"#)
                }
            }
            // A config that is not an object must be refused, with the error contract kept.
            var refused: CallFailure?
            let refusingHost = KitHost()
            do {
                try withExtendedLifetime(refusingHost) {
                    subject.close(try subject.open(config: "[1]", host: refusingHost))
                }
            } catch let failure as CallFailure {
                refused = failure
            }
            guard let refused else { return .failed("open accepted a config that is not a JSON object ([1])") }
            guard refused.status == FERRY_ERR_INVALID else {
                return .failed(
                    "open refused a config that is not an object with \(FerryStatus.name(of: refused.status)), expected invalid"
                )
            }
            return .passed
        }
    }
}
