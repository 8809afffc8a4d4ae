import FerryCore
import Synchronization

/// The process's rate budgets by name, persisted in the state store's
/// key-value table (scope `http.budget`, key = the budget's name) so every
/// connection naming a budget shares it, within this process and with the
/// next one.
///
/// Each decision reads the stored state, applies it and writes it back under
/// one lock, so two connections in this process never both take the last
/// token. Two processes running at the same instant may each take one; the
/// server's rate-limit headers, which every response feeds back, correct that.
public final class RateBudgetRegistry: Sendable {
    /// The state-store scope of saved budgets.
    public static let stateScope = "http.budget"

    private let store: any StateStore
    private let lock = Mutex<Void>(())

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

    private func updating<R>(_ budget: HTTPBudgetConfig, now: Double, _ body: (inout RateBudget) -> R) throws -> (R, RateBudget) {
        try lock.withLock { _ in
            var state = try store.value(scope: Self.stateScope, key: budget.name)
                .flatMap { RateBudget(serialized: $0, limits: budget.limits) } ?? RateBudget(limits: budget.limits, now: now)
            let before = state
            let result = body(&state)
            if state != before { try store.setValue(state.serialized, scope: Self.stateScope, key: budget.name) }
            return (result, state)
        }
    }
}
