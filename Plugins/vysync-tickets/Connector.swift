import FerryJSON
import FerryPluginSDK
import FerryTime

#if canImport(Glibc)
    import Glibc
#endif

/// One connection of the plugin: the Yuman side (destination `tickets`, source
/// `ticket_updates`) or the VCOM side (destination `ticket_updates`), by `config.side`.
public final class VysyncTicketsConnector: SourceConnector, DestinationConnector {
    let config: TicketsConfig
    let host: HostServices

    init(config: TicketsConfig, host: HostServices) throws {
        self.config = config
        self.host = host
    }

    public func discover() throws -> [StreamDescriptor] {
        switch config.side {
        case .yuman:
            [
                StreamDescriptor(name: "ticket_updates", primaryKey: ["ticket_id"]),
                StreamDescriptor(name: "workorder_report", primaryKey: ["workorder"]),
                StreamDescriptor(name: "work_orders", primaryKey: ["workorder_id"]),
                StreamDescriptor(name: "ticket_rows", primaryKey: ["vcom_ticket_id"]),
            ]
        case .vcom: []
        }
    }

    public func read(_ request: ReadRequest) throws -> any BatchReader {
        switch (config.side, request.stream) {
        case (.yuman, "ticket_updates"):
            return OneBatch { try self.workOrders(preview: request.preview).ticketUpdates() }
        case (.yuman, "workorder_report"): return OneBatch { try self.workOrders().report(since: request.since) }
        case (.yuman, "work_orders"): return OneBatch { try self.workOrders().workOrderRows() }
        case (.yuman, "ticket_rows"): return OneBatch { try self.workOrders().ticketRows() }
        default:
            throw PluginError.invalid(
                "stream '\(request.stream)' cannot be read from the \(config.side.rawValue) side; the yuman side has 'ticket_updates', 'workorder_report', 'work_orders' and 'ticket_rows'"
            )
        }
    }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        switch (config.side, request.stream) {
        case (.yuman, "tickets"): return try workOrders(preview: request.preview).write(records)
        case (.yuman, "closed_tickets"): return try workOrders(preview: request.preview).noteClosed(records)
        case (.vcom, "ticket_updates"): return try TicketDesk(host: host, preview: request.preview).write(records)
        default:
            throw PluginError.invalid(
                "stream '\(request.stream)' cannot be written on the \(config.side.rawValue) side: the yuman side takes 'tickets' and 'closed_tickets', the vcom side 'ticket_updates'"
            )
        }
    }

    /// - Parameter preview: a dry run: decide and log, write nothing (not even Ferry's state).
    private func workOrders(preview: Bool = false) -> WorkOrderDesk {
        let now = Int(time(nil))
        let today = now / 86_400
        return WorkOrderDesk(
            config: config, host: host, today: Self.isoDate(days: today),
            horizon: Self.isoDate(days: today + config.plannedWithinDays), now: Self.isoInstant(seconds: now),
            preview: preview)
    }

    /// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
    static func isoInstant(seconds: Int) -> String {
        let time = seconds % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(isoDate(days: seconds / 86_400))T\(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60))Z"
    }

    /// Days since 1970-01-01 as `YYYY-MM-DD`.
    static func isoDate(days: Int) -> String {
        let date = CivilCalendar.date(days: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date.year)-\(two(date.month))-\(two(date.day))"
    }
}

/// A reader that returns one batch, made when first asked for.
final class OneBatch: BatchReader {
    private var make: (() throws -> RecordBatch)?
    private(set) var isComplete = false

    init(_ make: @escaping () throws -> RecordBatch) { self.make = make }

    func next() throws -> RecordBatch? {
        guard let make else { return nil }
        self.make = nil
        let batch = try make()
        isComplete = true
        return batch
    }
}
