import FerryJSON

/// A compiled `template` string: literal text with `{path}` placeholders.
///
/// `{{` and `}}` stand for literal braces. Strings are inserted as they are,
/// numbers and booleans as their JSON text, objects and arrays as compact JSON.
struct TransformTemplate: Sendable {
    enum Piece: Sendable {
        case text(String)
        case field(FieldPath)
    }

    let pieces: [Piece]

    /// Compiles `source`; throws a message for an unclosed or empty placeholder.
    init(_ source: String) throws(TemplateError) {
        var pieces: [Piece] = []
        var text = ""
        var characters = source[...]
        while let character = characters.popFirst() {
            if character == "{" {
                if characters.first == "{" {
                    characters.removeFirst()
                    text.append("{")
                    continue
                }
                guard let close = characters.firstIndex(of: "}") else {
                    throw TemplateError(message: "unclosed '{' in template (write '{{' for a literal brace)")
                }
                let name = String(characters[..<close]).trimmingSpaces
                guard let path = FieldPath(name) else {
                    throw TemplateError(message: "placeholder '{\(name)}' is not a field path")
                }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.field(path))
                characters = characters[characters.index(after: close)...]
            } else if character == "}" {
                guard characters.first == "}" else {
                    throw TemplateError(message: "unmatched '}' in template (write '}}' for a literal brace)")
                }
                characters.removeFirst()
                text.append("}")
            } else {
                text.append(character)
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    struct TemplateError: Error {
        var message: String
    }

    /// Renders the template; a missing or null field uses `fallback`, or fails with its path.
    func render(_ record: JSONObject, fallback: String?) -> Result<String, MissingField> {
        var output = ""
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .field(let path):
                switch path.value(in: record) {
                case .string(let text)?: output += text
                case nil, .null?:
                    guard let fallback else { return .failure(MissingField(path: path)) }
                    output += fallback
                case .int(let integer)?: output += String(integer)
                case let value?: output += value.encodedString()
                }
            }
        }
        return .success(output)
    }

    struct MissingField: Error {
        var path: FieldPath
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = self[...]
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}
