import FerryJSON
import FerryPluginSDK

/// The `wattivahti` connection's `config` object. Credentials are not here:
/// the OAuth2 refresh-token grant lives in the connection's `http.auth`, where
/// the host refreshes, rotates and persists tokens.
struct WattiVahtiConfig {
    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    /// Numbers may arrive as digits in a string (`${INITIAL_SYNC_DAYS}` quoted), so they allow strings too.
    static let keys = ConfigTable(
        [
            ConfigKey(
                "metering_point", .anyOf([.string, .integer]), required: true, example: "1234567",
                "The metering point code (meteringPointCode), digits only; WATTIVAHTI_METERING_POINT in the example."),
            ConfigKey(
                "measurement_type", .anyOf([.integer, .string]), default: 1, minimum: 1, maximum: 99,
                "measurementType: 1 consumption, 6 production."),
            ConfigKey("resource", .string, default: "meterdata2", "The meter-data path under http.endpoint."),
            ConfigKey(
                "initial_sync_days", .anyOf([.integer, .string]), default: 7, minimum: 1, maximum: 3660,
                "Days fetched on a first run."),
            ConfigKey(
                "chunk_days", .anyOf([.integer, .string]), default: 1, minimum: 1, maximum: 31,
                "Local days per request; resolution is detected per chunk."),
        ],
        unknownKeyAdvice: "(the endpoint and the refresh token go in the connection's http:)")

    /// What an auth error adds: where a token goes and how to get one.
    static let tokenAdvice =
        "WattiVahti needs a valid refresh token: sign in at https://www.wattivahti.fi in a browser, "
        + "copy the refresh_token of the sign-in (developer tools: the token response in the Network tab, or Local Storage), "
        + "write it to the file named by http.auth.refresh_token_file (REFRESH_TOKEN_FILE, refresh_token.txt in the example) "
        + "or set WATTIVAHTI_REFRESH_TOKEN, and run ferry again"

    /// The metering point code (7 digits at Pori Energia).
    var meteringPoint: String
    /// `measurementType`: 1 = consumption, 6 = production.
    var measurementType: Int
    /// The meter-data path, relative to `http.endpoint`.
    var resource: String
    /// Days fetched on a first run (no checkpoint and no `--since`).
    var initialSyncDays: Int
    /// Local days per request pair (and per batch); resolution is detected per chunk.
    var chunkDays: Int

    /// Reads and checks the config object.
    /// - Parameter object: The connection's `config`.
    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        let given = try config.value("metering_point")
        let point = given?.stringValue ?? given?.intValue.map { String($0) } ?? ""
        guard !point.isEmpty, point.allSatisfy(\.isNumber) else {
            throw PluginError.invalid(
                "config.metering_point must be the metering point code, digits only "
                    + "(WATTIVAHTI_METERING_POINT in the example)")
        }
        meteringPoint = point
        measurementType = try Self.integer(config, "measurement_type")
        resource = try config.string("resource")
        initialSyncDays = try Self.integer(config, "initial_sync_days")
        chunkDays = try Self.integer(config, "chunk_days")
    }

    /// An integer given as a number or as digits, within the key's bounds (which a string escapes
    /// the table's check).
    private static func integer(_ config: ConfigValues, _ key: String) throws -> Int {
        let number = try config.integer(key)
        let declared = config.table.key(key)
        let minimum = declared?.minimum ?? -.infinity, maximum = declared?.maximum ?? .infinity
        guard Double(number) >= minimum, Double(number) <= maximum else {
            throw PluginError.invalid(
                "config.\(key) must be a whole number from \(Int64(minimum)) to \(Int64(maximum)), got \(number)")
        }
        return Int(number)
    }
}
