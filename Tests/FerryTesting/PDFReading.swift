import Foundation

/// Reads a PDF back in tests: its structure checked by hand, its text by poppler's
/// `pdftotext` (poppler-utils, installed by scripts/install-deps.sh).
public enum PDFReading {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks the header, the trailer and that every cross-reference offset names its object.
    /// - Returns: The number of page objects.
    public static func pageCount(ofWellFormed bytes: [UInt8]) throws -> Int {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("%PDF-1."), text.hasSuffix("%%EOF\n") else {
            throw Problem(description: "no PDF header or trailer")
        }
        guard let startxref = text.range(of: "startxref\n", options: .backwards),
            let tableOffset = Int(text[startxref.upperBound...].prefix { $0.isNumber }), tableOffset < bytes.count
        else { throw Problem(description: "no startxref") }
        let lines = String(decoding: bytes[tableOffset...], as: UTF8.self).components(separatedBy: "\n")
        guard lines.first == "xref", lines.count > 2, let count = Int(lines[1].split(separator: " ").last ?? "") else {
            throw Problem(description: "startxref does not point at the cross-reference table")
        }
        for object in 1..<count {
            guard let offset = Int(lines[2 + object].prefix(10)), offset < bytes.count,
                String(decoding: bytes[offset..<min(bytes.count, offset + 16)], as: UTF8.self).hasPrefix(
                    "\(object) 0 obj")
            else { throw Problem(description: "object \(object) is not where the cross-reference table says") }
        }
        let pages = text.components(separatedBy: "/Type /Page ").count - 1
        guard text.contains("/Count \(pages) ") else {
            throw Problem(description: "the page tree does not count \(pages) pages")
        }
        return pages
    }

    /// The text `pdftotext` reads from the PDF, pages separated by form feeds.
    public static func text(of bytes: [UInt8]) throws -> String {
        let tool = "/usr/bin/pdftotext"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw Problem(description: "pdftotext missing: scripts/install-deps.sh installs poppler-utils")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString).pdf")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-enc", "UTF-8", file.path, "-"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, problems.isEmpty else {
            throw Problem(description: "pdftotext failed (\(process.terminationStatus)): \(problems)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
