import CFerryPlugin
import FerryLoader

/// What a destination guarantees per write mode when a run is killed between
/// its commit and the host's, as `ferry plugins info` shows it (docs/guarantees.md).
public enum DeliveryGuarantee {
    /// Mode and guarantee, one line each, for a plugin that is a destination; empty otherwise.
    public static func lines(for plugin: LoadedPlugin) -> [(mode: String, guarantee: String)] {
        guard plugin.capabilities.contains(.destination) else { return [] }
        if PluginConnection.checkpointGetSlot(of: plugin.api) != nil {
            return [
                (
                    "append",
                    "exactly once: the checkpoint commits with the rows, and a run resumes where the destination's data ends"
                ),
                ("upsert", "exactly once: idempotent by key; the checkpoint commits with the rows"),
                ("mirror", "exactly once, as upsert; deletes only after a snapshot the source declared complete"),
            ]
        }
        return [
            (
                "append",
                "at least once: after a crash between the two commits the batch is sent again; only a destination "
                    + "that drops repeated batch ids keeps it once, and a re-read batch with other records is not recognised"
            ),
            ("upsert", "effectively once: a re-sent record overwrites itself by key"),
            ("mirror", "effectively once, as upsert; deletes only after a snapshot the source declared complete"),
        ]
    }

    /// True when append to this connection is only at-least-once.
    static func appendIsAtLeastOnce(_ destination: PluginConnection) -> Bool { !destination.storesCheckpoints }
}
