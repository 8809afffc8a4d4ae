import FerryJSON

/// One entry of a pipeline's `transforms:` list, kept as written for the transform engine.
public struct TransformStep: Sendable, Equatable {
    /// The step as a JSON object (for example `{"op": "rename", "from": "a", "to": "b"}`), after interpolation.
    public var value: JSONValue
    /// Where the step is written, so the engine can point at it when it rejects the step.
    public var location: SourceLocation

    /// Creates a step.
    ///
    /// - Parameters:
    ///   - value: The step as JSON.
    ///   - location: Where it is written.
    public init(value: JSONValue, location: SourceLocation = .unknown) {
        self.value = value
        self.location = location
    }

    /// The step's `op` member when it is a string (the operation name by convention).
    public var op: String? { value["op"]?.stringValue }
}
