import Foundation

/// Named places in the engine where tests make the process crash, stall or
/// say where it is, to prove that a crash at any of them loses and duplicates nothing.
///
/// Off unless `FERRY_FAILPOINTS` is set, e.g.
/// `FERRY_FAILPOINTS=after_write:kill:3,after_commit:sleep:200,after_commit:mark:1` kills
/// the process with SIGKILL at the third `after_write`, sleeps 200 ms at every
/// `after_commit`, and from the first `after_commit` on keeps a file
/// `$FERRY_FAILPOINT_MARKS/after_commit` holding the number of hits, so a test can
/// wait for a point instead of guessing a delay; `fail:N` makes the N-th hit of a point that
/// can fail (`hitThrowing`) throw. The points are:
/// - `after_read`: a batch was read, nothing written yet;
/// - `between_outputs`: a fan-out batch's output was written, the next one not yet;
/// - `after_write`: the destination acknowledged the batch, state not committed (inside a
///   commit group, `commit_records`, the batch may wait in the destination's open transaction);
/// - `state_commit_behind`: a commit group's state commit is about to start on its own thread,
///   behind the next group (`StateCommitBehind`); the destination already committed the group
///   (`fail:N` fails the N-th such commit, as a state store error would);
/// - `after_commit`: the batch's (or its commit group's) checkpoint and state are committed;
/// - `after_token_persist`: the HTTP service stored a rotated OAuth2 refresh token, not yet used.
public enum FailPoints {
    private struct Rule {
        var action: String
        var argument: Int
    }

    private static let rules: [String: [Rule]] = {
        guard let spec = ProcessInfo.processInfo.environment["FERRY_FAILPOINTS"], !spec.isEmpty else { return [:] }
        var rules: [String: [Rule]] = [:]
        for entry in spec.split(separator: ",") {
            let parts = entry.split(separator: ":").map(String.init)
            guard parts.count == 3, let argument = Int(parts[2]) else { continue }
            rules[parts[0], default: []].append(Rule(action: parts[1], argument: argument))
        }
        return rules
    }()

    private static let marks = ProcessInfo.processInfo.environment["FERRY_FAILPOINT_MARKS"]
    private static let lock = NSLock()
    nonisolated(unsafe) private static var hits: [String: Int] = [:]

    /// Marks that execution reached `name`; acts if a rule names it.
    public static func hit(_ name: String) {
        _ = act(at: name)
    }

    /// `hit(_:)` at a place whose work can fail: a `fail:N` rule makes the N-th hit throw, as
    /// the work there failing would (`FERRY_FAILPOINTS=state_commit_behind:fail:2`).
    public static func hitThrowing(_ name: String) throws {
        if act(at: name) { throw InjectedFailure(point: name) }
    }

    /// The error a `fail` rule throws.
    public struct InjectedFailure: Error, CustomStringConvertible {
        public let point: String
        public var description: String { "injected failure at fail point '\(point)' (FERRY_FAILPOINTS)" }
    }

    /// Acts on the rules naming `name`; returns whether a `fail` rule matched this hit.
    private static func act(at name: String) -> Bool {
        guard !rules.isEmpty, let named = rules[name] else { return false }
        var fails = false
        lock.lock()
        hits[name, default: 0] += 1
        let count = hits[name]!
        lock.unlock()
        for rule in named {
            switch rule.action {
            case "kill" where count == rule.argument:
                kill(getpid(), SIGKILL)
            case "sleep":
                usleep(useconds_t(rule.argument * 1000))
            case "mark" where count >= rule.argument:
                if let marks {
                    try? String(count).write(toFile: "\(marks)/\(name)", atomically: true, encoding: .utf8)
                }
            case "fail" where count == rule.argument:
                fails = true
            default:
                break
            }
        }
        return fails
    }
}
