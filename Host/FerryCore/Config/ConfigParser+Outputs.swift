import Foundation

/// The `outputs:` list of a fan-out pipeline (docs/fan-out.md).
extension ConfigParser {
    static let outputKeys = [
        "name", "destination", "write", "primary_key", "transforms", "explode", "parent_key", "index_as",
        "key_as", "repeat", "number_as", "replace_children", "mirror_only",
    ]
    static let repeatKeys = ["count", "as"]
    static let parentKeyKeys = ["from", "as"]

    /// Parses `outputs:` for `pipeline`, whose other keys are already parsed, and refuses
    /// what fan-out cannot make safe: append and mirror writes, two-way sync, a destination cursor.
    func outputs(_ field: Field, pipeline: PipelineConfig, connections: [String]) throws -> [OutputConfig] {
        let entries = try sequence(field, expected: "a list of outputs such as { name: orders, destination: {…} }")
        guard !entries.isEmpty else { throw failure(.invalidValue, field, "must list at least one output") }
        guard pipeline.write != .mirror else {
            throw failure(
                .invalidValue, field,
                "cannot be used with write: mirror: use write: upsert, and replace_children: true on an exploded "
                    + "output to delete the children a record no longer has")
        }
        guard pipeline.conflicts == nil else {
            throw failure(.invalidValue, field, "cannot be used with conflicts: two-way sync merges one destination")
        }
        guard pipeline.destinationCursor == nil else {
            throw failure(.invalidValue, field, "cannot be used with destination_cursor, which reads one destination")
        }
        var outputs: [OutputConfig] = []
        for entry in entries {
            let output = try output(entry, pipeline: pipeline, connections: connections)
            if outputs.contains(where: { $0.name == output.name }) {
                throw failure(.invalidValue, entry, "a second output named '\(output.name)'; output names must differ")
            }
            if let other = outputs.first(where: {
                $0.destination.connection == output.destination.connection
                    && $0.destination.stream == output.destination.stream
            }) {
                throw failure(
                    .invalidValue, entry,
                    "output '\(output.name)' writes stream '\(output.destination.stream)' of connection "
                        + "'\(output.destination.connection)' like output '\(other.name)'; give each output its own stream"
                )
            }
            outputs.append(output)
        }
        return outputs
    }

    private func output(_ field: Field, pipeline: PipelineConfig, connections: [String]) throws -> OutputConfig {
        let fields = try mapping(field, allowed: Self.outputKeys)
        let nameField = try required(fields, "name")
        let name = try string(nameField)
        guard OutputConfig.isValidName(name) else {
            throw failure(.invalidValue, nameField, "'\(name)' is not a valid output name (letters, digits, _ and -)")
        }
        let destination = try endpoint(required(fields, "destination"), connections: connections, defaultStream: name)
        var output = OutputConfig(name: name, destination: destination, location: field.location)

        let writeField = fields.optional("write")
        output.write = try writeField.map { try choice($0, PipelineConfig.WriteMode.self) } ?? pipeline.write
        guard output.write == .upsert else {
            let message =
                "output '\(name)' needs write: upsert (on the output or the pipeline), not \(output.write.rawValue): "
                + (output.write == .append
                    ? "a crash between two outputs' writes would send the first output's rows twice, and only upserts by key make that harmless"
                    : "use replace_children: true on an exploded output to delete the children a record no longer has")
            throw failure(.invalidValue, writeField ?? field, message)
        }
        if let keyField = fields.optional("primary_key") {
            let names = try strings(keyField).map(\.value)
            guard !names.isEmpty else { throw failure(.invalidValue, keyField, "must name at least one field") }
            output.primaryKey = names
        }
        if let stepsField = fields.optional("transforms") { output.transforms = try transformSteps(stepsField) }

        if let explodeField = fields.optional("explode") {
            let text = try string(explodeField)
            guard let path = ExplodePath(text) else {
                throw failure(
                    .invalidValue, explodeField,
                    "'\(text)' is not an array path; write jobs, jobs[*].parts for the parts of every job, or "
                        + "inputs{} for the entries of an object")
            }
            output.explode = path
            guard output.primaryKey != nil else {
                throw failure(
                    .missingKey, field,
                    "output '\(name)' explodes \(path) and needs its own primary_key (for example [id], or "
                        + "[parent_id, position] with index_as: position)")
            }
        }
        if let parentField = fields.optional("parent_key") {
            guard let explode = output.explode else {
                throw failure(.invalidValue, parentField, "needs explode: only exploded rows have parents")
            }
            let entries: [Field]
            if case .sequence = parentField.node {
                entries = try sequence(parentField)
            } else {
                entries = [parentField]
            }
            output.parentKeys = try entries.map { entry in
                let parts = try mapping(entry, allowed: Self.parentKeyKeys)
                let from = try string(required(parts, "from"))
                let target = try string(required(parts, "as"))
                do {
                    return try ParentKeyField.resolving(from: from, as: target, in: explode)
                } catch {
                    throw failure(.invalidValue, entry, "\(error)")
                }
            }
        }
        if let indexField = fields.optional("index_as") {
            guard let explode = output.explode else {
                throw failure(.invalidValue, indexField, "needs explode: only exploded rows have a position")
            }
            if case .sequence = indexField.node {
                let names = try strings(indexField).map(\.value)
                guard names.count == explode.depth else {
                    throw failure(
                        .invalidValue, indexField,
                        "lists \(names.count) field(s) for explode \(explode), which has \(explode.depth) level(s): "
                            + "give one name per level, outermost first, or one name for the innermost")
                }
                output.outerIndexesAs = Array(names.dropLast())
                output.indexAs = names.last
            } else {
                output.indexAs = try string(indexField)
            }
        }
        try explosionExtras(fields, into: &output)
        if let field = fields.optional("mirror_only") {
            output.mirrorOnly = try mirrorOnlyFields(field, primaryKey: output.primaryKey ?? pipeline.primaryKey)
        }
        if let replaceField = fields.optional("replace_children") {
            output.replaceChildren = try boolean(replaceField)
            if output.replaceChildren && output.explode == nil {
                throw failure(.invalidValue, replaceField, "needs explode: only exploded rows are a record's children")
            }
            if output.replaceChildren && !pipeline.changeDetection {
                throw failure(
                    .invalidValue, replaceField,
                    "needs change_detection: true: the stored row hashes say which children were written before")
            }
        }
        return output
    }

    /// `key_as`, `repeat` and `number_as`, which all need `explode:` (docs/fan-out.md).
    private func explosionExtras(_ fields: Fields, into output: inout OutputConfig) throws {
        let explode = output.explode
        if let keyField = fields.optional("key_as") {
            guard explode?.kinds.last == .entries else {
                throw failure(
                    .invalidValue, keyField,
                    "needs an explode path ending in an object's entries (inputs{}), whose keys it receives")
            }
            output.keyAs = try string(keyField)
        }
        if let repeatField = fields.optional("repeat") {
            guard explode != nil else {
                throw failure(.invalidValue, repeatField, "needs explode: it repeats each exploded element")
            }
            let parts = try mapping(repeatField, allowed: Self.repeatKeys)
            let countField = try required(parts, "count")
            let countText = try string(countField)
            guard let count = FieldPath(countText) else {
                throw failure(.invalidValue, countField, "'\(countText)' is not a field path of the element")
            }
            output.repetition = ExplodeRepetition(count: count, name: try string(required(parts, "as")))
        }
        if let numberField = fields.optional("number_as") {
            guard explode != nil else {
                throw failure(.invalidValue, numberField, "needs explode: it numbers a record's exploded rows")
            }
            output.numberAs = try string(numberField)
        }
    }

    /// A `transforms:` list, compiled here so that every command (`ferry check` above all)
    /// sees a bad step, pointing at the step and its key.
    func transformSteps(_ field: Field) throws -> [TransformStep] {
        let steps = try sequence(field)
        let parsed = try steps.map { step in
            guard case .mapping = step.node else {
                throw mismatch(step, expected: "a mapping such as { op: rename, from: a, to: b }")
            }
            return TransformStep(value: try json(step), location: step.location)
        }
        do {
            _ = try TransformChain(steps: parsed.map(\.value))
        } catch {
            let step = steps[min(max(error.stepIndex - 1, 0), steps.count - 1)]
            throw ConfigError(
                .invalidValue, at: step.location, keyPath: step.path + (error.key.map { ".\($0)" } ?? ""),
                message: error.op.map { "\($0): \(error.message)" } ?? error.message)
        }
        return parsed
    }
}
