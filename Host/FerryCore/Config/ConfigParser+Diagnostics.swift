import Foundation
import Yams

extension ConfigParser {
    /// Yams' error as a one-line ``ConfigError`` at the line libyaml reported.
    func diagnose(_ error: YamlError, yaml: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return ConfigError(.syntax, at: location(mark, or: .unknown), message: message)
        case .reader(let problem, let offset, _, _):
            var line = 1, column = 1
            for character in yaml.prefix(offset ?? 0) {
                if character.isNewline { line += 1; column = 1 } else { column += 1 }
            }
            return ConfigError(
                .syntax, at: SourceLocation(file: file, line: line, column: column),
                message: "cannot read YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKey(duplicates.first ?? "", first: context.mark, yaml: yaml)
        default:
            return ConfigError(
                .syntax, at: SourceLocation(file: file, line: 0, column: 0), message: "YAML error: \(error)")
        }
    }

    /// Points at the second occurrence of a duplicated key and rebuilds its key path from indentation.
    ///
    /// Yams stops composing at a duplicate and reports only the first occurrence, so this reads the
    /// text: it finds the next line at the same indentation that starts with the key, then walks up to
    /// the lines with less indentation. Block-style YAML (what people write) gets a full key path;
    /// flow style (`{ a: 1, a: 2 }`) gets the first occurrence and the bare key.
    func duplicateKey(_ key: String, first: Mark, yaml: String) -> ConfigError {
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let column = first.column - 1
        var found: Int?
        var index = first.line
        while index < lines.count {
            let line = lines[index]
            let content = line.drop { $0 == " " }
            let indent = line.count - content.count
            if !content.isEmpty && !content.hasPrefix("#") {
                if indent < column { break }
                if indent == column && Self.startsWithKey(content, key) { found = index; break }
            }
            index += 1
        }
        let message = "duplicate key '\(key)' (first defined on line \(first.line))"
        guard let found else {
            return ConfigError(.duplicateKey, at: location(first, or: .unknown), keyPath: key, message: message)
        }
        return ConfigError(
            .duplicateKey, at: SourceLocation(file: file, line: found + 1, column: column + 1),
            keyPath: Self.keyPath(to: key, line: found, indent: column, lines: lines), message: message)
    }

    static func startsWithKey(_ content: Substring, _ key: String) -> Bool {
        for candidate in [key, "\"\(key)\"", "'\(key)'"] where content.hasPrefix(candidate) {
            let rest = content.dropFirst(candidate.count).drop { $0 == " " }
            if rest.hasPrefix(":") { return true }
        }
        return false
    }

    /// The dotted path of `key` on `line`, from the keys on less-indented lines above it.
    static func keyPath(to key: String, line: Int, indent: Int, lines: [String]) -> String {
        var components = [key]
        var pendingIndex: String?
        var indent = indent
        var index = line - 1
        func measure(_ line: String) -> (content: Substring, indent: Int)? {
            let content = line.drop { $0 == " " }
            if content.isEmpty || content.hasPrefix("#") { return nil }
            return (content, line.count - content.count)
        }
        while index >= 0, indent > 0 {
            defer { index -= 1 }
            guard let (content, lineIndent) = measure(lines[index]), lineIndent < indent else { continue }
            if content.hasPrefix("-") {
                var position = 0
                var sibling = index - 1
                while sibling >= 0 {
                    if let (siblingContent, siblingIndent) = measure(lines[sibling]) {
                        if siblingIndent < lineIndent { break }
                        if siblingIndent == lineIndent && siblingContent.hasPrefix("-") { position += 1 }
                    }
                    sibling -= 1
                }
                pendingIndex = "[\(position)]"
            } else if let colon = content.firstIndex(of: ":") {
                let name = content[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
                components.insert(name + (pendingIndex ?? ""), at: 0)
                pendingIndex = nil
            }
            indent = lineIndent
        }
        return components.joined(separator: ".")
    }
}
