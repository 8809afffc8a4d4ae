import FerryJSON
import FerryPluginSDK

/// The `wattivahti` connection's `config` object. Credentials are not here:
/// the OAuth2 refresh-token grant lives in the connection's `http.auth`, where
/// the host refreshes, rotates and persists tokens.
struct WattiVahtiConfig {
    static let keys = ["metering_point", "measurement_type", "resource", "initial_sync_days", "chunk_days"]

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
        for key in object.keys where !Self.keys.contains(key) {
            throw PluginError.invalid(
                "config has unknown key '\(key)'; valid keys are \(Self.keys.joined(separator: ", ")) "
                    + "(the endpoint and the refresh token go in the connection's http:)")
        }
        guard let point = Self.text(object["metering_point"]), !point.isEmpty, point.allSatisfy(\.isNumber) else {
            throw PluginError.invalid(
                "config.metering_point is required: the metering point code, digits only "
                    + "(WATTIVAHTI_METERING_POINT in the example)")
        }
        meteringPoint = point
        measurementType = try Self.integer(object, "measurement_type", default: 1, in: 1...99)
        resource = Self.text(object["resource"]) ?? "meterdata2"
        initialSyncDays = try Self.integer(object, "initial_sync_days", default: 7, in: 1...3660)
        chunkDays = try Self.integer(object, "chunk_days", default: 1, in: 1...31)
    }

    /// A string, or a number's digits (YAML may type `1234567` as a number).
    private static func text(_ value: JSONValue?) -> String? {
        guard let value, !value.isNull else { return nil }
        return value.stringValue ?? value.intValue.map { String($0) }
    }

    /// An integer given as a number or as digits (`${INITIAL_SYNC_DAYS}` may arrive as text).
    private static func integer(_ object: JSONObject, _ key: String, default fallback: Int, in range: ClosedRange<Int>)
        throws -> Int
    {
        guard let value = object[key], !value.isNull else { return fallback }
        guard let number = value.intValue.map({ Int($0) }) ?? value.stringValue.flatMap({ Int($0) }),
            range.contains(number)
        else {
            throw PluginError.invalid(
                "config.\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
