import CSQLite

/// A Swift value that can be bound to a `?` parameter of a `SQLiteStatement`.
public protocol SQLiteBindable {
    /// Binds the value to the 1-based parameter `index` of `statement`.
    func bind(to statement: SQLiteStatement, at index: Int32) throws
}

extension String: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(text: self, at: index)
    }
}

extension Int64: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(integer: self, at: index)
    }
}

extension Int: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(integer: Int64(self), at: index)
    }
}

extension Int32: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(integer: Int64(self), at: index)
    }
}

/// Stored as the INTEGER with the same bit pattern, so the full range round-trips.
extension UInt64: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(integer: Int64(bitPattern: self), at: index)
    }
}

extension Bool: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(integer: self ? 1 : 0, at: index)
    }
}

extension Double: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(real: self, at: index)
    }
}

extension Array: SQLiteBindable where Element == UInt8 {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(blob: self, at: index)
    }
}

/// `nil` binds SQL NULL.
extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        switch self {
        case .some(let value): try value.bind(to: statement, at: index)
        case .none: try statement.bindNull(at: index)
        }
    }
}
