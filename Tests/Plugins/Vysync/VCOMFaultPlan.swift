import FerryTesting
import Foundation
import Synchronization

/// Faults the VCOM simulator answers instead of (or on top of) its normal reply, as the seed
/// behaviours (000 vysync, "VCOM simulator must serve") list them: 5xx, timeouts, truncated
/// bodies and gzip. A fault is planned for a path (`/systems/PV002`), or for every path, and
/// for a number of requests to it; each request to the path takes the next planned fault.
///
/// Server errors and hangs are answered before authentication and the rate limits, as a gateway
/// in front of the API would: VCOM never counts them, and they are in ``applied``, not in the
/// simulator's `served` or `refusals`. A truncated body and gzip take the normal answer (served
/// and counted by VCOM) and cut it short or encode it.
final class VCOMFaultPlan: Sendable {
    enum Fault: Sendable, Equatable {
        /// An error status (500, 502, 503) with VCOM's JSON error body.
        case status(Int)
        /// No answer for `seconds` (longer than the client's timeout), then the connection
        /// closes; VCOM never reached, nothing counted.
        case hang(seconds: Double)
        /// Headers announcing the whole body, half of it, then the connection closes.
        case truncated
        /// The normal answer's body gzip-encoded (`Content-Encoding: gzip`), when the request's
        /// `Accept-Encoding` allows gzip; else the plain answer.
        case gzip
    }

    private struct Rule {
        /// The path it applies to; nil for every path.
        var path: String?
        var fault: Fault
        /// Requests to the path still to pass untouched before the fault applies.
        var skipping: Int
        /// Requests it still applies to; nil for all of them.
        var remaining: Int?
    }

    private let rules = Mutex<[Rule]>([])
    private let log = Mutex<[String]>([])

    /// Answers the next `times` requests to `path` (after `skipping` of them), or to every path
    /// when `path` is nil, with `fault`; `times` nil keeps it for good (until ``clear()``).
    func plan(_ fault: Fault, on path: String? = nil, times: Int? = 1, skipping: Int = 0) {
        rules.withLock { $0.append(Rule(path: path, fault: fault, skipping: skipping, remaining: times)) }
    }

    /// Removes every planned fault: the server is well again.
    func clear() { rules.withLock { $0.removeAll() } }

    /// `FAULT METHOD target` of every fault applied (`503 GET /systems/PV002`, `hang …`,
    /// `truncated …`, `gzip …`), in order.
    var applied: [String] { log.withLock { $0 } }

    /// The reply to `request`: a planned fault, or `answer`'s reply (gzip-encoded if planned).
    func reply(
        to request: LoopbackServer.Request, answer: (LoopbackServer.Request) -> LoopbackServer.Reply
    ) -> LoopbackServer.Reply {
        guard let fault = take(for: request.path) else { return answer(request) }
        let label = "\(request.method) \(request.target)"
        switch fault {
        case .status(let status):
            note("\(status) \(label)")
            return .json(#"{"error":{"code":\#(status),"message":"Service unavailable"}}"#, status: status)
        case .hang(let seconds):
            note("hang \(label)")
            return .delayed(seconds: seconds, .drop)
        case .truncated:
            let reply = answer(request)
            guard case .response(let status, _, let body) = reply, body.count > 1 else { return reply }
            note("truncated \(label)")
            return .truncated(status: status, body: Array(body.prefix(body.count / 2)), declaredLength: body.count)
        case .gzip:
            let reply = answer(request)
            let accepted = (request.header("Accept-Encoding") ?? "").lowercased().contains("gzip")
            guard accepted, case .response(let status, let headers, let body) = reply else { return reply }
            note("gzip \(label)")
            return .response(status: status, headers: headers + [("Content-Encoding", "gzip")], body: Gzip.encode(body))
        }
    }

    /// The fault the first matching rule holds for a request to `path`, counting it down.
    private func take(for path: String) -> Fault? {
        rules.withLock { rules in
            for index in rules.indices where rules[index].path == nil || rules[index].path == path {
                if rules[index].remaining == 0 { continue }
                if rules[index].skipping > 0 {
                    rules[index].skipping -= 1
                    continue
                }
                rules[index].remaining = rules[index].remaining.map { $0 - 1 }
                return rules[index].fault
            }
            return nil
        }
    }

    private func note(_ line: String) { log.withLock { $0.append(line) } }
}
