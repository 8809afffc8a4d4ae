import FerryCore
import FerryJSON
import FerryPluginSDK

extension Workspace {
    /// The outputs of a fan-out pipeline, parents first (by explode depth, then as written),
    /// each with its connection (one opened connection per name, shared with the plan's
    /// destination), key and compiled transforms.
    func outputPlans(of pipeline: PipelineConfig, destination: PluginConnection, sourceKey: [String]) throws
        -> [OutputPlan]
    {
        var connections = [pipeline.destination.connection: destination]
        var plans: [OutputPlan] = []
        for (index, output) in pipeline.outputs.enumerated() {
            let name = output.destination.connection
            let connection = try connections[name] ?? openConnection(name)
            connections[name] = connection
            let key = output.primaryKey ?? sourceKey
            guard !key.isEmpty else {
                throw ConfigError(
                    .missingKey, at: output.location, keyPath: "pipelines.\(pipeline.name).outputs[\(index)]",
                    message: "output '\(output.name)' needs a primary_key for its upserts, and neither it nor the "
                        + "pipeline nor the source declares one")
            }
            var plan = OutputPlan(
                name: output.name, destination: connection, destinationStream: output.destination.stream,
                primaryKey: key,
                explosion: RowExplosion(
                    explode: output.explode, parentKeys: output.parentKeys, indexAs: output.indexAs,
                    outerIndexesAs: output.outerIndexesAs, keyAs: output.keyAs, repetition: output.repetition,
                    numberAs: output.numberAs),
                transform: try recordTransform(
                    output.transforms, keyPath: "pipelines.\(pipeline.name).outputs[\(index)].transforms",
                    location: output.location),
                replaceChildren: output.replaceChildren, site: site)
            plan.mirrorOnly = MirrorOnlyFields(output.mirrorOnly)
            plans.append(plan)
        }
        // A stable sort keeps the written order among outputs of one depth.
        return plans.enumerated().sorted { ($0.element.depth, $0.offset) < ($1.element.depth, $1.offset) }.map(
            \.element)
    }

    /// A config `transforms:` list as a per-record transform (nil for none), with the
    /// ID-map lookup of this workspace's site.
    func recordTransform(_ steps: [TransformStep], keyPath: String, location: SourceLocation) throws
        -> RecordTransform?
    {
        guard !steps.isEmpty else { return nil }
        let chain: TransformChain
        do {
            chain = try TransformChain(steps: steps.map(\.value))
        } catch {
            throw WorkspaceError("\(config.sourceFile):\(location.line): \(keyPath): \(error)")
        }
        let store = self.store
        let site = self.site
        return RecordTransform(lookupScopes: chain.lookupScopes) { record in
            let lookup: TransformChain.Lookup = { scope, id in
                try store.destinationID(scope: IDMapScope.qualified(scope, site: site), sourceID: id)
            }
            switch chain.apply(to: record, lookup: lookup) {
            case .kept(let output): return output
            case .dropped: return nil
            case .rejected(let reason): throw RecordRejected(reason)
            case .deferred(let reason, let limit): throw RecordDeferred(reason: reason, limit: limit)
            case .failed(let reason): throw TransformStopped(description: reason)
            }
        }
    }
}
