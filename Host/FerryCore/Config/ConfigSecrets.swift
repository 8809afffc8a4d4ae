import FerryJSON
import Foundation

/// The values of a connection's `config` that its plugin's schema marks secret
/// (`"x-ferry-secret": true`, see docs/connector-spec.md), which the host masks in every log
/// line, error, recording and output, and serves through `secret_get`.
///
/// The plugin decides, not the key's name: `primary_key` is not a secret, a `dsn` that may
/// hold a password is when the plugin marks it so.
public enum ConfigSecrets {
    /// Every non-empty text under a secret key, by its path below `config` (`dsn`, `streams[0].token`).
    /// - Parameters:
    ///   - config: The connection's `config` object.
    ///   - schema: The spec's `config` schema.
    /// - Returns: The secret values by path; a secret list or object gives each of its texts.
    public static func values(in config: JSONObject, schema: JSONValue) -> [String: String] {
        var found: [String: String] = [:]
        collect(.object(config), schema: schema.objectValue ?? [:], path: "", secret: false, into: &found)
        return found
    }

    /// The password of `scheme://user:password@host…` or of a `key=value` string's `password=…`.
    static func embeddedPassword(in text: String) -> String? {
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard let at = authority.lastIndex(of: "@") else { return nil }
            let userInfo = authority[..<at]
            guard let colon = userInfo.firstIndex(of: ":") else { return nil }
            let password = String(userInfo[userInfo.index(after: colon)...])
            return password.isEmpty ? nil : (password.removingPercentEncoding ?? password)
        }
        for pair in text.split(separator: " ") where pair.lowercased().hasPrefix("password=") {
            let password = pair.dropFirst("password=".count).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            return password.isEmpty ? nil : password
        }
        return nil
    }

    private static func collect(
        _ value: JSONValue, schema: JSONObject, path: String, secret: Bool, into found: inout [String: String]
    ) {
        let secret = secret || ConfigSchemaValidator.isSecret(schema)
        switch value {
        case .string(let text) where secret && !text.isEmpty:
            found[path] = text
            // A connection string's password is masked on its own too: a driver's error quotes it alone.
            if let password = embeddedPassword(in: text) { found[path + "#password"] = password }
        case .int, .double:
            if secret { found[path] = JSONWriter().encodeString(value) }
        case .object(let object):
            let properties = schema["properties"]?.objectValue ?? [:]
            let others = schema["additionalProperties"]?.objectValue ?? [:]
            for (key, member) in object {
                let memberSchema = properties[key]?.objectValue ?? others
                collect(
                    member, schema: memberSchema, path: path.isEmpty ? key : "\(path).\(key)", secret: secret,
                    into: &found)
            }
        case .array(let items):
            let itemSchema = schema["items"]?.objectValue ?? [:]
            for (index, item) in items.enumerated() {
                collect(item, schema: itemSchema, path: "\(path)[\(index)]", secret: secret, into: &found)
            }
        default: return
        }
    }
}
