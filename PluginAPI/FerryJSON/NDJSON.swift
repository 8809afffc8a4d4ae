/// Reading whole NDJSON batches into records.
///
/// One bad line must not cost the batch: every line is parsed on its own and
/// failures are returned beside the good records, so the engine can dead-letter
/// exactly those lines.
public enum NDJSON {
    /// Parses every non-empty line of `buffer` as a JSON object.
    /// - Parameters:
    ///   - buffer: NDJSON text.
    ///   - options: parser options, e.g. `allowNonFiniteNumbers` for sources that send NaN.
    /// - Returns: the objects in order, and one error per line that failed or was not an object.
    public static func parseObjects(
        _ buffer: UnsafeRawBufferPointer, options: JSONParser.Options = JSONParser.Options()
    ) -> NDJSONParseResult {
        var result = NDJSONParseResult()
        forEachObject(in: buffer, options: options) { _, object in
            result.records.append(object)
        } onError: { error in
            result.errors.append(error)
        }
        return result
    }

    /// Parses every non-empty line of a byte array as a JSON object.
    /// - Parameters:
    ///   - bytes: NDJSON text.
    ///   - options: parser options.
    public static func parseObjects(_ bytes: [UInt8], options: JSONParser.Options = JSONParser.Options())
        -> NDJSONParseResult
    {
        bytes.withUnsafeBytes { parseObjects($0, options: options) }
    }

    /// Parses every non-empty line of a string as a JSON object.
    /// - Parameters:
    ///   - text: NDJSON text.
    ///   - options: parser options.
    public static func parseObjects(_ text: String, options: JSONParser.Options = JSONParser.Options())
        -> NDJSONParseResult
    {
        var text = text
        return text.withUTF8 { parseObjects(UnsafeRawBufferPointer($0), options: options) }
    }

    /// Streams the objects of `buffer` to `body` without collecting them, for
    /// the engine's hot path (parse, transform, write one record at a time).
    /// - Parameters:
    ///   - buffer: NDJSON text.
    ///   - options: parser options.
    ///   - body: called with each record's index and object; throwing stops the walk.
    ///   - onError: called for each line that is not a JSON object.
    public static func forEachObject(
        in buffer: UnsafeRawBufferPointer, options: JSONParser.Options = JSONParser.Options(),
        _ body: (Int, JSONObject) throws -> Void, onError: (NDJSONLineError) throws -> Void
    ) rethrows {
        var scanner = JSONScanner(options: options)
        for line in NDJSONLines(buffer) {
            let object: JSONObject
            do {
                object = try scanner.parseRecord(line.bytes)
            } catch {
                try onError(
                    NDJSONLineError(
                        index: line.index, lineNumber: line.lineNumber, message: error.description, parseError: error))
                continue
            }
            try body(line.index, object)
        }
    }
}

/// The outcome of reading an NDJSON batch: the good records and the bad lines.
public struct NDJSONParseResult: Sendable {
    /// The objects of the lines that parsed, in buffer order.
    public var records: [JSONObject] = []
    /// One entry per line that failed, in buffer order.
    public var errors: [NDJSONLineError] = []

    /// Creates an empty result.
    public init() {}
}

/// A line of an NDJSON batch that could not become a record.
///
/// Carries the record index (what the engine dead-letters) and the physical
/// line number (what a person looks up in the file).
public struct NDJSONLineError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The 0-based index of the line among the batch's non-empty lines.
    public var index: Int
    /// The 1-based physical line number in the buffer.
    public var lineNumber: Int
    /// What was wrong, with the position inside the line.
    public var message: String
    /// The parser's error (a line that is valid JSON but not an object has one too).
    public var parseError: JSONParseError?

    /// Creates a line error.
    public init(index: Int, lineNumber: Int, message: String, parseError: JSONParseError?) {
        self.index = index
        self.lineNumber = lineNumber
        self.message = message
        self.parseError = parseError
    }

    /// "line N: message", for logs.
    public var description: String { "line \(lineNumber): \(message)" }
}
