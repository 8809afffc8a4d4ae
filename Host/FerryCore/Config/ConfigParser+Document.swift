import FerryJSON
import Foundation
import Logging
import Yams

extension ConfigParser {
    static let topLevelKeys = [
        "version", "state", "state_cache_mib", "plugin_paths", "log_level", "connections", "pipelines", "sites",
        "allowed_env", "reports", "id_map_mirrors",
    ]
    static let connectionKeys = ["plugin", "config", "budget", "http", "isolation"]
    static let pipelineKeys = [
        "source", "destination", "sync", "write", "primary_key", "cursor_field", "lookback", "batch_size",
        "commit_records", "commit_seconds", "read_ahead_mib",
        "on_error", "transforms", "transform_plugins", "schedule", "full_schedule", "destination_cursor",
        "change_detection",
        "max_delete", "after", "enabled",
        "conflicts", "since", "until", "timezone", "outputs", "mirror_only",
    ]
    static let endpointKeys = ["connection", "stream"]
    static let siteKeys = ["pipelines", "connections"]

    /// Parses a whole document into a config whose paths resolve against `baseDirectory`.
    func document(yaml: String, baseDirectory: String) throws -> FerryConfig {
        let start = SourceLocation(file: file, line: 1, column: 1)
        let composed: Node?
        do {
            // Typed by YAMLScalarType: the default resolver would compile its expressions on ICU.
            composed = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw diagnose(error, yaml: yaml)
        }
        guard let root = composed, !Self.isNull(root) else {
            throw ConfigError(
                .emptyFile, at: start,
                message: "the configuration is empty; it needs at least 'connections' and 'pipelines'")
        }
        try checkExpansion(root)
        let top = try mapping(
            Field(node: root, path: "", location: location(root.mark, or: start)), allowed: Self.topLevelKeys)

        // Before any other value is expanded: it decides which ${VAR} may be read.
        if let field = top.optional("allowed_env") { try allowedEnvironment(field) }

        var version = FerryConfig.currentVersion
        if let field = top.optional("version") {
            version = try integer(field)
            guard version == FerryConfig.currentVersion else {
                throw failure(
                    .invalidValue, field,
                    "unsupported version \(version); this Ferry reads version \(FerryConfig.currentVersion)")
            }
        }
        let home = interpolator.environment["HOME"]
        let state = try stateLocation(top.optional("state"), home: home, baseDirectory: baseDirectory)
        let stateCacheMiB =
            try top.optional("state_cache_mib").map { try integer($0, in: FerryConfig.stateCacheMiBRange) }
            ?? FerryConfig.defaultStateCacheMiB
        let pluginPaths = try top.optional("plugin_paths").map(strings)?.map(\.value) ?? []
        let logLevel = try top.optional("log_level").map { try choice($0, Logger.Level.self) }

        let connectionList = try named(required(top, "connections"), what: "connection") { name, field in
            try connection(name, field)
        }
        let connections = Dictionary(uniqueKeysWithValues: connectionList.map { ($0.name, $0) })
        let connectionNames = connectionList.map(\.name)
        let pipelinesField = try required(top, "pipelines")
        let pipelineNames = try mapping(pipelinesField).entries.map(\.key)
        let parsed = try named(pipelinesField, what: "pipeline") { name, field in
            try pipeline(name, field, connections: connectionNames, pipelines: pipelineNames)
        }
        let pipelines = Self.withoutDisabled(parsed)
        do {
            _ = try PipelineOrder.sorted(pipelines)
        } catch let cycle as PipelineCycle {
            let first = pipelines.first { $0.name == cycle.names[0] }
            throw ConfigError(
                .invalidValue, at: first?.location ?? pipelinesField.location,
                keyPath: "pipelines.\(cycle.names[0]).after", message: cycle.description)
        }
        let sites =
            try top.optional("sites").map { sitesField in
                try named(sitesField, what: "site") { name, field -> SiteConfig in
                    var site = try site(name, field, pipelines: parsed.map(\.name), connections: connectionNames)
                    site.pipelines = site.pipelines?.filter { name in pipelines.contains { $0.name == name } }
                    return site
                }
            } ?? []

        let reports =
            try top.optional("reports").map { reportsField in
                try named(reportsField, what: "report") { name, field in
                    try report(name, field, connections: connectionNames)
                }
            } ?? []
        let mirrors = try top.optional("id_map_mirrors").map { try idMapMirrors($0, connections: connectionNames) }

        var config = FerryConfig(
            version: version, sourceFile: file, baseDirectory: baseDirectory,
            statePath: state,
            pluginPaths: pluginPaths.map { Self.absolutePath($0, base: baseDirectory, home: home) },
            logLevel: logLevel, connections: connections, pipelines: pipelines,
            sites: Dictionary(uniqueKeysWithValues: sites.map { ($0.name, $0) }),
            secretValues: interpolator.secretValues)
        config.reports = Dictionary(uniqueKeysWithValues: reports.map { ($0.name, $0) })
        config.idMapMirrors = mirrors ?? []
        config.stateCacheMiB = stateCacheMiB
        return config
    }

    /// Reads `allowed_env` (literal names and `PREFIX_*` rules, never expanded) into the interpolator.
    func allowedEnvironment(_ field: Field) throws {
        let entries = try sequence(field, expected: "a list of variable names and PREFIX_* rules").map { entry in
            guard case .scalar(let scalar) = entry.node, EnvironmentAllowList.isValid(scalar.string) else {
                throw mismatch(entry, expected: "a variable name or a PREFIX_* rule")
            }
            return scalar.string
        }
        interpolator.allowLists.append(EnvironmentAllowList(patterns: entries))
    }

    /// The entries of a name-keyed mapping (`connections:`, `pipelines:`, `sites:`), each parsed by `body`.
    func named<Value>(_ field: Field, what: String, _ body: (String, Field) throws -> Value) throws -> [Value] {
        let fields = try mapping(field)
        return try fields.entries.map { key, entry in
            guard !key.isEmpty else { throw failure(.invalidValue, entry, "a \(what) name must not be empty") }
            return try body(key, entry)
        }
    }

    func connection(_ name: String, _ field: Field) throws -> ConnectionConfig {
        let fields = try mapping(field, allowed: Self.connectionKeys)
        let budget = try fields.optional("budget").map(string)
        var connection = ConnectionConfig(
            name: name,
            plugin: try string(required(fields, "plugin")),
            config: try fields.optional("config").map(object) ?? JSONObject(),
            budget: budget,
            http: try fields.optional("http").map { try http($0, budgetName: budget) },
            isolation: try fields.optional("isolation").map { try choice($0, PluginIsolation.self) } ?? .inProcess,
            location: field.location)
        if let configField = fields.optional("config") {
            connection.configLocations = valueLocations(under: configField.path)
            connection.configLocations[""] = configField.location
        }
        return connection
    }

    /// The locations recorded below `path`, keyed by their path relative to it (`streams[0].path`).
    func valueLocations(under path: String) -> [String: SourceLocation] {
        var found: [String: SourceLocation] = [:]
        for (key, location) in valueLocations where key.hasPrefix(path) {
            let rest = key.dropFirst(path.count)
            if rest.hasPrefix(".") { found[String(rest.dropFirst())] = location }
            if rest.hasPrefix("[") { found[String(rest)] = location }
        }
        return found
    }

    func pipeline(_ name: String, _ field: Field, connections: [String], pipelines: [String]) throws -> PipelineConfig {
        let fields = try mapping(field, allowed: Self.pipelineKeys)
        let source = try endpoint(required(fields, "source"), connections: connections, defaultStream: nil)
        let outputsField = fields.optional("outputs")
        if outputsField != nil, let given = fields.optional("destination") {
            throw failure(
                .invalidValue, given, "give either destination (one table) or outputs (several, fan-out), not both")
        }
        // A fan-out pipeline's destination is its first output's, set once the outputs are parsed.
        let destination =
            outputsField != nil
            ? PipelineConfig.Endpoint(connection: "", stream: "", location: field.location)
            : try endpoint(required(fields, "destination"), connections: connections, defaultStream: source.stream)
        var pipeline = PipelineConfig(name: name, source: source, destination: destination, location: field.location)

        if let field = fields.optional("sync") { pipeline.sync = try choice(field, PipelineConfig.SyncMode.self) }
        if let field = fields.optional("write") { pipeline.write = try choice(field, PipelineConfig.WriteMode.self) }
        if let field = fields.optional("on_error") {
            pipeline.onError = try choice(field, PipelineConfig.ErrorPolicy.self)
        }
        if let field = fields.optional("primary_key") {
            let names = try strings(field).map(\.value)
            guard !names.isEmpty else {
                throw failure(
                    .invalidValue, field, "must name at least one field; leave primary_key out to use the source's key")
            }
            pipeline.primaryKey = names
        }
        pipeline.cursorField = try fields.optional("cursor_field").map(string)
        pipeline.lookback = try fields.optional("lookback").map(duration)
        pipeline.since = try fields.optional("since").map(dateBound)
        pipeline.until = try fields.optional("until").map(dateBound)
        if let field = fields.optional("timezone") {
            let name = try string(field)
            guard TimeZone(identifier: name) != nil else {
                throw failure(.invalidValue, field, "expected an IANA time zone such as Europe/Helsinki, got '\(name)'")
            }
            pipeline.timeZone = name
        }
        if let field = fields.optional("batch_size") {
            pipeline.batchSize = try integer(field, in: PipelineConfig.batchSizeRange)
        }
        if let field = fields.optional("commit_records") {
            pipeline.commitRecords = try integer(field, in: PipelineConfig.commitRecordsRange)
        }
        if let field = fields.optional("commit_seconds") {
            let seconds = try duration(field)
            guard seconds > 0 else { throw failure(.invalidValue, field, "must be at least 1s, got 0") }
            pipeline.commitSeconds = seconds
        }
        if let field = fields.optional("read_ahead_mib") {
            pipeline.readAheadMiB = try integer(field, in: PipelineConfig.readAheadMiBRange)
        }
        if let field = fields.optional("transforms") { pipeline.transforms = try transformSteps(field) }
        if let field = fields.optional("transform_plugins") {
            pipeline.transformPlugins = try strings(field).map { name, element in
                guard connections.contains(name) else {
                    throw unknownReference(element, "connection", name, known: connections)
                }
                return name
            }
        }
        if let field = fields.optional("schedule") { pipeline.schedule = try schedule(field) }
        if let field = fields.optional("full_schedule") { pipeline.fullSchedule = try schedule(field) }
        pipeline.destinationCursor = try fields.optional("destination_cursor").map(string)
        if let field = fields.optional("change_detection") {
            pipeline.changeDetection = try boolean(field)
            if !pipeline.changeDetection && pipeline.write == .mirror {
                throw failure(
                    .invalidValue, field,
                    "must be true with write: mirror, which finds deletions through the stored record hashes")
            }
        }
        if let field = fields.optional("max_delete") { pipeline.maxDelete = try deleteLimit(field) }
        if let field = fields.optional("enabled") { pipeline.enabled = try boolean(field) }
        if let field = fields.optional("after") {
            pipeline.after = try strings(field).map { other, element in
                guard pipelines.contains(other) else {
                    throw unknownReference(element, "pipeline", other, known: pipelines)
                }
                guard other != name else { throw failure(.invalidValue, element, "a pipeline cannot run after itself") }
                return other
            }
        }
        if let field = fields.optional("conflicts") {
            pipeline.conflicts = try conflicts(field, pipeline: pipeline, connections: connections)
        }
        if let field = fields.optional("mirror_only") {
            guard outputsField == nil else {
                throw failure(.invalidValue, field, "goes on each output of a fan-out pipeline, not on the pipeline")
            }
            guard pipeline.conflicts == nil else {
                throw failure(
                    .invalidValue, field,
                    "cannot be used with conflicts: the merge would compare fields the destination never holds")
            }
            pipeline.mirrorOnly = try mirrorOnlyFields(field, primaryKey: pipeline.primaryKey)
        }
        if let outputsField {
            pipeline.outputs = try outputs(outputsField, pipeline: pipeline, connections: connections)
            pipeline.destination = pipeline.outputs[0].destination
        }
        return pipeline
    }

    /// The pipelines that are not turned off (`enabled: false`), none of them waiting for one that is.
    static func withoutDisabled(_ pipelines: [PipelineConfig]) -> [PipelineConfig] {
        let disabled = Set(pipelines.filter { !$0.enabled }.map(\.name))
        return pipelines.filter(\.enabled).map { pipeline in
            var pipeline = pipeline
            pipeline.after.removeAll { disabled.contains($0) }
            return pipeline
        }
    }

    /// `max_delete`: a whole number of records, or a share written `N%` (0–100).
    func deleteLimit(_ field: Field) throws -> DeleteLimit {
        let text = try string(field)
        guard let limit = DeleteLimit(parsing: text) else {
            throw failure(
                .invalidValue, field,
                "must be a whole number of records (0 or more) or a share from 0% to 100%, got '\(text)'")
        }
        return limit
    }

    func endpoint(_ field: Field, connections: [String], defaultStream: String?) throws -> PipelineConfig.Endpoint {
        let fields = try mapping(field, allowed: Self.endpointKeys)
        let connectionField = try required(fields, "connection")
        let connection = try string(connectionField)
        guard connections.contains(connection) else {
            throw unknownReference(connectionField, "connection", connection, known: connections)
        }
        let stream: String
        if let defaultStream {
            stream = try fields.optional("stream").map(string) ?? defaultStream
        } else {
            stream = try string(required(fields, "stream"))
        }
        return PipelineConfig.Endpoint(connection: connection, stream: stream, location: field.location)
    }

    func site(_ name: String, _ field: Field, pipelines: [String], connections: [String]) throws -> SiteConfig {
        var site = SiteConfig(name: name, location: field.location)
        if Self.isNull(field.node) { return site }
        let fields = try mapping(field, allowed: Self.siteKeys)
        if let field = fields.optional("pipelines") {
            site.pipelines = try strings(field).map { name, element in
                guard pipelines.contains(name) else {
                    throw unknownReference(element, "pipeline", name, known: pipelines)
                }
                return name
            }
        }
        if let field = fields.optional("connections") {
            for (name, entry) in try mapping(field).entries {
                guard connections.contains(name) else {
                    throw unknownReference(entry, "connection", name, known: connections)
                }
                if Self.isNull(entry.node) { continue }
                guard case .mapping = entry.node else {
                    throw mismatch(entry, expected: "a mapping of config overrides")
                }
                site.connectionOverrides[name] = try object(entry)
            }
        }
        return site
    }

    /// A duration such as `90s`, `15m`, `2h` or `7d`, in seconds.
    func duration(_ field: Field) throws -> Int {
        let text = try string(field)
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), text.count > 1,
            text.dropLast().allSatisfy(\.isASCII), text.dropLast().allSatisfy(\.isNumber),
            let amount = Int(text.dropLast())
        else {
            throw failure(.invalidValue, field, "expected a duration such as 90s, 15m, 2h or 7d, got '\(text)'")
        }
        let (seconds, overflow) = amount.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw failure(.invalidValue, field, "duration '\(text)' is too long") }
        return seconds
    }

    /// A `since`/`until` value (``DateBound``), kept as written: relative ones resolve per run.
    func dateBound(_ field: Field) throws -> String {
        let text = try string(field)
        guard DateBound(parsing: text) != nil else {
            throw failure(.invalidValue, field, "expected \(DateBound.forms), got '\(text)'")
        }
        return text
    }

    /// A five-field cron expression, optionally after `CRON_TZ=Zone` (or `TZ=Zone`),
    /// checked for shape only (`ferry serve` checks the fields and the zone).
    func schedule(_ field: Field) throws -> String {
        let text = try string(field)
        let fields = text.replacing(#/^\s*(CRON_)?TZ=\S+\s+/#, with: "", maxReplacements: 1)
        let parts = fields.split(whereSeparator: \.isWhitespace)
        let allowed = Set("0123456789*/,-?LW#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        guard parts.count == 5, parts.allSatisfy({ $0.allSatisfy(allowed.contains) }) else {
            throw failure(
                .invalidValue, field,
                "expected a cron expression with 5 fields (minute hour day-of-month month day-of-week), got '\(text)'")
        }
        return text
    }

    /// `path` made absolute: `~/` expands to `home`, relative paths resolve against `base`.
    static func absolutePath(_ path: String, base: String, home: String?) -> String {
        var path = path
        if let home, path == "~" || path.hasPrefix("~/") { path = home + path.dropFirst() }
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
        return url.standardizedFileURL.path
    }
}
