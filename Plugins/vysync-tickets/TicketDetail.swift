import FerryJSON
import FerryPluginSDK

/// What the close flow needs from a ticket's detail (`GET /tickets/{id}`): its status, and
/// whether an outage is attached (`outage`, an object or null; the list does not carry it).
struct TicketDetail {
    var status: String
    var hasOutage: Bool

    init(_ data: JSONValue?, ticket: String) throws {
        guard let object = data?.objectValue, let status = object["status"]?.stringValue else {
            throw PluginError.invalid("VCOM answered the detail of ticket \(ticket) without a 'status'")
        }
        self.status = status
        // A detail without the field at all: the DELETE is sent, and its 400 still means none.
        hasOutage = object["outage"].map { $0 != .null } ?? true
    }

    var isClosed: Bool { status == "closed" }
}
