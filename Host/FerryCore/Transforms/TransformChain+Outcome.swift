import FerryJSON

extension TransformChain {
    /// What a transform chain made of one record.
    ///
    /// Three outcomes rather than `throws`, because a filtered record is normal
    /// (counted, not logged) while a rejected one goes to the dead letters with
    /// its reason, and the engine must treat them differently. (A transform
    /// *plugin* answers for a whole batch with the SDK's `TransformOutcome`.)
    public enum Outcome: Equatable, Sendable {
        /// The record passed every step; this is the modified record.
        case kept(JSONObject)
        /// A `filter` step left the record out; not an error.
        case dropped
        /// A step could not process the record; the reason names the step
        /// ("transform 3 (cast): field 'price' value \"abc\" is not a decimal number").
        case rejected(String)
        /// A `lookup` with `on_missing: defer` found no mapping yet: park the record and try
        /// it again on the next runs, at most `limit` of them.
        case deferred(String, limit: Int)
        /// A `lookup` with `on_missing: fail` found no mapping: stop the run.
        case failed(String)
    }
}
