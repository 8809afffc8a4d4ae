import CFerryPlugin
import FerryEngine
import FerryHTTP
import FerryPluginSDK
import Foundation

/// The host side of the conformance kit: an offline host table. Logs and plugin
/// state are kept in memory, cancellation is a flag the kit raises, ID mappings and
/// secrets are absent (`FERRY_ERR_NOT_FOUND`), and HTTP is answered from a recording
/// (`--replay`) or unsupported.
final class KitHost: @unchecked Sendable {
    private var http: HTTPService?
    private let lock = NSLock()
    private var state: [String: String] = [:]
    private var cancelled = false
    private(set) var logs: [String] = []

    /// - Parameter makeHTTP: Makes the service answering the plugin's requests (from a
    ///   recording), given this host's cancellation flag; nil: no HTTP.
    init(makeHTTP: ConformanceKit.HTTPFactory? = nil) {
        // A request after `cancel` fails as cancelled, as the real host's does.
        http = makeHTTP? { [weak self] in self?.lock.withLock { self?.cancelled ?? true } ?? true }
    }

    /// Raises or lowers the flag `is_cancelled` answers.
    func setCancelled(_ value: Bool) { lock.withLock { cancelled = value } }

    /// This object as the context pointer the table's slots receive.
    var context: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The C table; every slot finds its `KitHost` through the context.
    // Safe to share: initialised once, thread-safely, and never written after.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<ferry_host_api> = {
        var api = ferry_host_api()
        api.struct_size = UInt32(MemoryLayout<ferry_host_api>.size)
        api.abi_minor = UInt32(FERRY_ABI_MINOR)
        api.log = { context, level, message, _ in
            let host = host(context)
            host.lock.withLock { host.logs.append("[\(level)] \(message.string)") }
        }
        api.state_get = { context, key, out, _ in
            let host = host(context)
            guard let value = host.lock.withLock({ host.state[key.string] }) else { return FERRY_ERR_NOT_FOUND }
            out?.pointee = .owning(value)
            return FERRY_OK
        }
        api.state_set = { context, key, value, _ in
            let host = host(context)
            host.lock.withLock { host.state[key.string] = value.string }
            return FERRY_OK
        }
        api.state_delete = { context, key, _ in
            let host = host(context)
            _ = host.lock.withLock { host.state.removeValue(forKey: key.string) }
            return FERRY_OK
        }
        api.id_map_get = { _, _, _, _, _ in FERRY_ERR_NOT_FOUND }
        api.id_map_put = { _, _, _, _, _ in FERRY_OK }
        api.secret_get = { _, _, _, _ in FERRY_ERR_NOT_FOUND }
        api.metric = { _, _, _, _, _ in }
        api.is_cancelled = { context in
            let host = host(context)
            return host.lock.withLock { host.cancelled } ? 1 : 0
        }
        api.http_request = { context, request, out, error in
            PluginError.guarded(error) {
                guard let http = host(context).http else {
                    throw PluginError.unsupported(
                        "the conformance kit's host has no HTTP without --replay DIR (a recording of the API)")
                }
                guard let request, let out, request.pointee.struct_size > 0 else {
                    throw PluginError.invalid("http_request needs a request and a response struct")
                }
                HTTPBridge.fill(out, with: try HTTPBridge.send(request.pointee, through: http))
                return FERRY_OK
            }
        }
        let table = UnsafeMutablePointer<ferry_host_api>.allocate(capacity: 1)
        table.initialize(to: api)
        return table
    }()

    private static func host(_ context: OpaquePointer?) -> KitHost {
        Unmanaged<KitHost>.fromOpaque(UnsafeRawPointer(context!)).takeUnretainedValue()
    }
}
