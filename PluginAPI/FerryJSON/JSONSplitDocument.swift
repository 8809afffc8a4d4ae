/// A JSON document with one of its arrays left as its elements' raw bytes.
///
/// A paged API's response is a small envelope (totals, a next link) around a large list
/// of records that a connector passes on as JSON lines. Parsing the list into values only
/// to encode each record again was a third of a REST read's CPU; this checks the whole
/// document as the parser would (`JSONParser.validate`), parses the envelope alone, and
/// hands out each element of the list as the bytes it came as.
public struct JSONSplitDocument {
    /// The document with the list replaced by an empty array.
    public let envelope: JSONValue
    /// The list's elements, as byte ranges of the document.
    public let elements: [Range<Int>]

    /// Why the list could not be found: the path's member `missing` (nil when the value at the
    /// whole path is there but not an array).
    public struct NotFound: Error {
        public let missing: String?
    }

    /// Splits `document` at the array reached by `path` (object keys from the top; empty: the
    /// document is the array). Where a key repeats, the last member counts, as in a parse.
    /// - Throws: `JSONParseError` when the document is not valid JSON (the parse's own error).
    /// - Returns: nil with the reason when the path does not lead to an array.
    public static func split(_ document: UnsafeRawBufferPointer, arrayAt path: [String])
        throws(JSONParseError) -> Result<JSONSplitDocument, NotFound>
    {
        try JSONParser().validate(document)
        var span = trimmed(0..<document.count, in: document)
        var elements: [Range<Int>]?
        for key in path {
            guard document[span.lowerBound] == UInt8(ascii: "{") else { return .failure(NotFound(missing: key)) }
            guard let member = try JSONTopLevelScanner.lastMember(named: Array(key.utf8), in: document.rebased(span))
            else { return .failure(NotFound(missing: key)) }
            // The ranges are the object's, which starts at `span.lowerBound`.
            elements = member.elements?.map { $0.shifted(by: span.lowerBound) }
            span = member.value.shifted(by: span.lowerBound)
        }
        if path.isEmpty, document[span.lowerBound] == UInt8(ascii: "[") {
            var list: [Range<Int>] = []
            try JSONTopLevelScanner.forEachElement(in: document.rebased(span)) { element in
                list.append(offsets(of: element, in: document))
            }
            elements = list
        }
        guard let elements else { return .failure(NotFound(missing: nil)) }
        var rest = Array(document[..<span.lowerBound])
        rest.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
        rest.append(contentsOf: document[span.upperBound...])
        return .success(JSONSplitDocument(envelope: try JSONParser().parse(rest), elements: elements))
    }

    /// `part`'s place in `whole` (a slice of it).
    private static func offsets(of part: UnsafeRawBufferPointer, in whole: UnsafeRawBufferPointer) -> Range<Int> {
        let start = part.baseAddress.map { $0 - whole.baseAddress! } ?? 0
        return start..<(start + part.count)
    }

    /// `range` without the whitespace (and byte order mark) around the value.
    private static func trimmed(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        if upper - lower >= 3 && bytes[lower] == 0xEF && bytes[lower + 1] == 0xBB && bytes[lower + 2] == 0xBF {
            lower += 3
        }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while lower < upper && isSpace(bytes[lower]) { lower += 1 }
        while upper > lower && isSpace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}

extension Range<Int> {
    fileprivate func shifted(by distance: Int) -> Range<Int> { (lowerBound + distance)..<(upperBound + distance) }
}

extension UnsafeRawBufferPointer {
    fileprivate func rebased(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}
