/// Why one record cannot become a point; it becomes the record's rejection.
struct RecordError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
