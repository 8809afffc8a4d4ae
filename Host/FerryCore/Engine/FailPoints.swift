import Foundation

/// Named places in the engine where tests make the process crash or stall, to
/// prove that a crash at any of them loses and duplicates nothing.
///
/// Off unless `FERRY_FAILPOINTS` is set, e.g.
/// `FERRY_FAILPOINTS=after_write:kill:3,after_commit:sleep:200` kills the
/// process with SIGKILL at the third `after_write`, and sleeps 200 ms at every
/// `after_commit`. The points are:
/// - `after_read`: a batch was read, nothing written yet;
/// - `after_write`: the destination acknowledged the batch, state not committed;
/// - `after_commit`: the batch's checkpoint and state are committed;
/// - `after_token_persist`: the HTTP service stored a rotated OAuth2 refresh token, not yet used.
public enum FailPoints {
    private struct Rule {
        var action: String
        var argument: Int
    }

    private static let rules: [String: Rule] = {
        guard let spec = ProcessInfo.processInfo.environment["FERRY_FAILPOINTS"], !spec.isEmpty else { return [:] }
        var rules: [String: Rule] = [:]
        for entry in spec.split(separator: ",") {
            let parts = entry.split(separator: ":").map(String.init)
            guard parts.count == 3, let argument = Int(parts[2]) else { continue }
            rules[parts[0]] = Rule(action: parts[1], argument: argument)
        }
        return rules
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var hits: [String: Int] = [:]

    /// Marks that execution reached `name`; acts if a rule names it.
    public static func hit(_ name: String) {
        guard !rules.isEmpty, let rule = rules[name] else { return }
        lock.lock()
        hits[name, default: 0] += 1
        let count = hits[name]!
        lock.unlock()
        switch rule.action {
        case "kill" where count == rule.argument:
            kill(getpid(), SIGKILL)
        case "sleep":
            usleep(useconds_t(rule.argument * 1000))
        default:
            break
        }
    }
}
