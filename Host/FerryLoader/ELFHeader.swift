#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The first bytes of an ELF file: enough to say, before `dlopen`, why a file
/// cannot be a plugin for this host (not ELF, another machine, an executable).
struct ELFHeader: Sendable, Equatable {
    /// `EI_CLASS`: 1 for 32-bit, 2 for 64-bit objects.
    var wordClass: UInt8
    /// `EI_DATA`: 1 little-endian, 2 big-endian.
    var byteOrder: UInt8
    /// `e_type`: 1 relocatable, 2 executable, 3 shared object (or PIE), 4 core.
    var type: UInt16
    /// `e_machine`, e.g. 62 for x86_64 and 183 for aarch64.
    var machine: UInt16

    /// The header of the open file `descriptor`, or an error when it is not ELF.
    ///
    /// Reads through the descriptor the loader checked and will `dlopen`, never by path,
    /// so the header judged is the file loaded.
    ///
    /// - Parameters:
    ///   - descriptor: the plugin file, open for reading.
    ///   - path: the file's path, for messages.
    /// - Throws: `.notELF`.
    static func read(descriptor: Int32, path: String) throws(PluginLoadError) -> ELFHeader {
        var bytes = [UInt8](repeating: 0, count: 20)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 20, 0) }
        guard count >= 20, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            let start = bytes.prefix(max(count, 0)).prefix(8)
            let shown = start.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            throw PluginLoadError(
                path: path, kind: .notELF,
                problem: "not an ELF shared object (it starts with \"\(shown)\")",
                hint: "a plugin must be a shared library built with cc -shared or swift build")
        }
        let bigEndian = bytes[5] == 2
        func half(_ offset: Int) -> UInt16 {
            let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
            return bigEndian ? (a << 8 | b) : (b << 8 | a)
        }
        return ELFHeader(wordClass: bytes[4], byteOrder: bytes[5], type: half(16), machine: half(18))
    }

    /// Throws when this header describes an object this process cannot load.
    ///
    /// - Parameter path: the file, for the error message.
    func checkLoadable(path: String) throws(PluginLoadError) {
        if machine != ELFHeader.hostMachine || wordClass != ELFHeader.hostWordClass {
            let bits = wordClass == 1 ? "32-bit " : ""
            throw PluginLoadError(
                path: path, kind: .wrongArchitecture,
                problem:
                    "built for \(bits)\(ELFHeader.machineName(machine)), this host is \(ELFHeader.machineName(ELFHeader.hostMachine))",
                hint: "rebuild the plugin on or for this machine")
        }
        switch type {
        case 3:
            return
        case 1:
            throw PluginLoadError(
                path: path, kind: .notSharedLibrary, problem: "an object file, not a shared library",
                hint: "link it with -shared")
        case 2:
            throw PluginLoadError(
                path: path, kind: .notSharedLibrary, problem: "an executable, not a shared library",
                hint: "build the plugin with -shared -fPIC")
        default:
            throw PluginLoadError(
                path: path, kind: .notSharedLibrary, problem: "ELF type \(type) is not a shared library",
                hint: "build the plugin with -shared -fPIC")
        }
    }

    /// The `e_machine` value of the running process.
    static var hostMachine: UInt16 {
        #if arch(x86_64)
            return 62
        #elseif arch(arm64)
            return 183
        #elseif arch(i386)
            return 3
        #elseif arch(arm)
            return 40
        #elseif arch(riscv64)
            return 243
        #elseif arch(powerpc64le) || arch(powerpc64)
            return 21
        #elseif arch(s390x)
            return 22
        #else
            return 0
        #endif
    }

    /// The `EI_CLASS` of the running process.
    static var hostWordClass: UInt8 {
        MemoryLayout<Int>.size == 8 ? 2 : 1
    }

    /// A readable name for an `e_machine` value.
    ///
    /// - Parameter machine: the `e_machine` field.
    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: return "i386"
        case 8: return "mips"
        case 20: return "ppc"
        case 21: return "ppc64"
        case 22: return "s390x"
        case 40: return "arm"
        case 62: return "x86_64"
        case 183: return "aarch64"
        case 243: return "riscv"
        case 258: return "loongarch"
        default: return "machine \(machine)"
        }
    }
}
