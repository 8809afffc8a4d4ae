import Synchronization

/// The ABI's `cancel` slot, seen by a Swift connector: the host may call `cancel` from
/// another thread without raising its own `is_cancelled` flag (the conformance kit does),
/// so the SDK keeps the call and `HostServices.isCancelled` answers it.
final class CancellationFlag: Sendable {
    private let raised = Atomic(false)

    var isRaised: Bool { raised.load(ordering: .acquiring) }

    func raise() { raised.store(true, ordering: .releasing) }
}
