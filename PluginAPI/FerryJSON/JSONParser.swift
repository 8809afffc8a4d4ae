/// Parses JSON text (RFC 8259) into `JSONValue`s, fast enough for the host's hot path.
///
/// Foundation's `JSONSerialization` tops out near 200k records/s per core, below
/// what a pipeline must move, so this parser scans bytes directly: strings
/// without escapes become a `String` in one step, and objects and arrays are
/// collected on reusable stacks so each gets exactly one allocation.
///
/// Rules beyond the RFC grammar, chosen so that accepted values can be stored
/// and re-encoded without loss:
/// - Integers without fraction or exponent that fit `Int64` become `.int`;
///   every other number becomes `.double`.
/// - A number too large for a double (`1e400`) would be infinite, so it is
///   rejected like the `NaN`/`Infinity` literals unless
///   `Options.allowNonFiniteNumbers` is set (the transform `clean_numbers`
///   then replaces such values with null).
/// - Strings must be valid UTF-8 and escapes must form whole Unicode scalars:
///   an unpaired surrogate escape cannot be held in a `String` and is refused.
/// - A duplicate key keeps its first position and its last value.
/// - A leading UTF-8 byte order mark is skipped (files written on Windows carry one).
/// - Nesting deeper than `Options.maximumDepth` (512) is refused, which bounds recursion.
public struct JSONParser: Sendable {
    /// Choices that relax or tighten the RFC for a given source.
    public struct Options: Hashable, Sendable {
        /// Accept `NaN`, `Infinity`, `-Infinity` and out-of-range numbers as
        /// non-finite doubles, because some sources (Python's `json`, pandas)
        /// emit them and the host would rather clean them than lose the record.
        public var allowNonFiniteNumbers: Bool
        /// The deepest nesting of arrays and objects accepted; bounds stack use
        /// on hostile input.
        public var maximumDepth: Int

        /// Creates options; the defaults are strict RFC 8259 with a depth limit of 512.
        /// - Parameters:
        ///   - allowNonFiniteNumbers: accept `NaN`/`Infinity` literals and overflowing numbers.
        ///   - maximumDepth: the deepest nesting accepted.
        public init(allowNonFiniteNumbers: Bool = false, maximumDepth: Int = 512) {
            self.allowNonFiniteNumbers = allowNonFiniteNumbers
            self.maximumDepth = maximumDepth
        }
    }

    /// The options every parse with this parser uses.
    public var options: Options

    /// Creates a parser.
    /// - Parameter options: how strict to be; strict RFC 8259 by default.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Parses one complete JSON value from borrowed bytes, refusing anything after it
    /// but whitespace; the bytes are not retained.
    /// - Parameter bytes: UTF-8 JSON text.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(options: options)
        return try scanner.parseDocument(bytes)
    }

    /// Checks that `bytes` hold one complete JSON value this parser would accept, with the
    /// error `parse` would throw, without building the value (nothing is allocated for
    /// well-formed input). For callers that keep the text as it came: a destination storing
    /// a nested object as JSON text.
    /// - Parameter bytes: UTF-8 JSON text, borrowed for the call.
    public func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        var scanner = JSONScanner(options: options, reservingStacks: false)
        try scanner.validateDocument(bytes)
    }

    /// Parses one record: a complete JSON value that must be an object.
    ///
    /// Every way a record can be wrong gets its own message and byte offset: malformed
    /// JSON, invalid UTF-8, nesting past `maximumDepth`, `NaN`/`Infinity` or a number
    /// out of range, and valid JSON that is not an object ("got an array").
    /// - Parameter bytes: UTF-8 JSON text, borrowed for the call.
    public func parseRecord(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONObject {
        var scanner = JSONScanner(options: options)
        return try scanner.parseRecord(bytes)
    }

    /// Parses one complete JSON value from a byte array.
    /// - Parameter bytes: UTF-8 JSON text.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one complete JSON value from a string (its UTF-8 form).
    /// - Parameter text: JSON text.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }
}

extension JSONValue {
    /// Parses JSON text with the default (strict) options; a convenience for
    /// configuration and tests, where the text is already a `String`.
    /// - Parameter text: JSON text.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser().parse(text)
    }
}
