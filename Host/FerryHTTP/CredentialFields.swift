import FerryJSON
import Foundation

/// The fields of OAuth 2 token exchanges (RFC 6749 §4 and §5.1) that carry
/// credentials, masked in recorded bodies.
///
/// A recording is written by the transport, before the HTTP service has read a
/// token response and registered its tokens with the redactor: so a fresh
/// access token or a rotated refresh token is not yet a known secret when its
/// body is saved. These field names are fixed by the standard, not guessed, and
/// every value masked here is also registered, so later log lines mask it too.
enum CredentialFields {
    /// Token-response members that are credentials.
    static let responseFields: Set<String> = ["access_token", "refresh_token", "id_token"]
    /// Token-request parameters that are credentials.
    static let requestFields: Set<String> = [
        "refresh_token", "client_secret", "password", "code", "code_verifier", "assertion", "client_assertion",
    ]

    /// `body` with the credential members of a top-level JSON object masked, and the values masked.
    ///
    /// - Parameter body: a response body.
    /// - Returns: nil when the body is not a JSON object with such a member.
    static func maskingJSON(_ body: [UInt8]) -> (text: String, secrets: [String])? {
        guard let object = (try? JSONParser().parse(body))?.objectValue else { return nil }
        var masked = object
        var secrets: [String] = []
        for (key, value) in object where responseFields.contains(key) {
            guard let text = value.stringValue else { continue }
            secrets.append(text)
            masked[key] = .string("***")
        }
        guard !secrets.isEmpty else { return nil }
        return (String(decoding: JSONValue.object(masked).encoded(), as: UTF8.self), secrets)
    }

    /// `body` with the credential parameters of a form (`a=1&b=2`) masked, and the values masked.
    ///
    /// - Parameter body: a request body.
    /// - Returns: nil when no such parameter is present.
    static func maskingForm(_ body: String) -> (text: String, secrets: [String])? {
        guard !body.contains("{") else { return nil }
        var secrets: [String] = []
        let pairs = body.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "="), requestFields.contains(String(pair[..<equals])) else {
                return String(pair)
            }
            let value = pair[pair.index(after: equals)...]
            if !value.isEmpty {
                secrets.append(String(value))
                secrets.append(String(value).removingPercentEncoding ?? String(value))
            }
            return "\(pair[..<equals])=***"
        }
        guard !secrets.isEmpty else { return nil }
        return (pairs.joined(separator: "&"), secrets)
    }
}
