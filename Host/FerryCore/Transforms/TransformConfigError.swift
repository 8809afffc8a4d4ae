/// A `transforms:` entry that cannot be compiled.
///
/// Raised once, when the pipeline is planned, so a typo in a config fails the
/// run before any record moves; it names the step (1-based, as listed in the
/// config), the key at fault and what was expected.
public struct TransformConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The 1-based position of the step in the pipeline's `transforms:` list.
    public var stepIndex: Int
    /// The step's `op`, when it had a readable one.
    public var op: String?
    /// The key that was wrong (`"to"`, `"where.equals"`), or nil when the step as a whole was.
    public var key: String?
    /// What was expected, phrased for the person editing the config.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - stepIndex: the 1-based step position.
    ///   - op: the step's operation name.
    ///   - key: the offending key.
    ///   - message: what was expected.
    public init(stepIndex: Int, op: String?, key: String?, message: String) {
        self.stepIndex = stepIndex
        self.op = op
        self.key = key
        self.message = message
    }

    /// "transform 3 (cast): 'to': expected one of ..." for logs and CLI output.
    public var description: String {
        let step = op.map { "transform \(stepIndex) (\($0))" } ?? "transform \(stepIndex)"
        if let key { return "\(step): '\(key)': \(message)" }
        return "\(step): \(message)"
    }
}
