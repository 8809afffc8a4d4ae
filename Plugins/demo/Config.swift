import FerryJSON
import FerryPluginSDK

/// The demo connector's configuration.
struct DemoConfig {
    var count: Int64 = 100
    var tag = "demo"
    var rejectField: String?
    /// After this many batches the counter source answers like an API whose daily quota is used up.
    var quotaBatches: Int?

    init(_ object: JSONObject) throws {
        for (key, value) in object {
            switch key {
            case "count":
                guard let count = value.intValue, count >= 0 else {
                    throw PluginError.invalid("config.count must be a non-negative integer")
                }
                self.count = count
            case "tag":
                guard let tag = value.stringValue else { throw PluginError.invalid("config.tag must be a string") }
                self.tag = tag
            case "reject_field":
                guard let field = value.stringValue else {
                    throw PluginError.invalid("config.reject_field must be a string")
                }
                rejectField = field
            case "quota_batches":
                guard let batches = value.intValue, batches >= 0 else {
                    throw PluginError.invalid("config.quota_batches must be a non-negative integer")
                }
                quotaBatches = Int(batches)
            default:
                throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
    }
}
