import CFerryPlugin
import FerryJSON
import FerryPluginSDK

/// Calls the meter-data endpoint through the host's HTTP service, which adds
/// the OAuth2 access token (refresh-token grant, rotation persisted by the host).
struct MeterDataClient {
    let config: WattiVahtiConfig
    let host: HostServices

    /// The entries of one request, in the API's order.
    /// - Parameters:
    ///   - resolution: The result step.
    ///   - range: UTC seconds; sent as Finnish local times with their offsets.
    func entries(_ resolution: Resolution, in range: Range<Int>) throws -> [MeterEntry] {
        let request = HTTPRequest.get(
            config.resource,
            query: [
                ("meteringPointCode", config.meteringPoint),
                ("measurementType", String(config.measurementType)),
                ("start", HelsinkiTime.formatLocal(range.lowerBound)),
                ("stop", HelsinkiTime.formatLocal(range.upperBound)),
                ("resultStep", resolution.rawValue),
            ])
        var withHeaders = request
        withHeaders.headers = [("Accept", "application/json")]
        let response: HTTPResponse
        do { response = try host.http(withHeaders) } catch let error as PluginError where error.status == FERRY_ERR_AUTH
        {
            throw PluginError.auth(error.message + ". " + WattiVahtiConfig.tokenAdvice)
        }
        guard response.isSuccess else {
            let snippet = String(response.text.prefix(200))
            let message =
                "the meter-data API answered HTTP \(response.status) for metering point \(config.meteringPoint) "
                + "(\(resolution.rawValue), \(HelsinkiTime.formatUTC(range.lowerBound)) to \(HelsinkiTime.formatUTC(range.upperBound))): \(snippet)"
            if response.status == 403 { throw PluginError.auth(message + ". " + WattiVahtiConfig.tokenAdvice) }
            throw PluginError.invalid(message)
        }
        return try Self.parse(response.json())
    }

    /// The `tsv` entries of a response; an absent or empty list is "no data".
    /// - Parameter body: The parsed response.
    static func parse(_ body: JSONValue) throws -> [MeterEntry] {
        guard let result = body["getconsumptionsresult"], !result.isNull else {
            throw PluginError.invalid("the meter-data response has no 'getconsumptionsresult'")
        }
        guard let list = result["consumptiondata"]?["timeseries"]?["values"]?["tsv"]?.arrayValue else { return [] }
        return try list.map { item in
            guard let time = item["time"]?.stringValue else {
                throw PluginError.invalid("a meter-data value has no 'time'")
            }
            return MeterEntry(time: time, quantity: item["quantity"]?.doubleValue)
        }
    }
}
