import FerryJSON
import Foundation

/// Pretty JSON for people; the compact form (`JSONWriter`) is for machines.
enum JSONText {
    static func pretty(_ value: JSONValue) -> String {
        let compact = Data(JSONWriter().encodeString(value).utf8)
        guard let object = try? JSONSerialization.jsonObject(with: compact, options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return JSONWriter().encodeString(value) }
        return String(decoding: data, as: UTF8.self)
    }
}
