import Foundation
import Glibc

/// A running `ferry plugin-host` child: its pid, the socket to it and the pipe that carries
/// `cancel`. The child runs in its own process group, so a Ctrl-C at the terminal reaches
/// the host alone, which passes it on as `cancel`; it dies with the host (`ParentDeath`).
final class ChildProcess {
    let pid: pid_t
    let channel: FrameChannel
    private let cancelDescriptor: Int32
    private var exitStatus: Int32?

    private init(pid: pid_t, channel: FrameChannel, cancelDescriptor: Int32) {
        self.pid = pid
        self.channel = channel
        self.cancelDescriptor = cancelDescriptor
    }

    deinit {
        close(channel.descriptor)
        close(cancelDescriptor)
        _ = reap(waitingUpTo: 5)
    }

    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `executable plugin-host --plugin PATH --parent PID` with the socket as descriptor 3,
    /// the cancel pipe's read end as 4, and its standard output sent to standard error.
    static func launch(executable: String, pluginPath: String) throws -> ChildProcess {
        var sockets: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw LaunchError(description: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        // Room for a whole batch of ordinary size in flight: fewer switches between the two processes.
        var bufferSize: Int32 = 4 << 20
        for socket in sockets {
            for option in [SO_SNDBUF, SO_RCVBUF] {
                _ = setsockopt(socket, SOL_SOCKET, option, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        var cancelPipe: [Int32] = [0, 0]
        guard pipe(&cancelPipe) == 0 else {
            close(sockets[0])
            close(sockets[1])
            throw LaunchError(description: "pipe failed: \(String(cString: strerror(errno)))")
        }
        for descriptor in cancelPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        // A cancel must never block the caller: a full pipe already says "cancel".
        _ = fcntl(cancelPipe[1], F_SETFL, fcntl(cancelPipe[1], F_GETFL) | O_NONBLOCK)
        defer {
            close(sockets[1])
            close(cancelPipe[0])
        }
        // The child's ends must not already sit on 3 or 4, where dup2 would leave close-on-exec set.
        let childSocket = movedAbove(4, sockets[1])
        let childCancel = movedAbove(4, cancelPipe[0])
        defer {
            if childSocket != sockets[1] { close(childSocket) }
            if childCancel != cancelPipe[0] { close(childCancel) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childSocket, PluginHostServer.channelDescriptor)
        posix_spawn_file_actions_adddup2(&actions, childCancel, PluginHostServer.cancelDescriptor)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)

        let arguments = [executable, "plugin-host", "--plugin", pluginPath, "--parent", "\(getpid())"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard status == 0 else {
            close(sockets[0])
            close(cancelPipe[1])
            throw LaunchError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return ChildProcess(
            pid: pid, channel: FrameChannel(descriptor: sockets[0]), cancelDescriptor: cancelPipe[1])
    }

    /// A descriptor numbered above `floor` for `descriptor` (the same one when it already is).
    private static func movedAbove(_ floor: Int32, _ descriptor: Int32) -> Int32 {
        descriptor > floor ? descriptor : fcntl(descriptor, F_DUPFD_CLOEXEC, floor + 1)
    }

    /// Passes a `cancel` to the child. Any thread; never blocks.
    func cancel() {
        var byte: UInt8 = 1
        _ = write(cancelDescriptor, &byte, 1)
    }

    /// Waits for the child to end, at most `seconds`, then kills it; returns its wait status.
    @discardableResult
    func reap(waitingUpTo seconds: Double) -> Int32 {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) { break }
            if result < 0 && errno == EINTR { continue }
            if Date() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(1_000)
        }
        exitStatus = status
        return status
    }

    /// How the child ended, for an error message: "died of SIGSEGV", "exited with status 3".
    func ending() -> String {
        Self.describe(waitStatus: reap(waitingUpTo: 5))
    }

    static func describe(waitStatus status: Int32) -> String {
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f { return "died of \(SignalName.of(signal))" }
        return "exited with status \((status >> 8) & 0xff)"
    }
}

/// The conventional names of the signals a crashing or killed process dies of.
public enum SignalName {
    /// `SIGSEGV` for 11, and so on; `signal N` for one without a name here.
    public static func of(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
            SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGPIPE: "SIGPIPE", SIGTRAP: "SIGTRAP",
            SIGSYS: "SIGSYS", SIGXCPU: "SIGXCPU", SIGHUP: "SIGHUP", SIGQUIT: "SIGQUIT",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
