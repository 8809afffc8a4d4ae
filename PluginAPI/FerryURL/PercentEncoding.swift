/// Percent-encoding of URL query parameters and form bodies (RFC 3986).
///
/// Its own leaf module because both sides of the ABI build URLs: connectors
/// through the SDK's `HTTPRequest.path(_:query:)`, the host's HTTP service for
/// API keys sent as query parameters and for OAuth2 token requests. One encoder
/// means a value reaches the server the same way whichever side added it.
public enum PercentEncoding {
    /// Percent-encodes everything but RFC 3986's unreserved characters
    /// (`A–Z a–z 0–9 - . _ ~`), byte by byte of the UTF-8 text.
    /// - Parameter text: A query name or value.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// `name=value` pairs, each side encoded, joined with `&`: a query string or
    /// an `application/x-www-form-urlencoded` body.
    /// - Parameter pairs: Names and values, in order.
    public static func query(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }

    /// `url` with `pairs` encoded and appended after `?`, or `&` when it has a query already.
    /// - Parameters:
    ///   - url: A URL or path.
    ///   - pairs: Names and values, in order; none leaves `url` as it is.
    public static func url(_ url: String, appendingQuery pairs: [(name: String, value: String)]) -> String {
        guard !pairs.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + query(pairs)
    }
}
