import Foundation

/// Expands `${VAR}`, `${VAR:-default}` and `$$` in config scalars, remembering secret values.
struct Interpolator {
    /// Why a scalar could not be expanded.
    enum Failure: Error {
        case unset(String)
        case malformed(String)
        /// The name is outside an allow-list in force (the list that refused it).
        case notAllowed(String, EnvironmentAllowList)
    }

    let environment: [String: String]
    let dotEnv: [String: String]
    private(set) var secretValues: Set<String> = []
    /// The lists a name must pass (`FERRY_ALLOWED_ENV`, then the file's `allowed_env`).
    var allowLists: [EnvironmentAllowList] = []

    init(environment: [String: String], dotEnv: [String: String]) {
        self.environment = environment
        self.dotEnv = dotEnv
    }

    /// `text` with every reference replaced; the process environment wins over `.env`.
    ///
    /// `${VAR:-default}` uses `default` when `VAR` is unset or empty, as POSIX shells do.
    /// A `$` not followed by `{` or `$` stays as it is.
    mutating func expand(_ text: String) throws -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            guard character == "$", next < text.endIndex else {
                output.append(character)
                index = next
                continue
            }
            if text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard text[next] == "{" else {
                output.append(character)
                index = next
                continue
            }
            let bodyStart = text.index(after: next)
            guard let close = text[bodyStart...].firstIndex(of: "}") else {
                throw Failure.malformed("unterminated '${' (write '$$' for a literal '$')")
            }
            let body = text[bodyStart..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard Self.isValidName(name) else {
                throw Failure.malformed(
                    "'${\(body)}' is not a valid variable reference (names are letters, digits and '_')")
            }
            let key = String(name)
            if let refusing = allowLists.first(where: { !$0.allows(key) }) { throw Failure.notAllowed(key, refusing) }
            var value = environment[key] ?? dotEnv[key]
            if let fallback, value?.isEmpty ?? true { value = String(fallback) }
            guard let value else { throw Failure.unset(key) }
            if !value.isEmpty && FerryConfig.isSecretName(key) { secretValues.insert(value) }
            output += value
            index = text.index(after: close)
        }
        return output
    }

    /// Whether `name` is a shell-style variable name: a letter or `_`, then letters, digits or `_`.
    static func isValidName<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0)
        }
    }
}
