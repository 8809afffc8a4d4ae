import FerryJSON
import FerryPluginSDK

/// The connection's `config`: which side it is, and the seed's tenant constants.
struct TicketsConfig {
    enum Side: String { case yuman, vcom }

    var side: Side
    var siteScope = "yuman/sites"
    var managerID: Int64 = 10338
    var reactiveCategory: Int64 = 11138
    var preventiveCategory: Int64 = 13135
    var duringPreventiveCategory: Int64 = 14804
    var plannedWithinDays = 30

    init(_ object: JSONObject) throws {
        guard let side = object["side"]?.stringValue.flatMap(Side.init) else {
            throw PluginError.invalid("config.side must be 'yuman' or 'vcom'")
        }
        self.side = side
        for (key, value) in object where key != "side" {
            if key == "site_scope" {
                guard let scope = value.stringValue, !scope.isEmpty else {
                    throw PluginError.invalid("config.site_scope must be a non-empty string")
                }
                siteScope = scope
                continue
            }
            guard let number = value.intValue, number >= 0 else {
                throw PluginError.invalid("config.\(key) must be a non-negative integer")
            }
            switch key {
            case "manager_id": managerID = number
            case "reactive_category": reactiveCategory = number
            case "preventive_category": preventiveCategory = number
            case "during_preventive_category": duringPreventiveCategory = number
            case "planned_within_days": plannedWithinDays = Int(number)
            default: throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
    }
}
