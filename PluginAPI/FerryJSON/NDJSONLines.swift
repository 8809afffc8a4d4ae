#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The non-empty lines of a newline-delimited JSON buffer, as borrowed slices.
///
/// Batches arrive from plugins as one NDJSON buffer; walking it as slices of
/// the original memory avoids copying each record before parsing. Lines end
/// at `\n`; a `\r` before it is dropped (files written on Windows), and lines
/// holding only whitespace are skipped without counting as records.
///
/// The slices borrow the buffer: use them only while it is alive.
public struct NDJSONLines: Sequence {
    /// One record line of the buffer.
    public struct Line {
        /// The 0-based position of this line among the non-empty lines: the record's index in the batch.
        public var index: Int
        /// The 1-based physical line number in the buffer, blank lines included, for messages.
        public var lineNumber: Int
        /// The byte offsets of the line in the buffer, without its line ending.
        public var range: Range<Int>
        /// The line's bytes, borrowed from the buffer.
        public var bytes: UnsafeRawBufferPointer
    }

    /// Walks `buffer` line by line.
    public struct Iterator: IteratorProtocol {
        private let buffer: UnsafeRawBufferPointer
        private var offset = 0
        private var lineNumber = 0
        private var index = 0

        fileprivate init(buffer: UnsafeRawBufferPointer) {
            self.buffer = buffer
        }

        /// The next non-empty line, or nil at the end of the buffer.
        public mutating func next() -> Line? {
            let count = buffer.count
            while offset < count {
                let start = offset
                // memchr finds the newline several bytes at a time.
                let found = memchr(buffer.baseAddress! + start, 0x0A, count - start)
                let stop = found.map { UnsafeRawPointer($0) - buffer.baseAddress! } ?? count
                offset = stop + 1
                lineNumber += 1
                var lineEnd = stop
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                var probe = start
                while probe < lineEnd {
                    let byte = buffer[probe]
                    guard byte == 0x20 || byte == 0x09 || byte == 0x0D else { break }
                    probe += 1
                }
                if probe == lineEnd { continue }
                let line = Line(
                    index: index, lineNumber: lineNumber, range: start..<lineEnd,
                    bytes: UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd]))
                index += 1
                return line
            }
            return nil
        }
    }

    private let buffer: UnsafeRawBufferPointer

    /// Creates the sequence over borrowed bytes.
    /// - Parameter buffer: NDJSON text; it must outlive the iteration.
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    /// Starts a walk from the first line.
    public func makeIterator() -> Iterator {
        Iterator(buffer: buffer)
    }
}
