import CFerryPlugin
import FerryCore
import FerryHTTP
import FerryJSON
import FerryPluginSDK
import Logging

/// The host routines table (`ferry_host_api`) handed to every plugin instance.
///
/// One static table serves all instances; the `ferry_host_ctx` pointer each
/// call carries is an unretained `PluginContext`, kept alive by the
/// `PluginConnection` that owns the instance.
enum HostServicesTable {
    // Safe to share: Swift initialises a static once, thread-safely, and the table is never written after.
    nonisolated(unsafe) static let pointer = pinned(make())

    /// A copy of `table` that is never freed: a host table stays valid for the life of the process.
    static func pinned(_ table: ferry_host_api) -> UnsafePointer<ferry_host_api> {
        let pointer = UnsafeMutablePointer<ferry_host_api>.allocate(capacity: 1)
        pointer.initialize(to: table)
        return UnsafePointer(pointer)
    }

    /// A table of this host's size and minor, with no slot set.
    static func empty() -> ferry_host_api {
        var api = ferry_host_api()
        api.struct_size = UInt32(MemoryLayout<ferry_host_api>.size)
        api.abi_minor = UInt32(FERRY_ABI_MINOR)
        return api
    }

    private static func make() -> ferry_host_api {
        var api = empty()
        api.log = { ctx, level, message, fields in
            let context = pluginContext(ctx)
            var metadata: Logger.Metadata = [:]
            if fields.len > 0, case .object(let object)? = try? JSONParser().parse(fields.rawBytes) {
                for (key, value) in object {
                    metadata[key] = .string(value.stringValue ?? JSONWriter().encodeString(value))
                }
            }
            context.logger.log(level: LogLevelMapping.swiftLevel(level), "\(message.string)", metadata: metadata)
        }
        api.state_get = { ctx, key, out, error in
            PluginError.guarded(error) {
                let context = pluginContext(ctx)
                guard let value = try context.store.value(scope: context.stateScope, key: key.string) else {
                    return FERRY_ERR_NOT_FOUND
                }
                out?.pointee = .owning(value)
                return FERRY_OK
            }
        }
        api.state_set = { ctx, key, value, error in
            PluginError.guarded(error) {
                let context = pluginContext(ctx)
                try context.store.setValue(value.string, scope: context.stateScope, key: key.string)
                return FERRY_OK
            }
        }
        api.state_delete = { ctx, key, error in
            PluginError.guarded(error) {
                let context = pluginContext(ctx)
                try context.store.removeValue(scope: context.stateScope, key: key.string)
                return FERRY_OK
            }
        }
        api.id_map_get = { ctx, scope, sourceID, out, error in
            PluginError.guarded(error) {
                let context = pluginContext(ctx)
                let qualified = IDMapScope.qualified(scope.string, site: context.site)
                guard let id = try context.store.destinationID(scope: qualified, sourceID: sourceID.string) else {
                    return FERRY_ERR_NOT_FOUND
                }
                out?.pointee = .owning(id)
                return FERRY_OK
            }
        }
        api.id_map_put = { ctx, scope, sourceID, destinationID, error in
            PluginError.guarded(error) {
                let context = pluginContext(ctx)
                try context.store.setDestinationID(
                    destinationID.string, scope: IDMapScope.qualified(scope.string, site: context.site),
                    sourceID: sourceID.string)
                return FERRY_OK
            }
        }
        api.secret_get = { ctx, name, out, error in
            PluginError.guarded(error) {
                guard let secret = pluginContext(ctx).secrets[name.string] else { return FERRY_ERR_NOT_FOUND }
                out?.pointee = .owning(secret)
                return FERRY_OK
            }
        }
        api.metric = { ctx, kind, name, value, _ in
            let context = pluginContext(ctx)
            context.logger.trace(
                "Metric.",
                metadata: [
                    "metric": "\(name.string)", "kind": "\(kind == FERRY_METRIC_GAUGE ? "gauge" : "counter")",
                    "value": "\(value)",
                ])
        }
        api.is_cancelled = { ctx in pluginContext(ctx).cancellation.isCancelled ? 1 : 0 }
        api.http_request = { ctx, request, out, error in
            PluginError.guarded(error) {
                guard let request, let out, request.pointee.struct_size > 0 else {
                    throw PluginError.invalid("http_request needs a request and a response struct")
                }
                guard let http = pluginContext(ctx).http else {
                    throw PluginError.unsupported("the host's HTTP service is not available to this connection")
                }
                let context = pluginContext(ctx)
                let response: HTTPTransportResponse
                do {
                    response = try HTTPBridge.send(request.pointee, through: http)
                } catch let error as PluginError
                    where error.status == FERRY_ERR_RETRYABLE || error.status == FERRY_ERR_RATE_LIMITED
                {
                    context.httpRetriesSpent = true
                    throw error
                }
                HTTPBridge.fill(out, with: response)
                return FERRY_OK
            }
        }
        return api
    }
}

private func pluginContext(_ pointer: OpaquePointer?) -> PluginContext {
    Unmanaged<PluginContext>.fromOpaque(UnsafeRawPointer(pointer!)).takeUnretainedValue()
}

/// Maps ABI log levels to swift-log's.
enum LogLevelMapping {
    static func swiftLevel(_ level: Int32) -> Logger.Level {
        switch level {
        case FERRY_LOG_TRACE: return .trace
        case FERRY_LOG_DEBUG: return .debug
        case FERRY_LOG_INFO: return .info
        case FERRY_LOG_WARN: return .warning
        default: return .error
        }
    }
}
