import CFerryPlugin
import FerryLoader
import FerryPluginSDK
import Foundation
import Glibc

/// Process isolation for a plugin (`isolation: process`): a plugin table of the same shape
/// as the plugin's own, whose slots forward each call to a child `ferry plugin-host`
/// process running the same `.so`, one child per open instance.
///
/// The engine wraps this table in a `PluginConnection` like any other; only `open` differs,
/// because it must start the child first (`open(host:context:config:instance:error:)`).
/// The descriptor, `init` and `spec` still run in the host: that is how the plugin was found.
public struct IsolatedPlugin: Sendable {
    public let plugin: LoadedPlugin
    /// The `ferry` executable that serves `plugin-host`.
    public let executable: String

    public init(plugin: LoadedPlugin, executable: String = PluginHostExecutable.path) {
        self.plugin = plugin
        self.executable = executable
    }

    /// The forwarding table: a slot is set where the plugin's own table sets one.
    public var api: UnsafePointer<ferry_plugin_api> { ProxyTables.shared.table(shapedLike: plugin.api) }

    /// Starts a child and opens the instance in it; on success `instance` is the proxy's handle
    /// for the slots of `api`.
    public func open(
        host: UnsafePointer<ferry_host_api>, context: OpaquePointer, config: ferry_str,
        instance: inout OpaquePointer?, error: UnsafeMutablePointer<ferry_error>
    ) -> ferry_status {
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(executable: executable, pluginPath: plugin.path)
        } catch let failure {
            PluginError(status: FERRY_ERR_INTERNAL, message: "plugin '\(plugin.name)' (process isolation): \(failure)")
                .fill(error)
            return FERRY_ERR_INTERNAL
        }
        let isolated = IsolatedInstance(pluginName: plugin.name, child: child, host: host, context: context)
        let configBytes = Array(config.rawBytes)
        let status = isolated.call(.open, error, fields: { $0.data(configBytes) })
        guard status == FERRY_OK else {
            isolated.close()
            return status
        }
        instance = OpaquePointer(Unmanaged.passRetained(isolated).toOpaque())
        return status
    }
}

/// The host's handle for a reader open in the child.
final class IsolatedReader {
    let instance: IsolatedInstance
    let id: UInt64

    init(instance: IsolatedInstance, id: UInt64) {
        self.instance = instance
        self.id = id
    }
}

/// One forwarding table per plugin table shape, allocated once and kept for the process
/// (the ABI says a plugin table stays valid for the life of the process).
final class ProxyTables: @unchecked Sendable {
    static let shared = ProxyTables()
    private var tables: [UnsafePointer<ferry_plugin_api>: UnsafePointer<ferry_plugin_api>] = [:]
    private let lock = NSLock()

    func table(shapedLike original: UnsafePointer<ferry_plugin_api>) -> UnsafePointer<ferry_plugin_api> {
        lock.withLock {
            if let known = tables[original] { return known }
            let table = UnsafeMutablePointer<ferry_plugin_api>.allocate(capacity: 1)
            table.initialize(to: ProxySlots.table(shapedLike: original))
            tables[original] = UnsafePointer(table)
            return UnsafePointer(table)
        }
    }
}

/// The forwarding slots. Each turns its handle back into the `IsolatedInstance` (or
/// `IsolatedReader`), sends the call and fills the caller's outputs, which the caller
/// releases as the ABI says.
enum ProxySlots {
    /// Reads `original` field by field: an older plugin's table may be shorter than this host's struct.
    static func table(shapedLike original: UnsafePointer<ferry_plugin_api>) -> ferry_plugin_api {
        var api = ferry_plugin_api()
        api.struct_size = original.pointee.struct_size
        api.abi_minor = original.pointee.abi_minor
        api.spec = original.pointee.spec
        api.open = nil // IsolatedPlugin.open: the child must be started first
        api.close = { handle in
            guard let handle else { return }
            let instance = Unmanaged<IsolatedInstance>.fromOpaque(UnsafeRawPointer(handle))
            instance.takeUnretainedValue().close()
            instance.release()
        }
        api.cancel = { handle in instance(handle).cancel() }
        if original.pointee.check != nil {
            api.check = { handle, out, error in
                instance(handle).call(.check, error, outputs: { out?.pointee = .owning(try $0.data()) })
            }
        }
        if original.pointee.discover != nil {
            api.discover = { handle, out, error in
                instance(handle).call(.discover, error, outputs: { out?.pointee = .owning(try $0.data()) })
            }
        }
        if original.pointee.read_open != nil, original.pointee.read_next != nil, original.pointee.read_close != nil {
            api.read_open = { handle, request, out, error in
                let owner = instance(handle)
                return owner.call(
                    .readOpen, error, fields: { $0.data(request) },
                    outputs: { reply in
                        let reader = IsolatedReader(instance: owner, id: try reply.uint64())
                        out?.pointee = OpaquePointer(Unmanaged.passRetained(reader).toOpaque())
                    })
            }
            api.read_next = { handle, out, error in
                let reader = Unmanaged<IsolatedReader>.fromOpaque(UnsafeRawPointer(handle!)).takeUnretainedValue()
                return reader.instance.call(
                    .readNext, error, fields: { $0.uint64(reader.id) },
                    outputs: { reply in
                        let count = try reply.uint32()
                        let block = OwnedBlock(reply, try reply.span(), try reply.span())
                        out?.pointee = ferry_batch(
                            struct_size: UInt32(MemoryLayout<ferry_batch>.size), record_count: count,
                            records: block.views[0], checkpoint: block.views[1],
                            release: { batch in
                                free(batch?.pointee.private_data)
                                batch?.pointee.release = nil
                            }, private_data: block.memory)
                    })
            }
            api.read_close = { handle in
                guard let handle else { return }
                let reader = Unmanaged<IsolatedReader>.fromOpaque(UnsafeRawPointer(handle))
                let value = reader.takeUnretainedValue()
                _ = value.instance.call(.readClose, nil, fields: { $0.uint64(value.id) })
                reader.release()
            }
        }
        if original.pointee.write != nil {
            api.write = { handle, request, records, out, error in
                recordsCall(.write, handle, request, records, error) { accepted, rejected, block in
                    out?.pointee = ferry_write_result(
                        struct_size: UInt32(MemoryLayout<ferry_write_result>.size), accepted_count: accepted,
                        rejected_count: rejected, rejects: block.views[0], id_mappings: block.views[1],
                        release: { result in
                            free(result?.pointee.private_data)
                            result?.pointee.release = nil
                        }, private_data: block.memory)
                }
            }
        }
        if original.pointee.transform != nil {
            api.transform = { handle, request, records, out, error in
                recordsCall(.transform, handle, request, records, error) { count, rejected, block in
                    out?.pointee = ferry_transform_result(
                        struct_size: UInt32(MemoryLayout<ferry_transform_result>.size), record_count: count,
                        rejected_count: rejected, records: block.views[0], rejects: block.views[1],
                        release: { result in
                            free(result?.pointee.private_data)
                            result?.pointee.release = nil
                        }, private_data: block.memory)
                }
            }
        }
        if PluginConnection.checkpointGetSlot(of: original) != nil {
            api.checkpoint_get = { handle, request, out, error in
                instance(handle).call(
                    .checkpointGet, error, fields: { $0.data(request) },
                    outputs: { out?.pointee = .owning(try $0.data()) })
            }
        }
        return api
    }

}

/// `write` and `transform`: a request and records in; two counts and two texts out, the
/// texts in one block the output's release frees (`FrameWriter.recordsOutcome`).
private func recordsCall(
    _ slot: IsolatedSlot, _ handle: OpaquePointer?, _ request: ferry_str, _ records: ferry_str,
    _ error: UnsafeMutablePointer<ferry_error>?, fill: (UInt32, UInt32, OwnedBlock) -> Void
) -> ferry_status {
    instance(handle).call(
        slot, error,
        fields: {
            $0.data(request)
            $0.data(records)
        },
        outputs: { reply in
            let first = try reply.uint32()
            let second = try reply.uint32()
            fill(first, second, OwnedBlock(reply, try reply.span(), try reply.span()))
        })
}

/// The `IsolatedInstance` an instance handle stands for (a free function: a C function
/// pointer cannot capture the enum's context).
private func instance(_ handle: OpaquePointer?) -> IsolatedInstance {
    Unmanaged<IsolatedInstance>.fromOpaque(UnsafeRawPointer(handle!)).takeUnretainedValue()
}

/// Two fields of a frame copied into one malloc'd block, freed with one `free(memory)` by
/// the output's release.
struct OwnedBlock {
    let memory: UnsafeMutableRawPointer?
    let views: [ferry_str]

    init(_ frame: FrameReader, _ first: Range<Int>, _ second: Range<Int>) {
        let memory = malloc(max(first.count + second.count, 1))
        self.memory = memory
        guard let memory else {
            views = [ferry_str(), ferry_str()]
            return
        }
        frame.withBorrowed([first, second]) { fields in
            memory.copyMemory(from: fields[0].ptr, byteCount: fields[0].len)
            (memory + first.count).copyMemory(from: fields[1].ptr, byteCount: fields[1].len)
        }
        let base = memory.assumingMemoryBound(to: CChar.self)
        views = [ferry_str(ptr: base, len: first.count), ferry_str(ptr: base + first.count, len: second.count)]
    }
}
