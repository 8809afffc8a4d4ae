import FerryJSON

/// A site (tenant, shop, plant owner): the pipelines it runs and its own connection settings.
public struct SiteConfig: Sendable, Equatable {
    /// The site's name, its key under `sites:` (`""` for the implicit default site).
    public var name: String
    /// The pipelines this site runs, in the order written; `nil` means every pipeline.
    public var pipelines: [String]?
    /// Per-connection objects deep-merged into each connection's `config` for this site.
    public var connectionOverrides: [String: JSONObject]
    /// Where the site is defined.
    public var location: SourceLocation

    /// Creates a site.
    ///
    /// - Parameters:
    ///   - name: The site's name.
    ///   - pipelines: The pipelines it runs, or `nil` for all.
    ///   - connectionOverrides: Per-connection config overrides.
    ///   - location: Where it is defined.
    public init(
        name: String, pipelines: [String]? = nil, connectionOverrides: [String: JSONObject] = [:],
        location: SourceLocation = .unknown
    ) {
        self.name = name
        self.pipelines = pipelines
        self.connectionOverrides = connectionOverrides
        self.location = location
    }
}
