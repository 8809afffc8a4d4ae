import CFerryPlugin
import FerryCore
import FerryJSON
import FerryPluginSDK

extension ConformanceKit {
    /// A write's counts add up, its rejects and id mappings are NDJSON naming records of
    /// the batch, and the same batch written again under its batch id is accepted again.
    func checkWrite(_ subject: PluginUnderTest, records: [String]) throws -> KitResult.Outcome {
        try withInstance(subject) { instance, _ in
            let text = records.map { $0 + "\n" }.joined()
            let request: JSONValue = [
                "stream": .string(stream ?? "ferry_kit"), "mode": "upsert", "primary_key": ["id"],
                "batch_id": "ferry-kit-1",
            ]
            let requestText = JSONWriter().encodeString(request)
            for attempt in 1...2 {
                let result = try subject.write(instance, request: requestText, records: text)
                let which = attempt == 1 ? "write" : "the same batch written again"
                guard result.accepted + result.rejected == records.count else {
                    return .failed(
                        "\(which): accepted_count \(result.accepted) + rejected_count \(result.rejected) "
                            + "is not the batch's \(records.count) records")
                }
                if let problem = Self.indexLines(
                    result.rejects, expected: result.rejected, of: records.count, key: "error")
                {
                    return .failed("\(which): rejects \(problem)")
                }
                if let problem = Self.indexLines(
                    result.idMappings, expected: nil, of: records.count, key: "destination_id")
                {
                    return .failed("\(which): id_mappings \(problem)")
                }
            }
            return .passed
        }
    }

    /// A transform's output keeps the batch protocol and its rejects name input records.
    func checkTransform(_ subject: PluginUnderTest, records: [String]) throws -> KitResult.Outcome {
        try withInstance(subject) { instance, _ in
            let text = records.map { $0 + "\n" }.joined()
            let request = JSONWriter().encodeString(["stream": .string(stream ?? "ferry_kit")])
            let result = try subject.transform(instance, request: request, records: text)
            if let problem = result.records.withUnsafeBytes({ BatchProtocol.problem(records: $0, count: result.count) })
            {
                return .failed("the output \(problem.record.map { "record \($0 + 1) " } ?? "")\(problem.text)")
            }
            if let problem = Self.indexLines(result.rejects, expected: result.rejected, of: records.count, key: "error")
            {
                return .failed("rejects \(problem)")
            }
            return .passed
        }
    }

    /// What is wrong with NDJSON lines `{"index": N, key: "..."}` (N within the batch), or nil.
    static func indexLines(_ text: String, expected: Int?, of count: Int, key: String) -> String? {
        let lines = text.split(separator: "\n")
        if let expected, lines.count != expected { return "hold \(lines.count) lines but the count says \(expected)" }
        for line in lines {
            guard let value = try? JSONValue(parsing: String(line)), let index = value["index"]?.intValue else {
                return "line is not {\"index\": N, ...}: \(line.prefix(100))"
            }
            guard index >= 0, index < count else { return "name record \(index), outside the batch of \(count)" }
            guard value[key]?.stringValue != nil else { return "line has no \"\(key)\" string: \(line.prefix(100))" }
        }
        return nil
    }
}
