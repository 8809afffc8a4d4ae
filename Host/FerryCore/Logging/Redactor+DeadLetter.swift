extension Redactor {
    /// `letter` as it may be shown: every known secret masked in its record and error.
    ///
    /// A dead letter holds a record as a source or API sent it, and APIs echo
    /// credentials back (a bearer token in a debug field), so what the CLI prints
    /// of it goes through the same masking as log lines. The stored record stays
    /// as it was, for replay.
    ///
    /// - Parameter letter: a dead letter read from the state store.
    public func masking(_ letter: DeadLetter) -> DeadLetter {
        var shown = letter
        shown.recordBytes = Array(redact(letter.record).utf8)
        shown.error = redact(letter.error)
        return shown
    }
}
