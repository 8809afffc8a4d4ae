import FerryCore

/// The process's rate budgets by name, persisted in the state store's
/// key-value table (scope `http.budget`, key = the budget's name) so every
/// connection naming a budget shares it, within this process and with the
/// next one.
///
/// Each decision reads the stored state, applies it and writes it back in one
/// state-store transaction, so neither two connections in this process nor two
/// processes sharing the state database ever both take the last token.
public final class RateBudgetRegistry: Sendable {
    /// The state-store scope of saved budgets.
    public static let stateScope = "http.budget"

    private let store: any StateStore

    /// Creates a registry.
    /// - Parameter store: Where budgets are saved.
    public init(store: any StateStore) {
        self.store = store
    }

    /// Takes one request's allowance from the named budget.
    /// - Parameters:
    ///   - budget: The budget's name and limits.
    ///   - now: The current time in seconds since 1970.
    public func acquire(_ budget: HTTPBudgetConfig, now: Double) throws -> RateBudget.Decision {
        try update(budget, now: now) { $0.acquire(now: now) }
    }

    /// Feeds a response's rate-limit headers to the named budget.
    /// - Parameters:
    ///   - budget: The budget's name and limits.
    ///   - headers: The response's rate-limit fields.
    ///   - now: The current time.
    public func observe(_ budget: HTTPBudgetConfig, _ headers: RateLimitHeaders, now: Double) throws {
        try update(budget, now: now) { $0.observe(headers, now: now) }
    }

    /// Pauses the named budget (after a 429) so every connection sharing it waits.
    /// - Parameters:
    ///   - budget: The budget's name and limits.
    ///   - until: No request before this time.
    ///   - now: The current time.
    public func pause(_ budget: HTTPBudgetConfig, until: Double, now: Double) throws {
        try update(budget, now: now) { $0.pause(until: until) }
    }

    /// The saved state of a budget, for status output and tests.
    /// - Parameter budget: The budget's name and limits.
    /// - Parameter now: The current time.
    public func current(_ budget: HTTPBudgetConfig, now: Double) throws -> RateBudget {
        try updating(budget, now: now) { _ in () }.1
    }

    @discardableResult
    private func update<R>(_ budget: HTTPBudgetConfig, now: Double, _ body: (inout RateBudget) -> R) throws -> R {
        try updating(budget, now: now, body).0
    }

    private func updating<R>(_ budget: HTTPBudgetConfig, now: Double, _ body: (inout RateBudget) -> R) throws -> (
        R, RateBudget
    ) {
        try store.updateValue(scope: Self.stateScope, key: budget.name) { stored in
            var state =
                stored.flatMap { RateBudget(serialized: $0, limits: budget.limits) }
                ?? RateBudget(limits: budget.limits, now: now)
            let before = state
            let result = body(&state)
            return (state != before ? state.serialized : stored, (result, state))
        }
    }
}
