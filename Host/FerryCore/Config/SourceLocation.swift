/// A position in a configuration file, as people and editors count it.
///
/// Lines and columns start at 1; columns count Unicode scalars, as libyaml does.
/// The description is `file:line:column`, the form compilers print, so terminals
/// and editors can jump to it.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file as it was named when loading (for example `ferry.yaml` or `/etc/ferry/ferry.yaml`).
    public var file: String
    /// The line, starting at 1; 0 when unknown.
    public var line: Int
    /// The column, starting at 1; 0 when unknown.
    public var column: Int

    /// Creates a location.
    ///
    /// - Parameters:
    ///   - file: The file as it was named when loading.
    ///   - line: The line, starting at 1.
    ///   - column: The column, starting at 1.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A placeholder for values built in code rather than read from a file.
    public static let unknown = SourceLocation(file: "", line: 0, column: 0)

    /// `file:line:column`, or less when parts are unknown.
    public var description: String {
        if line <= 0 { return file }
        if column <= 0 { return "\(file):\(line)" }
        return "\(file):\(line):\(column)"
    }
}
