import Foundation

/// A PDF 1.4 file holding only text and thin rules, written without a library: what a
/// report's table needs. Text is set in the standard Helvetica fonts (every PDF reader has
/// them, so nothing is embedded) with WinAnsiEncoding, which covers French; a character it
/// lacks is written as its nearest ASCII (`→` as `->`) or `?`.
struct PDFTextDocument {
    /// A run of text at a position (points from the page's bottom left).
    struct Text {
        var string: String
        var x: Double
        var y: Double
        var size: Double
        var bold = false
    }

    /// A horizontal rule.
    struct Rule {
        var x1: Double
        var x2: Double
        var y: Double
    }

    /// One page's content.
    struct Page {
        var texts: [Text] = []
        var rules: [Rule] = []
    }

    /// A4 landscape.
    static let width = 842.0
    static let height = 595.0

    var title: String
    var pages: [Page]

    /// The file's bytes: header, objects, cross-reference table and trailer.
    var bytes: [UInt8] {
        var output: [UInt8] = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        func add(_ body: [UInt8]) {
            offsets.append(output.count)
            output += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let pageCount = max(pages.count, 1)
        // 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then each page and its content stream.
        let kids = (0..<pageCount).map { "\(6 + 2 * $0) 0 R" }.joined(separator: " ")
        add(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        add(Array("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>".utf8))
        for font in ["Helvetica", "Helvetica-Bold"] {
            add(Array("<< /Type /Font /Subtype /Type1 /BaseFont /\(font) /Encoding /WinAnsiEncoding >>".utf8))
        }
        add(Array("<< /Title ".utf8) + Self.literal(title) + Array(" /Producer (Ferry) >>".utf8))
        for index in 0..<pageCount {
            add(
                Array(
                    ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.number(Self.width)) \(Self.number(Self.height))] "
                        + "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents \(7 + 2 * index) 0 R >>").utf8))
            let content = index < pages.count ? Self.content(of: pages[index]) : []
            add(Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        }
        let table = output.count
        output += Array("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            let digits = String(offset)
            output += Array((String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n").utf8)
        }
        output += Array("trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R /Info 5 0 R >>\n".utf8)
        output += Array("startxref\n\(table)\n%%EOF\n".utf8)
        return output
    }

    private static func content(of page: Page) -> [UInt8] {
        var stream: [UInt8] = []
        if !page.rules.isEmpty {
            stream += Array("0.75 G 0.5 w\n".utf8)
            for rule in page.rules {
                stream += Array(
                    "\(number(rule.x1)) \(number(rule.y)) m \(number(rule.x2)) \(number(rule.y)) l S\n".utf8)
            }
        }
        for text in page.texts {
            stream += Array(
                "BT /\(text.bold ? "F2" : "F1") \(number(text.size)) Tf \(number(text.x)) \(number(text.y)) Td ".utf8)
            stream += literal(text.string) + Array(" Tj ET\n".utf8)
        }
        return stream
    }

    /// A number as PDF writes it: at most two decimals, no exponent.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }

    /// A PDF string literal of `text` in WinAnsiEncoding, bytes past ASCII as octal escapes.
    static func literal(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "(")]
        for byte in winAnsi(text) {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 32..<127: bytes.append(byte)
            default: bytes += Array(("\\" + String(byte, radix: 8).leftPadded(to: 3)).utf8)
            }
        }
        return bytes + [UInt8(ascii: ")")]
    }

    /// The text in WinAnsiEncoding (Windows-1252): Latin-1 as it is, the typographic marks
    /// Windows-1252 adds at their codes, arrows as ASCII, anything else `?`.
    static func winAnsi(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: bytes.append(UInt8(ascii: " "))
            case 0x20..<0x7F, 0xA0...0xFF: bytes.append(UInt8(scalar.value))
            default:
                if let code = windows1252[scalar.value] {
                    bytes.append(code)
                } else if let ascii = asciiStandIns[scalar.value] {
                    bytes += Array(ascii.utf8)
                } else {
                    bytes.append(UInt8(ascii: "?"))
                }
            }
        }
        return bytes
    }

    private static let windows1252: [UInt32: UInt8] = [
        0x20AC: 0x80, 0x201A: 0x82, 0x0192: 0x83, 0x201E: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87,
        0x02C6: 0x88, 0x2030: 0x89, 0x0160: 0x8A, 0x2039: 0x8B, 0x0152: 0x8C, 0x017D: 0x8E, 0x2018: 0x91,
        0x2019: 0x92, 0x201C: 0x93, 0x201D: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02DC: 0x98,
        0x2122: 0x99, 0x0161: 0x9A, 0x203A: 0x9B, 0x0153: 0x9C, 0x017E: 0x9E, 0x0178: 0x9F,
    ]

    private static let asciiStandIns: [UInt32: String] = [0x2192: "->", 0x2190: "<-", 0x2194: "<->", 0x202F: " "]
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
