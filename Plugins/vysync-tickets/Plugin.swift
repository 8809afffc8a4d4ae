import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// vysync's ticket rules (seed 000, `make sync_tickets`) as a Ferry connector with two sides,
/// one per HTTP identity: on a Yuman connection it turns VCOM tickets into work orders and
/// reads the work orders back as ticket updates; on a VCOM connection it applies those
/// updates to the tickets (status, one follow-up comment, the close flow). README.md says how.
public enum VysyncTicketsPlugin: FerryPlugin {
    public typealias Instance = VysyncTicketsConnector
    public static let name = "vysync-tickets"
    public static let version = FerryVersion.current
    public static let summary = "vysync tickets ↔ Yuman work orders: attach or create, follow-up comments, closing."
    /// A dry run (`ferry run --dry-run`) logs each decision (create, attach, comment, close) and writes nothing.
    public static let previewsWrites = true
    public static let configSchema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["side"],
        "properties": [
            "side": [
                "enum": ["yuman", "vcom"],
                "description": "Which API this connection's http: reaches: yuman (work orders) or vcom (tickets).",
            ],
            "site_scope": [
                "type": "string", "default": "yuman/sites", "description": "ID-map scope of VCOM key → Yuman site id.",
            ],
            "manager_id": [
                "type": "integer", "default": 10338, "description": "Yuman manager of a created work order.",
            ],
            "reactive_category": [
                "type": "integer", "default": 11138, "description": "SAV reactive work-order category.",
            ],
            "preventive_category": [
                "type": "integer", "default": 13135, "description": "Preventive maintenance category.",
            ],
            "during_preventive_category": [
                "type": "integer", "default": 14804,
                "description": "Category of a work order created while a preventive one is open or scheduled.",
            ],
            "camembert_blueprint_id": [
                "type": "integer", "default": 3146,
                "description": "Blueprint of the \"Camembert\" custom field set on a created work order.",
            ],
            "camembert_value": [
                "type": "string", "default": "Dépannage SAV",
                "description": "The value of that field on a created work order.",
            ],
            "planned_within_days": [
                "type": "integer", "minimum": 0, "default": 30,
                "description": "An open reactive work order planned within this many days is preferred.",
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> VysyncTicketsConnector {
        try VysyncTicketsConnector(config: TicketsConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: VysyncTicketsPlugin.self)
}
