/// Why a JSON document was refused, and where.
///
/// Sources send broken payloads (truncated bodies, stray commas, NaN); an
/// operator reading a dead letter needs the exact place, so the error carries
/// the byte offset for tools and a 1-based line and column for people.
public struct JSONParseError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What was wrong, phrased as what the parser expected ("expected ',' or '}' after object member").
    public var message: String
    /// The 0-based byte offset of the offending byte in the parsed buffer.
    public var offset: Int
    /// The 1-based line of `offset` (lines end at '\n').
    public var line: Int
    /// The 1-based column of `offset`, counted in Unicode scalars so that it
    /// matches what an editor shows for non-ASCII text.
    public var column: Int

    /// Creates an error; the parser computes line and column from the offset.
    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// The message with its position, ready for a log line or a dead letter: the byte
    /// offset (what a tool such as `dd` or a hex editor finds), then line and column.
    public var description: String { "\(message) at byte \(offset) (line \(line), column \(column))" }
}
