import FerryJSON
import Foundation
import Logging

/// A loaded `ferry.yaml`: connections, pipelines and sites, validated and interpolated.
///
/// Load one with ``load(path:environment:)``; tests can use ``parse(yaml:file:environment:dotEnv:)``.
/// Paths (``statePath``, ``pluginPaths``) are already absolute, resolved against the
/// folder holding the config file.
public struct FerryConfig: Sendable, Equatable {
    /// The only config format version so far.
    public static let currentVersion = 1
    /// The state database's file name when `state:` is absent.
    public static let defaultStatePath = "ferry-state.db"
    /// The name of the implicit site used when a config defines no `sites:`.
    public static let defaultSiteName = ""

    /// The config format version (always 1 for now).
    public var version: Int
    /// The config file as it was named when loading (used in every error message).
    public var sourceFile: String
    /// The absolute folder holding the config file; relative paths resolve against it.
    public var baseDirectory: String
    /// The absolute path of the state database, or a `postgres://` URL (see ``stateURL``),
    /// which may hold a password: show ``stateDescription`` instead.
    public var statePath: String
    /// The SQLite state database's page cache, in MiB (`state_cache_mib`): the most memory its
    /// change-detection hash lookups use; it grows only as used. Ignored for a PostgreSQL state.
    public var stateCacheMiB = FerryConfig.defaultStateCacheMiB
    /// The default `state_cache_mib`. Hashes are written and looked up in key order, so the
    /// cache needs little more than the B-tree's path: 4 MiB took the time 16 did at 1M and 5M
    /// records, 24 MiB less at the peak (docs/performance.md, *Page caches of 4 MiB*).
    public static let defaultStateCacheMiB = 4
    /// The allowed `state_cache_mib`.
    public static let stateCacheMiBRange = 1...4096
    /// Absolute extra plugin folders, in the order written.
    public var pluginPaths: [String]
    /// The log level, when the file sets one.
    public var logLevel: Logger.Level?
    /// The connections by name.
    public var connections: [String: ConnectionConfig]
    /// The pipelines in the order written.
    public var pipelines: [PipelineConfig]
    /// The sites by name; empty when the file defines none (see ``siteNames`` for their order).
    public var sites: [String: SiteConfig]
    /// The reports by name (`reports:`, sent by `ferry report`).
    public var reports: [String: ReportConfig] = [:]
    /// ID-map scopes kept in step with tables other tools read (`id_map_mirrors:`), as written.
    public var idMapMirrors: [IDMapMirrorConfig] = []
    /// Non-empty values substituted from variables whose names look secret (see ``isSecretName(_:)``).
    ///
    /// The host redacts these from logs and error messages.
    public var secretValues: Set<String>

    /// The PostgreSQL state store, when `state:` (or `FERRY_STATE_URL`) is a `postgres://` URL.
    public var stateURL: PostgresStateURL? {
        PostgresStateURL.isPostgresURL(statePath) ? try? PostgresStateURL(statePath) : nil
    }

    /// Where the state is, for people: the file's path, or the URL without user and password.
    public var stateDescription: String {
        PostgresStateURL.isPostgresURL(statePath) ? stateURL?.description ?? "postgres://…" : statePath
    }

    /// Creates a config in code; most callers use ``load(path:environment:)`` instead.
    ///
    /// - Parameters:
    ///   - version: The format version.
    ///   - sourceFile: The config file's name.
    ///   - baseDirectory: The absolute folder of the config file.
    ///   - statePath: The absolute state database path.
    ///   - pluginPaths: Absolute extra plugin folders.
    ///   - logLevel: The log level, if set.
    ///   - connections: The connections by name.
    ///   - pipelines: The pipelines in order.
    ///   - sites: The sites by name.
    ///   - secretValues: Values to redact.
    public init(
        version: Int = FerryConfig.currentVersion, sourceFile: String, baseDirectory: String, statePath: String,
        pluginPaths: [String] = [], logLevel: Logger.Level? = nil, connections: [String: ConnectionConfig],
        pipelines: [PipelineConfig], sites: [String: SiteConfig] = [:], secretValues: Set<String> = []
    ) {
        self.version = version
        self.sourceFile = sourceFile
        self.baseDirectory = baseDirectory
        self.statePath = statePath
        self.pluginPaths = pluginPaths
        self.logLevel = logLevel
        self.connections = connections
        self.pipelines = pipelines
        self.sites = sites
        self.secretValues = secretValues
    }

    /// The site names to run: the defined sites in the order written (by name for sites built in
    /// code), or `[""]` (the implicit default site) when there are none.
    public var siteNames: [String] {
        guard !sites.isEmpty else { return [Self.defaultSiteName] }
        return sites.values.sorted {
            ($0.location.line, $0.location.column, $0.name) < ($1.location.line, $1.location.column, $1.name)
        }.map(\.name)
    }

    /// The pipeline called `name`, if any.
    ///
    /// - Parameter name: A key under `pipelines:`.
    public func pipeline(named name: String) -> PipelineConfig? {
        pipelines.first { $0.name == name }
    }

    /// The site called `name`, if defined.
    ///
    /// - Parameter name: A key under `sites:`.
    public func site(named name: String) -> SiteConfig? {
        sites[name]
    }

    /// The connections as `site` sees them: each config with the site's overrides deep-merged.
    ///
    /// An unknown site, or the implicit default site `""`, gets the connections unchanged.
    ///
    /// - Parameter site: A site name.
    /// - Returns: The connections by name.
    public func connections(for site: String) -> [String: ConnectionConfig] {
        guard let overrides = self.site(named: site)?.connectionOverrides, !overrides.isEmpty else {
            return connections
        }
        var result = connections
        for (name, object) in overrides {
            result[name] = result[name]?.applying(object)
        }
        return result
    }

    /// The pipelines `site` runs, in the order the site (or, by default, the file) lists them.
    ///
    /// - Parameter site: A site name; `nil` means every pipeline, and `""` means the implicit
    ///   default site, valid only when the file defines no sites.
    /// - Returns: The pipelines.
    /// - Throws: ``ConfigError`` with kind `unknownReference` when the site is not defined.
    public func pipelines(for site: String?) throws -> [PipelineConfig] {
        guard let site else { return pipelines }
        if sites.isEmpty && site == Self.defaultSiteName { return pipelines }
        guard let definition = self.site(named: site) else {
            let known = sites.isEmpty ? [] : siteNames
            var message =
                known.isEmpty
                ? "unknown site '\(site)': this config defines no sites"
                : "unknown site '\(site)'; defined sites: \(known.joined(separator: ", "))"
            if let suggestion = Suggestion.closest(to: site, in: known) { message += "; did you mean '\(suggestion)'?" }
            throw ConfigError(
                .unknownReference, at: SourceLocation(file: sourceFile, line: 0, column: 0), keyPath: "sites",
                message: message)
        }
        guard let names = definition.pipelines else { return pipelines }
        return names.compactMap { pipeline(named: $0) }
    }

    /// Whether a variable name or config key looks secret: it contains KEY, TOKEN, SECRET,
    /// PASSWORD, PASS, CREDENTIAL, AUTH or COOKIE, in any case.
    ///
    /// - Parameter name: A variable name such as `VCOM_API_KEY`.
    public static func isSecretName(_ name: String) -> Bool {
        var upper = name.uppercased().replacing("-", with: "_")
        // Names of key *fields* are not keys: `primary_key: order_id` must not mask every "order_id".
        for fieldName in [
            "PRIMARY_KEY", "SORT_KEY", "PARTITION_KEY", "FOREIGN_KEY", "CURSOR_KEY", "KEY_PARAM", "KEY_FILTER",
            "KEY_FIELD", "KEY_PATH", "KEY_COLUMN", "KEYSET",
        ] {
            upper = upper.replacing(fieldName, with: "")
        }
        return ["KEY", "TOKEN", "SECRET", "PASS", "CREDENTIAL", "AUTH", "COOKIE"].contains { upper.contains($0) }
    }

    /// `text` with every secret value replaced by `***`, longest first.
    ///
    /// - Parameter text: A log line or message.
    /// - Returns: The redacted text.
    public func redacting(_ text: String) -> String {
        Self.redact(text, secrets: secretValues)
    }

    static func redact(_ text: String, secrets: Set<String>) -> String {
        Redactor(secrets: secrets, minimumLength: 1).redact(text)
    }
}
