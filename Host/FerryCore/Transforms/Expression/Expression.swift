import FerryJSON

/// What an expression sees while it runs: the record and the run's clock.
struct ExpressionScope {
    /// The record as the earlier steps left it.
    var record: JSONObject
    /// `now()`: the run's start as `YYYY-MM-DDTHH:MM:SSZ`, the same for every record of the run.
    var now: String
}

/// Why an expression could not be evaluated for one record (the record becomes a dead letter).
struct ExpressionFailure: Error {
    var column: Int
    var message: String
}

typealias ExpressionEvaluator = @Sendable (ExpressionScope) throws(ExpressionFailure) -> ExpressionValue

/// An expression (`coalesce(trim(companyName), 'n/a')`) parsed and compiled
/// once into nested closures, so evaluating it per record does no parsing and
/// no name lookups. Expressions read the record and the run's clock only:
/// there is no function that reaches files, the network or the environment.
struct CompiledExpression: Sendable {
    /// The expression as written, for messages.
    let source: String
    /// The tree, kept for checks such as "is this a constant?".
    let node: ExpressionNode
    private let evaluator: ExpressionEvaluator

    /// Parses and compiles `source`.
    /// - Throws: `ExpressionError` with the column of the first mistake: a
    ///   syntax error, an unknown function or a wrong number of arguments.
    init(_ source: String) throws(ExpressionError) {
        self.source = source
        node = try ExpressionParser.parse(source)
        evaluator = try ExpressionCompiler.compile(node)
    }

    /// The expression's value for one record.
    /// - Throws: `ExpressionFailure` when a value has the wrong type for an operation.
    func evaluate(_ scope: ExpressionScope) throws(ExpressionFailure) -> ExpressionValue {
        try evaluator(scope)
    }

    /// Whether the value passes a condition (`validate`, `filter`): true passes,
    /// false and null do not.
    /// - Throws: `ExpressionFailure` when the value is not a boolean or null.
    func holds(_ scope: ExpressionScope) throws(ExpressionFailure) -> Bool {
        switch try evaluator(scope) {
        case .bool(let flag): return flag
        case .null: return false
        case let other:
            throw ExpressionFailure(column: 1, message: "expected true or false, got \(other.kind) \(other.quoted)")
        }
    }
}
