// Small text helpers without Foundation.

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        return text
    }

    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }).trimmingTrailingNewlines()
    }
}
