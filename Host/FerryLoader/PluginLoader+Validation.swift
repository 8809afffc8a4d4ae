import CFerryPlugin
import FerryBuild

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The checks a descriptor and a plugin table must pass, and the call to `init`.
extension PluginLoader {
    /// The size of an ABI 1.0 descriptor: up to and including `init`. Later
    /// minors only add fields after it, so this stays the floor.
    static let descriptorSizeV1_0 =
        MemoryLayout<ferry_plugin_descriptor>.offset(of: \ferry_plugin_descriptor.`init`)!
        + MemoryLayout<UnsafeRawPointer>.size

    /// The size of an ABI 1.0 plugin table: up to and including `close`.
    static let tableSizeV1_0 =
        MemoryLayout<ferry_plugin_api>.offset(of: \ferry_plugin_api.close)!
        + MemoryLayout<UnsafeRawPointer>.size

    /// A table larger than this is garbage, not a future minor.
    static let tableSizeLimit = 64 * 1024

    /// Reads and checks the descriptor at `raw`.
    func validateDescriptor(
        _ raw: UnsafePointer<ferry_plugin_descriptor>, path: String
    ) throws(PluginLoadError) -> PluginDescriptor {
        func invalid(_ problem: String, hint: String? = nil) -> PluginLoadError {
            PluginLoadError(path: path, kind: .invalidDescriptor, problem: problem, hint: hint)
        }
        let size = Int(UnsafeRawPointer(raw).load(as: UInt32.self))
        guard size >= Self.descriptorSizeV1_0 else {
            throw invalid(
                "descriptor struct_size is \(size), an ABI 1.0 descriptor has \(Self.descriptorSizeV1_0)",
                hint: "set struct_size = sizeof(ferry_plugin_descriptor)")
        }
        let d = Self.copy(raw, size: size)
        guard d.abi_major == UInt32(FERRY_ABI_MAJOR) else {
            throw PluginLoadError(
                path: path, kind: .incompatibleABI,
                problem:
                    "built for Ferry ABI \(d.abi_major).\(d.abi_minor), this host speaks ABI \(FERRY_ABI_MAJOR).\(hostMinor)",
                hint: "use a plugin version built against ferry_plugin.h major \(FERRY_ABI_MAJOR)")
        }
        guard d.abi_minor >= minimumMinor else {
            throw PluginLoadError(
                path: path, kind: .incompatibleABI,
                problem: "implements ABI 1.\(d.abi_minor), this host requires at least 1.\(minimumMinor)",
                hint: "upgrade the plugin")
        }
        guard let name = Self.string(d.name), !name.isEmpty else {
            throw invalid("descriptor has no name", hint: "set name to a static lowercase string")
        }
        guard name.utf8.count <= 64,
            name.utf8.allSatisfy({
                (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D
            })
        else {
            throw invalid(
                "plugin name '\(name)' is not [a-z0-9_-]+ (at most 64 bytes)", hint: "rename it, e.g. 'my-plugin'")
        }
        guard let version = Self.string(d.version), !version.isEmpty else {
            throw invalid("plugin '\(name)' has no version", hint: "set version, e.g. \"1.0.0\"")
        }
        guard let runtime = Self.string(d.runtime), !runtime.isEmpty else {
            throw invalid("plugin '\(name)' has no runtime", hint: "set runtime to \"c\" or the SDK's Swift tag")
        }
        if Self.isSharedSwiftRuntime(runtime), runtime != SwiftRuntime.tag {
            throw PluginLoadError(
                path: path, kind: .runtimeMismatch,
                problem: "plugin '\(name)' was built with Swift runtime \(runtime), this host runs \(SwiftRuntime.tag)",
                hint: "rebuild it with the host's Swift toolchain; Linux Swift has no stable ABI")
        }
        let capabilities = PluginCapabilities(rawValue: d.capabilities)
        guard !capabilities.intersection(.roles).isEmpty else {
            throw invalid(
                "plugin '\(name)' declares no capabilities", hint: "set FERRY_CAP_SOURCE, _DESTINATION or _TRANSFORM")
        }
        guard PluginCapabilities.known.isSuperset(of: capabilities) else {
            throw invalid(
                "plugin '\(name)' declares unknown capability bits 0x\(String(d.capabilities, radix: 16))",
                hint: "ABI 1.1 knows only FERRY_CAP_SOURCE, _DESTINATION, _TRANSFORM and _REPEATABLE_READ")
        }
        guard d.`init` != nil else {
            throw invalid("plugin '\(name)' has no init function", hint: "set the descriptor's init")
        }
        return PluginDescriptor(
            name: name, version: version, abiMajor: d.abi_major, abiMinor: d.abi_minor, runtime: runtime,
            capabilities: capabilities, summary: Self.string(d.description) ?? "")
    }

    /// True for `swift` and `swift-<digit>…`: a plugin sharing the host's Swift runtime.
    /// Other tags (`c`, `rust`, `swift-static`) carry their own runtime and are accepted.
    static func isSharedSwiftRuntime(_ runtime: String) -> Bool {
        guard runtime.hasPrefix("swift") else { return false }
        let rest = runtime.utf8.dropFirst(5)
        guard let dash = rest.first else { return true }
        return dash == 0x2D && rest.dropFirst().first.map { (0x30...0x39).contains($0) } == true
    }

    /// Calls the descriptor's `init` and returns the table's address.
    static func callInit(
        _ raw: UnsafePointer<ferry_plugin_descriptor>, hostMinor: UInt32, path: String
    ) throws(PluginLoadError) -> UInt {
        let d = copy(raw, size: Int(UnsafeRawPointer(raw).load(as: UInt32.self)))
        guard let initialize = d.`init` else {
            throw PluginLoadError(path: path, kind: .invalidDescriptor, problem: "descriptor has no init function")
        }
        var api: UnsafePointer<ferry_plugin_api>?
        var error = ferry_error()
        error.struct_size = UInt32(MemoryLayout<ferry_error>.size)
        let status = initialize(hostMinor, &api, &error)
        let message = take(&error.message)
        _ = take(&error.details)
        guard status == FERRY_OK else {
            let reason = message.map { ": \($0)" } ?? ""
            throw PluginLoadError(
                path: path, kind: .initFailed, problem: "init failed with \(statusName(status))\(reason)",
                hint: "the plugin refused to start; its message says why")
        }
        return UInt(bitPattern: api)
    }

    /// Checks the table: size, negotiated minor, and the slots the capabilities require.
    /// Returns the negotiated minor.
    func validateTable(
        _ api: UnsafePointer<ferry_plugin_api>, descriptor: PluginDescriptor, path: String
    ) throws(PluginLoadError) -> UInt32 {
        func invalid(_ problem: String, hint: String) -> PluginLoadError {
            PluginLoadError(
                path: path, kind: .invalidTable, problem: "plugin '\(descriptor.name)': \(problem)", hint: hint)
        }
        let size = Int(UnsafeRawPointer(api).load(as: UInt32.self))
        guard size >= Self.tableSizeV1_0, size <= Self.tableSizeLimit else {
            throw invalid(
                "plugin table struct_size is \(size), an ABI 1.0 table has \(Self.tableSizeV1_0)",
                hint: "set struct_size = sizeof(ferry_plugin_api)")
        }
        let t = Self.copy(api, size: size)
        let ceiling = min(hostMinor, descriptor.abiMinor)
        guard t.abi_minor <= ceiling, t.abi_minor >= minimumMinor else {
            throw invalid(
                "init negotiated minor \(t.abi_minor); expected at most \(ceiling) and at least \(minimumMinor)",
                hint: "init must answer min(host_minor, the plugin's minor)")
        }
        var missing: [String] = []
        if t.spec == nil { missing.append("spec") }
        if t.open == nil { missing.append("open") }
        if t.close == nil { missing.append("close") }
        if descriptor.capabilities.contains(.source) {
            if t.discover == nil { missing.append("discover") }
            if t.read_open == nil { missing.append("read_open") }
            if t.read_next == nil { missing.append("read_next") }
            if t.read_close == nil { missing.append("read_close") }
        }
        if descriptor.capabilities.contains(.destination), t.write == nil { missing.append("write") }
        if descriptor.capabilities.contains(.transform), t.transform == nil { missing.append("transform") }
        guard missing.isEmpty else {
            throw invalid(
                "declares \(descriptor.capabilities) but the table has no \(missing.joined(separator: ", "))",
                hint: "fill those slots or drop the capability")
        }
        return t.abi_minor
    }

    // MARK: Helpers

    /// A zero-filled `T` (a plain C struct) with the first `size` bytes copied from `raw`: fields
    /// beyond the plugin's struct_size read as absent.
    static func copy<T>(_ raw: UnsafePointer<T>, size: Int) -> T {
        let value = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        defer { value.deallocate() }
        value.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
        value.copyMemory(from: raw, byteCount: min(size, MemoryLayout<T>.size))
        return value.load(as: T.self)
    }

    /// A descriptor string, or nil when NULL or not UTF-8.
    static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.flatMap { String(validatingCString: $0) }
    }

    /// The buffer's text, after which the buffer is released.
    static func take(_ buffer: inout ferry_buffer) -> String? {
        defer { if let release = buffer.release { release(&buffer) } }
        guard let pointer = buffer.ptr, buffer.len > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.len), as: UTF8.self)
    }

    /// `FERRY_ERR_INVALID (-1)` and the like.
    static func statusName(_ status: ferry_status) -> String {
        let names: [ferry_status: String] = [
            ferry_status(FERRY_OK): "FERRY_OK", ferry_status(FERRY_END): "FERRY_END",
            ferry_status(FERRY_END_COMPLETE): "FERRY_END_COMPLETE",
            ferry_status(FERRY_ERR_INVALID): "FERRY_ERR_INVALID",
            ferry_status(FERRY_ERR_RETRYABLE): "FERRY_ERR_RETRYABLE",
            ferry_status(FERRY_ERR_RATE_LIMITED): "FERRY_ERR_RATE_LIMITED",
            ferry_status(FERRY_ERR_AUTH): "FERRY_ERR_AUTH",
            ferry_status(FERRY_ERR_CANCELLED): "FERRY_ERR_CANCELLED",
            ferry_status(FERRY_ERR_UNSUPPORTED): "FERRY_ERR_UNSUPPORTED",
            ferry_status(FERRY_ERR_NOT_FOUND): "FERRY_ERR_NOT_FOUND",
            ferry_status(FERRY_ERR_INTERNAL): "FERRY_ERR_INTERNAL",
        ]
        return "\(names[status] ?? "status") (\(status))"
    }
}
