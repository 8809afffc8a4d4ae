import FerryJSON
import Foundation

/// Pretty JSON for people; the compact form (`JSONWriter`) is for machines.
///
/// One printer for both kinds of value the commands hold: Foundation objects
/// (dictionaries built for `--json` output) and `JSONValue`s from plugins.
enum JSONText {
    /// Indented, with sorted keys and unescaped slashes; nil when `object` is not
    /// made of JSON types.
    static func pretty(object: Any) -> String? {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A plugin's value, pretty; compact when Foundation cannot read it back.
    static func pretty(_ value: JSONValue) -> String {
        let compact = JSONWriter().encodeString(value)
        guard let object = try? JSONSerialization.jsonObject(with: Data(compact.utf8), options: [.fragmentsAllowed]),
            let text = pretty(object: object)
        else { return compact }
        return text
    }
}
