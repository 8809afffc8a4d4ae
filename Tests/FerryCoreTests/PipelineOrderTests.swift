import FerryCore
import Testing

/// `after:` puts parents before children, keeps the file's order otherwise, and names a cycle.
@Suite struct PipelineOrderTests {
    func pipeline(_ name: String, after: [String] = []) -> PipelineConfig {
        var pipeline = PipelineConfig(
            name: name, source: .init(connection: "s", stream: name), destination: .init(connection: "d", stream: name))
        pipeline.after = after
        return pipeline
    }

    @Test func parentsComeFirstAndIndependentPipelinesKeepTheirOrder() throws {
        let sorted = try PipelineOrder.sorted([
            pipeline("work_orders", after: ["sites", "equipment"]), pipeline("audit"),
            pipeline("equipment", after: ["sites"]), pipeline("sites"),
        ])
        #expect(sorted.map(\.name) == ["audit", "sites", "equipment", "work_orders"])
    }

    @Test func aParentOutsideTheSelectionIsIgnored() throws {
        let sorted = try PipelineOrder.sorted([pipeline("equipment", after: ["sites"]), pipeline("other")])
        #expect(sorted.map(\.name) == ["equipment", "other"])
    }

    @Test func aCycleIsNamed() {
        #expect(throws: PipelineCycle(names: ["a", "b", "c", "a"])) {
            try PipelineOrder.sorted([
                pipeline("a", after: ["b"]), pipeline("b", after: ["c"]), pipeline("c", after: ["a"]), pipeline("d"),
            ])
        }
    }
}
