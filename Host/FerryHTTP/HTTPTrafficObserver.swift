/// Told of each HTTP attempt a connection makes, so `ferry serve` can count
/// connectors' requests by status and their retries (`/metrics`). Called on the
/// plugin's thread: implementations must be quick and thread-safe.
public protocol HTTPTrafficObserver: Sendable {
    /// An attempt got a response (any status, before retries are decided).
    func answered(connection: String, status: Int)
    /// An attempt got no response (DNS, connect, TLS, time-out, truncated body).
    func failed(connection: String)
    /// An attempt will be repeated after a wait.
    func retrying(connection: String)
}
