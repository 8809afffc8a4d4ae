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
    /// The seed's "Camembert" custom field (a multiple choice) on a created work order: its
    /// blueprint and the value chosen, "Dépannage SAV" (troubleshooting call-out).
    var camembertBlueprint: Int64 = 3146
    var camembertValue = "Dépannage SAV"

    init(_ object: JSONObject) throws {
        guard let side = object["side"]?.stringValue.flatMap(Side.init) else {
            throw PluginError.invalid("config.side must be 'yuman' or 'vcom'")
        }
        self.side = side
        for (key, value) in object where key != "side" {
            if key == "site_scope" || key == "camembert_value" {
                guard let text = value.stringValue, !text.isEmpty else {
                    throw PluginError.invalid("config.\(key) must be a non-empty string")
                }
                if key == "site_scope" { siteScope = text } else { camembertValue = text }
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
            case "camembert_blueprint_id": camembertBlueprint = number
            default: throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
    }
}
