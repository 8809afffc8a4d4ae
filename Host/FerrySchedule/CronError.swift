/// A schedule that cannot be read, or that never fires, in one line.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the field and the text at fault.
    public var description: String

    /// Creates an error.
    /// - Parameter description: the one-line reason.
    public init(_ description: String) { self.description = description }
}
