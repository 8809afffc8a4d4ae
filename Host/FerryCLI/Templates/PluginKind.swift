import ArgumentParser
import FerryLoader

/// A plugin's role: what a scaffolded project does (one per project), or which checks
/// `ferry plugins test --role` runs.
enum PluginKind: String, CaseIterable, ExpressibleByArgument {
    case source, destination, transform

    /// The capability the loader reads for this role.
    var capability: PluginCapabilities {
        switch self {
        case .source: .source
        case .destination: .destination
        case .transform: .transform
        }
    }

    /// The descriptor's capability bits, as the C header spells them.
    var capabilityMacro: String {
        switch self {
        case .source: "FERRY_CAP_SOURCE"
        case .destination: "FERRY_CAP_DESTINATION"
        case .transform: "FERRY_CAP_TRANSFORM"
        }
    }

    /// The config the README's example connection gives.
    var exampleConfig: String {
        switch self {
        case .source: "{ count: 100 }"
        case .destination: "{ path: out/records.jsonl }"
        case .transform: "{ field: origin, value: crm }"
        }
    }
}

/// The language of a scaffolded plugin.
enum PluginLanguage: String, CaseIterable, ExpressibleByArgument {
    case c, swift
}
