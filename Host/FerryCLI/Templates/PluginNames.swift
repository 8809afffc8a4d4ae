import Foundation

/// A new plugin's name in the spellings its files need.
struct PluginNames {
    /// The plugin name, as in `ferry.yaml`: `[a-z][a-z0-9_-]*`.
    let name: String
    /// The Swift module and type prefix: `my-crm` → `MyCrm`.
    let typeName: String

    /// Why a name is refused, or nil when it is a valid plugin name.
    static func problem(with name: String) -> String? {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else {
            return "a plugin name starts with a lowercase letter (a-z)"
        }
        guard
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
            })
        else { return "a plugin name holds only lowercase letters, digits, '_' and '-'" }
        guard name.count <= 64 else { return "a plugin name has at most 64 characters" }
        return nil
    }

    /// - Parameter name: a name `problem(with:)` accepted.
    init(_ name: String) {
        self.name = name
        typeName = name.split(whereSeparator: { $0 == "-" || $0 == "_" }).map {
            $0.prefix(1).uppercased() + $0.dropFirst()
        }
        .joined()
    }

    /// The template with its placeholders replaced.
    func fill(_ template: String) -> String {
        template.replacingOccurrences(of: "__NAME__", with: name).replacingOccurrences(of: "__TYPE__", with: typeName)
    }
}
