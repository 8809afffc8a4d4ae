import CFerryPlugin
import FerryLoader
import FerryPluginSDK
import Foundation

/// The child side of process isolation (`ferry plugin-host`): loads one plugin file,
/// opens one instance and serves the host's calls on it until `close` or until the
/// host goes away. Every slot is the plugin's own, called with the same borrowed
/// inputs; every output is copied onto the channel and released here, as the ABI says.
///
/// `@unchecked Sendable`: the instance handle, which the cancel thread reads, is guarded by
/// `instanceLock`; everything else belongs to the serve loop's thread.
public final class PluginHostServer: @unchecked Sendable {
    /// The descriptors the host hands the child (`ChildProcess` sets them up).
    public static let channelDescriptor: Int32 = 3
    public static let cancelDescriptor: Int32 = 4

    private let api: UnsafePointer<ferry_plugin_api>
    private let link: ChildLink
    /// The open instance; guarded by `instanceLock` because `cancel` comes from another thread.
    private var instance: OpaquePointer?
    private let instanceLock = NSLock()
    private var readers: [UInt64: OpaquePointer] = [:]
    private var nextReaderID: UInt64 = 1

    private init(api: UnsafePointer<ferry_plugin_api>, link: ChildLink) {
        self.api = api
        self.link = link
    }

    /// Serves the plugin at `pluginPath` for the host process `parent`; returns the exit status.
    public static func run(pluginPath: String, parent: Int32) -> Int32 {
        ParentDeath.follow(parent)
        closeInheritedDescriptors()
        let plugin: LoadedPlugin
        do { plugin = try PluginLoader().load(path: pluginPath) } catch {
            FileHandle.standardError.write(Data("ferry plugin-host: \(error)\n".utf8))
            return 1
        }
        let server = PluginHostServer(
            api: plugin.api, link: ChildLink(channel: FrameChannel(descriptor: channelDescriptor)))
        server.forwardCancellation(from: cancelDescriptor)
        return server.serve()
    }

    /// Closes every descriptor above the cancel pipe that the host let through (its state
    /// database, its HTTP sockets): the plugin gets only what it opens itself.
    private static func closeInheritedDescriptors() {
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > cancelDescriptor {
            close(descriptor)
        }
    }

    /// Each byte on the cancel pipe is one `cancel` call on the instance, made at once
    /// from this thread, as the ABI allows, while the serve loop is inside another call.
    private func forwardCancellation(from descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = read(descriptor, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                instanceLock.withLock {
                    if let instance { api.pointee.cancel?(instance) }
                }
            }
        }
    }

    private func serve() -> Int32 {
        while true {
            let request: FrameReader
            do {
                let (kind, reader) = try link.channel.receive()
                guard kind == .call else { throw MalformedFrame(description: "expected a call, got \(kind)") }
                request = reader
            } catch is FrameChannel.Closed {
                return 0
            } catch {
                FileHandle.standardError.write(Data("ferry plugin-host: \(error)\n".utf8))
                return 1
            }
            var reader = request
            var reply = FrameWriter(.reply)
            let slot: IsolatedSlot
            do {
                guard let known = IsolatedSlot(rawValue: try reader.byte()) else {
                    throw MalformedFrame(description: "an unknown slot")
                }
                slot = known
                link.callInFlight = true
                try handle(slot, &reader, &reply)
            } catch {
                FileHandle.standardError.write(Data("ferry plugin-host: \(error)\n".utf8))
                return 1
            }
            link.endCall(with: reply)
            if slot == .close { return 0 }
        }
    }

    private func handle(_ slot: IsolatedSlot, _ request: inout FrameReader, _ reply: inout FrameWriter) throws {
        var error = ferry_error.empty
        switch slot {
        case .open:
            let config = try request.data()
            var handle: OpaquePointer?
            let ctx = OpaquePointer(Unmanaged.passUnretained(link).toOpaque())
            let status = withBorrowedStrs([config]) {
                api.pointee.open!(ChildHostServices.pointer, ctx, $0[0], &handle, &error)
            }
            if reply.outcome(status, &error) { instanceLock.withLock { instance = handle } }
        case .check:
            try bufferSlot(&reply, &error) { api.pointee.check!(try live(), $0, $1) }
        case .discover:
            try bufferSlot(&reply, &error) { api.pointee.discover!(try live(), $0, $1) }
        case .checkpointGet:
            let text = try request.data()
            try bufferSlot(&reply, &error) { out, error in
                let instance = try live()
                return withBorrowedStrs([text]) { api.pointee.checkpoint_get!(instance, $0[0], out, error) }
            }
        case .readOpen:
            let text = try request.data()
            var reader: OpaquePointer?
            let instance = try live()
            let status = withBorrowedStrs([text]) { api.pointee.read_open!(instance, $0[0], &reader, &error) }
            if reply.outcome(status, &error), let reader {
                readers[nextReaderID] = reader
                reply.uint64(nextReaderID)
                nextReaderID += 1
            }
        case .readNext:
            let reader = try knownReader(try request.uint64())
            var batch = ferry_batch()
            let status = api.pointee.read_next!(reader, &batch, &error)
            if reply.outcome(status, &error) {
                reply.uint32(batch.record_count)
                reply.data(batch.records)
                reply.data(batch.checkpoint)
                batch.release?(&batch)
            }
        case .readClose:
            let id = try request.uint64()
            if let reader = readers.removeValue(forKey: id) { api.pointee.read_close!(reader) }
            reply.int32(FERRY_OK)
        case .write:
            var result = ferry_write_result()
            let status = try recordsSlot(&request, &error) { api.pointee.write!($0, $1, $2, &result, $3) }
            if reply.outcome(status, &error) {
                reply.recordsOutcome(result.accepted_count, result.rejected_count, result.rejects, result.id_mappings)
                result.release?(&result)
            }
        case .transform:
            var result = ferry_transform_result()
            let status = try recordsSlot(&request, &error) { api.pointee.transform!($0, $1, $2, &result, $3) }
            if reply.outcome(status, &error) {
                reply.recordsOutcome(result.record_count, result.rejected_count, result.records, result.rejects)
                result.release?(&result)
            }
        case .close:
            for reader in readers.values { api.pointee.read_close!(reader) }
            readers = [:]
            let closing = instanceLock.withLock {
                defer { instance = nil }
                return instance
            }
            if let closing { api.pointee.close!(closing) }
            reply.int32(FERRY_OK)
        }
    }

    private func live() throws -> OpaquePointer {
        guard let instance = instanceLock.withLock({ instance }) else {
            throw MalformedFrame(description: "a call before open")
        }
        return instance
    }

    private func knownReader(_ id: UInt64) throws -> OpaquePointer {
        guard let reader = readers[id] else { throw MalformedFrame(description: "an unknown reader \(id)") }
        return reader
    }

    /// A slot whose output is one buffer (`check`, `discover`, `checkpoint_get`).
    private func bufferSlot(
        _ reply: inout FrameWriter, _ error: inout ferry_error,
        _ call: (UnsafeMutablePointer<ferry_buffer>, UnsafeMutablePointer<ferry_error>) throws -> ferry_status
    ) throws {
        var buffer = ferry_buffer()
        let status = try call(&buffer, &error)
        if reply.outcome(status, &error) { reply.data(buffer.consumeBytes()) }
    }

    /// A slot that takes a request and a batch of records (`write`, `transform`), both borrowed.
    private func recordsSlot(
        _ request: inout FrameReader, _ error: inout ferry_error,
        _ call: (OpaquePointer, ferry_str, ferry_str, UnsafeMutablePointer<ferry_error>) -> ferry_status
    ) throws -> ferry_status {
        let text = try request.span()
        let records = try request.span()
        let instance = try live()
        return request.withBorrowed([text, records]) { call(instance, $0[0], $0[1], &error) }
    }
}

extension FrameWriter {
    /// Writes a slot's status, and its error when it failed; true when outputs follow (`FERRY_OK`).
    mutating func outcome(_ status: ferry_status, _ error: inout ferry_error) -> Bool {
        int32(status)
        if status < 0 {
            self.error(consuming: &error)
            return false
        }
        error.releaseContents()
        return status == FERRY_OK
    }

    /// The outputs of `write` and `transform`: two counts and two texts.
    mutating func recordsOutcome(_ first: UInt32, _ second: UInt32, _ firstText: ferry_str, _ secondText: ferry_str) {
        uint32(first)
        uint32(second)
        data(firstText)
        data(secondText)
    }
}
