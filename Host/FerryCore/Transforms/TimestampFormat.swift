/// A custom timestamp layout for `cast … to: timestamp, format: "%d.%m.%Y %H:%M"`.
///
/// strftime-style directives, because that is what people know from `date`
/// and Python: `%Y` year (4 digits), `%m` month, `%d` day, `%H` hour (00–23),
/// `%M` minute, `%S` second (1–2 digits each), `%f` fraction digits, `%z`
/// offset (`Z`, `+02:00`, `+0200`), `%b` English month abbreviation, `%%` a
/// percent sign; any other character must appear as written.
struct TimestampFormat: Sendable {
    enum Piece: Sendable {
        case literal(Character)
        case year, month, day, hour, minute, second, fraction, offset, monthName
    }

    let pattern: String
    let pieces: [Piece]

    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Compiles `pattern`; returns the unknown directive when there is one.
    init(_ pattern: String) throws(FormatError) {
        self.pattern = pattern
        var pieces: [Piece] = []
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                pieces.append(.literal(character))
                continue
            }
            switch iterator.next() {
            case "Y": pieces.append(.year)
            case "m": pieces.append(.month)
            case "d": pieces.append(.day)
            case "H": pieces.append(.hour)
            case "M": pieces.append(.minute)
            case "S": pieces.append(.second)
            case "f": pieces.append(.fraction)
            case "z": pieces.append(.offset)
            case "b": pieces.append(.monthName)
            case "%": pieces.append(.literal("%"))
            case let other?: throw FormatError(directive: "%\(other)")
            case nil: throw FormatError(directive: "%")
            }
        }
        self.pieces = pieces
    }

    struct FormatError: Error {
        var directive: String
    }

    func parse(_ text: Substring) -> TimestampCast.Fields? {
        var scanner = DigitScanner(text)
        var fields = TimestampCast.Fields()
        for piece in pieces {
            switch piece {
            case .literal(let character): guard scanner.skip(character) else { return nil }
            case .year: guard let value = scanner.number(4) else { return nil }; fields.year = value
            case .month: guard let value = scanner.flexibleNumber(maximum: 2) else { return nil }; fields.month = value
            case .day: guard let value = scanner.flexibleNumber(maximum: 2) else { return nil }; fields.day = value
            case .hour: guard let value = scanner.flexibleNumber(maximum: 2) else { return nil }; fields.hour = value
            case .minute:
                guard let value = scanner.flexibleNumber(maximum: 2) else { return nil }; fields.minute = value
            case .second:
                guard let value = scanner.flexibleNumber(maximum: 2) else { return nil }; fields.second = value
            case .fraction:
                let digits = scanner.digits()
                guard !digits.isEmpty else { return nil }
                fields.fraction = digits
            case .offset: guard let value = scanner.offset() else { return nil }; fields.offsetSeconds = value
            case .monthName:
                guard let index = scanner.word(from: Self.monthNames) else { return nil }; fields.month = index + 1
            }
        }
        return scanner.isAtEnd ? fields : nil
    }
}
