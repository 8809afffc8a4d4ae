import FerryJSON
import FerryPluginSDK

/// The demo connector's configuration.
struct DemoConfig {
    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable([
        ConfigKey("count", .integer, default: 100, minimum: 0, "How many records the counter source emits."),
        ConfigKey("tag", .string, default: "demo", "Value the transform writes into each record's 'tag' field."),
        ConfigKey("reject_field", .string, example: "bad", "The sink rejects records where this field is true."),
        ConfigKey(
            "quota_batches", .integer, minimum: 0,
            "The source reports a used-up daily quota after this many batches."),
        ConfigKey(
            "await_read_ahead_s", .number, minimum: 0,
            "The sink's write of its n-th batch waits up to this many seconds until demo sources of the process "
                + "have finished n + 1 reads, and fails if they have not: shows that the host reads the next "
                + "batch while it writes one."),
    ])

    var count: Int64
    var tag: String
    var rejectField: String?
    /// After this many batches the counter source answers like an API whose daily quota is used up.
    var quotaBatches: Int?
    /// See `await_read_ahead_s`; nil when the sink does not wait.
    var awaitReadAhead: Double?

    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        count = try config.integer("count")
        tag = try config.string("tag")
        rejectField = try config.optionalString("reject_field")
        quotaBatches = try config.optionalInteger("quota_batches").map { Int($0) }
        awaitReadAhead = try config.optionalNumber("await_read_ahead_s")
    }
}
