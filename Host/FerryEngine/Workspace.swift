import CFerryPlugin
import FerryCore
import FerryHTTP
import FerryJSON
import FerryLoader
import FerryPluginSDK
import FerryState
import FerryStatePostgres
import Foundation
import Logging

/// Everything one `ferry` invocation works with: the parsed configuration, the
/// state database, and the plugins the selected site needs.
///
/// A plugin is loaded the first time a connection that uses it is opened, and
/// no sooner: `dlopen` runs a library's code, so `ferry status` opens none and
/// `ferry run` only those its pipelines use. A broken connector of another
/// pipeline or site therefore cannot stop this one.
public final class Workspace {
    public let config: FerryConfig
    public let store: any StateStore
    public let site: String
    public let logger: Logger
    public let redactor: Redactor
    public let cancellation = Cancellation()
    /// The rate budgets every connection of this process shares, by name.
    public let budgets: RateBudgetRegistry
    /// Plugins loaded so far, by name.
    public var plugins: [String: LoadedPlugin] { pluginsLock.withLock { loaded } }
    private var loaded: [String: LoadedPlugin] = [:]
    /// The `config` schema of each loaded plugin's spec, by plugin name (absent when it declares none).
    private var configSchemas: [String: JSONValue] = [:]
    /// The loaded plugins whose spec says `previews_writes` (a dry run's writes are previewed).
    private var previewingPlugins: Set<String> = []
    private let pluginsLock = NSLock()
    private let searchPath: PluginSearchPath
    /// When set, every HTTP exchange is saved here, redacted (`ferry run --record DIR`).
    public var recordFolder: String?
    /// When set, every connection's HTTP requests are answered from the exchanges a
    /// recording saved here, and none reaches the network (`ferry run --replay DIR`).
    public var replayFolder: String?
    /// Told of every HTTP attempt of every connection opened from now on (serve's metrics).
    public var httpObserver: (any HTTPTrafficObserver)?
    /// Connections opened so far, so a stop request reaches the plugins too.
    private var openConnections: [WeakConnection] = []
    private let connectionsLock = NSLock()
    /// One line per plugin file that could not be loaded, among those looked at so far.
    public var pluginErrors: [PluginLoadError] { pluginsLock.withLock { errors } }
    private var errors: [PluginLoadError] = []

    /// Loads the configuration and opens the state database; plugins are loaded
    /// when a connection needs them.
    /// - Parameters:
    ///   - configPath: the YAML file.
    ///   - site: the site to act for; nil means the default site (every pipeline).
    ///   - sharedStore: the state store of another site's workspace of the same configuration, to
    ///     use instead of opening one more (`serve` keeps one connection for all its sites).
    public init(
        configPath: String, site: String?, logLevel: Logger.Level = .info, jsonLogs: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment, sharedStore: (any StateStore)? = nil
    ) throws {
        config = try FerryConfig.load(path: configPath, environment: environment)
        if let site, !config.sites.isEmpty, config.sites[site] == nil {
            throw WorkspaceError(
                "config \(config.sourceFile) has no site '\(site)'; sites: \(config.sites.keys.sorted().joined(separator: ", "))"
            )
        }
        self.site = site ?? ""
        let redactor = Redactor(secrets: config.secretValues)
        for connection in config.connections(for: site ?? "").values {
            // Until its plugin is loaded and says which keys are secret (see `plugin(named:)`),
            // a connection's values under secret-looking names are masked, so that commands that
            // load no plugin (`status`) still mask what an earlier run's error may quote.
            redactor.add(Workspace.guessedSecretValues(of: connection.config).values)
            redactor.add(connection.http?.secretValues ?? [])
        }
        // A password in the state URL (config or FERRY_STATE_URL) is masked like any other secret.
        redactor.add(config.stateURL?.secretValues ?? [])
        self.redactor = redactor
        var logger = Logger(label: "ferry") { label in
            ConsoleLogHandler(label: label, level: logLevel, json: jsonLogs, redactor: redactor)
        }
        logger.logLevel = logLevel
        if let site { logger[metadataKey: "site"] = "\(site)" }
        self.logger = logger
        store = try sharedStore ?? Self.openStateStore(config)
        budgets = RateBudgetRegistry(store: store)
        searchPath = PluginSearchPath(
            configFolders: config.pluginPaths, configFile: config.sourceFile, environment: environment)
    }

    /// The plugin named `name`, loaded on first use; nil when no file provides it (see `pluginErrors`).
    func plugin(named name: String) -> LoadedPlugin? {
        pluginsLock.withLock {
            if let known = loaded[name] { return known }
            let discovery = PluginRegistry.discover(searchPath: searchPath, only: [name])
            for plugin in discovery.plugins {
                loaded[plugin.name] = plugin
                let spec = try? PluginSpec.read(plugin)
                configSchemas[plugin.name] = spec?["config"]
                if spec?["previews_writes"]?.boolValue == true { previewingPlugins.insert(plugin.name) }
                maskSecrets(of: plugin.name)
            }
            for error in discovery.errors where !errors.contains(error) {
                errors.append(error)
                logger.warning("Plugin not loaded.", metadata: ["error": "\(error)"])
            }
            return loaded[name]
        }
    }

    /// Opens a connection of the selected site (its config with the site's overrides).
    public func openConnection(_ name: String) throws -> PluginConnection {
        guard let connection = config.connections(for: site)[name] else {
            throw WorkspaceError("no connection named '\(name)' in \(config.sourceFile)")
        }
        return try openConnection(connection)
    }

    /// Opens a connection the configuration need not name (a file given on the command line).
    public func openConnection(_ connection: ConnectionConfig) throws -> PluginConnection {
        let name = connection.name
        guard let plugin = plugin(named: connection.plugin) else {
            guard let reason = pluginErrors.first(where: { $0.description.contains(connection.plugin) }) else {
                // No file provides the name: a mistake in the configuration, which says where.
                throw ConfigError(
                    .unknownReference, at: connection.location, keyPath: "connections.\(name).plugin",
                    message: "unknown plugin '\(connection.plugin)': no plugin file on the search path provides it "
                        + "(searched \(searchPath.existingFolders().map(\.path).joined(separator: ", "))); install it, add its folder to plugin_paths, "
                        + "or fix the name ('ferry plugins' lists what is found)")
            }
            throw WorkspaceError(
                "connection '\(name)' needs plugin '\(connection.plugin)', which is not loaded: \(reason)")
        }
        var logger = self.logger
        logger[metadataKey: "connection"] = "\(name)"
        let cancellation = self.cancellation
        var httpConfig =
            connection.http
            ?? HTTPConnectionConfig(budget: connection.budget.map { HTTPBudgetConfig(name: $0, limits: .init()) })
        if case .oauth2(let tokenURL, var credentials) = httpConfig.auth, let file = credentials.refreshTokenFile,
            !file.hasPrefix("/")
        {
            // Relative to the config file's folder, as file paths in connection configs are.
            credentials.refreshTokenFile =
                URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: config.baseDirectory, isDirectory: true))
                .standardizedFileURL.path
            httpConfig.auth = .oauth2(tokenURL: tokenURL, credentials: credentials)
        }
        var transport: any HTTPTransport = CurlTransport(isCancelled: { cancellation.isCancelled })
        if let replayFolder { transport = try ReplayTransport(folder: replayFolder, connectionName: name) }
        if let recordFolder {
            transport = try RecordingTransport(
                base: transport, folder: recordFolder, connectionName: name, endpoint: httpConfig.endpoint,
                redactor: redactor)
        }
        let http = HTTPService(
            config: httpConfig,
            connectionName: name, transport: transport, store: store,
            stateScope: PluginContext.httpStateScope(site: site, connection: name),
            budgets: budgets, redactor: redactor, logger: logger, isCancelled: { cancellation.isCancelled },
            observer: httpObserver, credentialLookup: PostgresCredentialLookup())
        let schema = pluginsLock.withLock { configSchemas[plugin.name] }
        if let schema {
            // Checked here, before the plugin sees it, so that the error says where in the file.
            if let problem = ConfigSchemaValidator(schema: schema).problems(in: connection.config).first {
                throw problem.error(in: connection)
            }
        }
        let context = PluginContext(
            pluginName: plugin.name, connectionName: name, site: site, logger: logger, store: store,
            secrets: Workspace.secretValues(of: connection.config, schema: schema), cancellation: cancellation,
            http: http)
        let opened: PluginConnection
        do {
            let isolated = connection.isolation == .process ? IsolatedPlugin(plugin: plugin) : nil
            opened = try PluginConnection(
                pluginName: plugin.name, connectionName: name, api: isolated?.api ?? plugin.api,
                config: resolvingPaths(in: connection.config), context: context,
                repeatableReads: plugin.capabilities.contains(.repeatableRead),
                transactionalWrites: plugin.capabilities.contains(.writeTransaction),
                previewsWrites: pluginsLock.withLock { previewingPlugins.contains(plugin.name) }, isolated: isolated)
        } catch let error as PluginCallError where error.status == FERRY_ERR_INVALID {
            // The plugin refused its config (an unknown key, a path that is not a database): point at the connection.
            throw ConfigError(
                .invalidValue, at: connection.location, keyPath: "connections.\(name).config",
                message: "plugin '\(plugin.name)' refused it: \(error.message)")
        }
        connectionsLock.withLock { openConnections.append(WeakConnection(connection: opened)) }
        return opened
    }

    /// Asks everything running to stop at the next batch boundary: sets the
    /// shared cancellation flag plugins poll, and calls each open connection's
    /// `cancel` slot so a plugin blocked in a long call returns early.
    public func cancelAll() {
        cancellation.cancel()
        let connections = connectionsLock.withLock { openConnections.compactMap(\.connection) }
        for connection in connections { connection.cancel() }
    }

    /// Builds a runnable plan for a pipeline: opens its connections, discovers
    /// the source stream for its key and schema, compiles its transforms.
    public func plan(_ pipeline: PipelineConfig) throws -> PipelinePlan {
        let source = try openConnection(pipeline.source.connection)
        let destination = try openConnection(pipeline.destination.connection)
        let stream = try? source.discover().stream(named: pipeline.source.stream)
        let primaryKey = pipeline.primaryKey ?? stream?.primaryKey ?? []
        if !pipeline.outputs.isEmpty && primaryKey.isEmpty {
            throw ConfigError(
                .missingKey, at: pipeline.location, keyPath: "pipelines.\(pipeline.name)",
                message: "a pipeline with outputs needs the source record's key (it groups each record's rows and "
                    + "names its dead letters), and the source declares none; set primary_key")
        }
        if pipeline.write != .append && primaryKey.isEmpty {
            throw ConfigError(
                .missingKey, at: pipeline.location, keyPath: "pipelines.\(pipeline.name)",
                message:
                    "write: \(pipeline.write.rawValue) needs a primary key and the source declares none; set primary_key"
            )
        }
        let transform = try recordTransform(
            pipeline.transforms, keyPath: "pipelines.\(pipeline.name).transforms", location: pipeline.location)
        let id = PipelineID(site: site, pipeline: pipeline.name)
        var plan = PipelinePlan(
            id: id, source: source, sourceStream: pipeline.source.stream,
            destination: destination, destinationStream: pipeline.destination.stream,
            fullSync: pipeline.sync == .full,
            writeMode: pipeline.outputs.isEmpty
                ? PipelinePlan.WriteMode(rawValue: pipeline.write.rawValue) ?? .append : .upsert,
            primaryKey: primaryKey, cursorField: pipeline.cursorField ?? stream?.cursorField,
            lookback: pipeline.lookback,
            batchSize: pipeline.batchSize, failOnReject: pipeline.onError == .fail, transform: transform,
            transformPlugins: try pipeline.transformPlugins.map(openConnection),
            // Transforms reshape records, so the source's schema would describe the wrong columns:
            // the destination then infers them from the records.
            schema: pipeline.transforms.isEmpty && pipeline.transformPlugins.isEmpty ? stream?.schema : nil)
        plan.destinationCursor = pipeline.destinationCursor
        plan.changeDetection = pipeline.changeDetection
        plan.mirrorOnly = MirrorOnlyFields(pipeline.mirrorOnly)
        plan.commitLimits = CommitLimits(records: pipeline.commitRecords, seconds: Double(pipeline.commitSeconds))
        plan.readAheadBytes = pipeline.readAheadMiB << 20
        plan.maxDelete = pipeline.maxDelete
        plan.sourceReadsByID = stream?.readsByID ?? false
        plan.since = pipeline.since
        plan.until = pipeline.until
        plan.timeZone = pipeline.timeZone.flatMap(TimeZone.init(identifier:))
        if !pipeline.outputs.isEmpty {
            plan.outputs = try outputPlans(of: pipeline, destination: destination, sourceKey: primaryKey)
            plan.schema = nil
        }
        if let settings = pipeline.conflicts {
            let readFrom = settings.readFrom ?? pipeline.destination
            plan.conflicts = ConflictPlan(
                settings: settings, connection: try openConnection(readFrom.connection),
                stream: readFrom.stream, keyFields: primaryKey)
            plan.conflicts?.destinationTransform = try recordTransform(
                settings.destinationTransforms, keyPath: "pipelines.\(pipeline.name).conflicts.destination_transforms",
                location: pipeline.location)
        }
        plan.idMapMirrors = try config.idMapMirrors.filter(\.enabled).map {
            IDMapMirror(config: $0, table: try openConnection($0.table.connection), store: store, site: site)
        }
        return plan
    }

    /// The pipelines the selected site runs, optionally narrowed to `names`.
    /// The site's pipelines, or the ones named, in the order they must run (`after:`).
    public func pipelines(named names: [String]) throws -> [PipelineConfig] {
        let available = try config.pipelines(for: site.isEmpty ? nil : site)
        guard !names.isEmpty else { return try PipelineOrder.sorted(available) }
        return try PipelineOrder.sorted(
            try names.map { name in
                guard let pipeline = available.first(where: { $0.name == name }) else {
                    throw WorkspaceError(
                        "no pipeline named '\(name)'\(site.isEmpty ? "" : " for site '\(site)'"); "
                            + "available: \(available.map(\.name).joined(separator: ", "))")
                }
                return pipeline
            })
    }

    /// Makes relative file paths in a connection's config relative to the
    /// config file's folder rather than to wherever `ferry` was started (cron
    /// runs from `/`): top-level string values under `path` or a key ending in
    /// `_path`, `_file` or `_dir`.
    func resolvingPaths(in connectionConfig: JSONObject) -> JSONObject {
        var resolved = connectionConfig
        for (key, value) in connectionConfig
        where key == "path" || key.hasSuffix("_path") || key.hasSuffix("_file") || key.hasSuffix("_dir") {
            guard let text = value.stringValue, !text.isEmpty, !text.hasPrefix("/"), !text.contains("://") else {
                continue
            }
            resolved[key] = .string(
                URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: config.baseDirectory, isDirectory: true))
                    .standardizedFileURL.path)
        }
        return resolved
    }

    /// Masks the secret values of every connection of the site served by `pluginName`, as its
    /// schema marks them. Called with `pluginsLock` held, once the plugin is loaded.
    private func maskSecrets(of pluginName: String) {
        guard let schema = configSchemas[pluginName] else { return }
        for connection in config.connections(for: site).values where connection.plugin == pluginName {
            redactor.add(ConfigSecrets.values(in: connection.config, schema: schema).values)
        }
    }

    /// Values in a connection config that must never be printed, by key: those under keys the
    /// plugin's schema marks secret, or, for a plugin without a schema, whose key names a secret.
    /// They are also what `secret_get` serves.
    static func secretValues(of config: JSONObject, schema: JSONValue?) -> [String: String] {
        guard let schema else { return guessedSecretValues(of: config) }
        return ConfigSecrets.values(in: config, schema: schema)
    }

    /// Values whose key names a secret (`api_key`, `password`; not `primary_key`): the mask used
    /// before the plugin says which keys are secret.
    static func guessedSecretValues(of config: JSONObject) -> [String: String] {
        var secrets: [String: String] = [:]
        for (key, value) in config {
            if let text = value.stringValue, FerryConfig.isSecretName(key) { secrets[key] = text }
        }
        return secrets
    }
}

/// A connection the workspace does not keep alive.
private struct WeakConnection {
    weak var connection: PluginConnection?
}

/// A problem with what the user asked for, in one line.
public struct WorkspaceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
