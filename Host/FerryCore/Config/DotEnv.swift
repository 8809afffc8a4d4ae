/// Reads `.env` files: `KEY=value` lines that supply `${VAR}` values the environment lacks.
///
/// Rules: blank lines and lines starting with `#` are skipped; an optional `export ` prefix is
/// ignored; a value may be bare (trailing ` # comment` removed, surrounding spaces trimmed),
/// single-quoted (taken literally) or double-quoted (`\n`, `\t`, `\"`, `\\` and `\$` escapes).
/// Values are not interpolated. A later line for the same key wins.
public enum DotEnv {
    /// Parses the contents of a `.env` file.
    ///
    /// - Parameters:
    ///   - contents: The file's text.
    ///   - file: The file's name, for error messages.
    /// - Returns: The variables by name.
    /// - Throws: ``ConfigError`` with kind `syntax` naming the line of a malformed entry.
    public static func parse(_ contents: String, file: String = ".env") throws -> [String: String] {
        var variables: [String: String] = [:]
        for (offset, rawLine) in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .enumerated()
        {
            let lineNumber = offset + 1
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst("export".count).drop { $0 == " " || $0 == "\t" }
            }
            func fail(_ message: String) -> ConfigError {
                ConfigError(.syntax, at: SourceLocation(file: file, line: lineNumber, column: 0), message: message)
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected KEY=value")
            }
            let key = String(line[..<equals].trimmingSpaces())
            guard Interpolator.isValidName(key) else {
                throw fail("'\(key)' is not a valid variable name")
            }
            let rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            variables[key] = try value(rest, fail: fail)
        }
        return variables
    }

    private static func value(_ text: Substring, fail: (String) -> ConfigError) throws -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            var bare = text
            if let hash = bare.indices.first(where: {
                bare[$0] == "#" && $0 > bare.startIndex
                    && (bare[bare.index(before: $0)] == " " || bare[bare.index(before: $0)] == "\t")
            }) {
                bare = bare[..<hash]
            }
            return String(bare.trimmingSpaces())
        }
        var result = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == quote {
                let trailing = text[text.index(after: index)...].trimmingSpaces()
                guard trailing.isEmpty || trailing.hasPrefix("#") else {
                    throw fail("unexpected text after the closing quote")
                }
                return result
            }
            if quote == "\"", character == "\\", text.index(after: index) < text.endIndex {
                index = text.index(after: index)
                switch text[index] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case let other: result.append(other)
                }
            } else {
                result.append(character)
            }
            index = text.index(after: index)
        }
        throw fail("missing closing \(quote) (values cannot span lines)")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
