/// A problem in a Ferry configuration file, reported on one line.
///
/// The description reads like a compiler diagnostic:
/// `ferry.yaml:14:5: pipelines.orders.write: expected one of append, upsert, mirror, got 'upsrt'`.
/// Values that came from secret-looking variables are replaced by `***` in ``message``.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of a configuration error; new kinds may be added later, so switch with a default.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unreadableFile, emptyFile, syntax, duplicateKey, unknownKey, missingKey
            case typeMismatch, invalidValue, unknownReference, unsetVariable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file (or its `.env`) could not be read.
        public static let unreadableFile = Kind(.unreadableFile)
        /// The file holds no YAML document.
        public static let emptyFile = Kind(.emptyFile)
        /// The YAML itself is malformed (or a `.env` line is).
        public static let syntax = Kind(.syntax)
        /// A mapping names the same key twice.
        public static let duplicateKey = Kind(.duplicateKey)
        /// A key that Ferry does not know.
        public static let unknownKey = Kind(.unknownKey)
        /// A required key is absent.
        public static let missingKey = Kind(.missingKey)
        /// A value has the wrong shape (a list where a string was expected, and so on).
        public static let typeMismatch = Kind(.typeMismatch)
        /// A value has the right shape but is not allowed (bad enum, duration, range, empty list).
        public static let invalidValue = Kind(.invalidValue)
        /// A name refers to a connection, pipeline or site that is not defined.
        public static let unknownReference = Kind(.unknownReference)
        /// `${VAR}` names a variable that is set neither in the environment nor in `.env`.
        public static let unsetVariable = Kind(.unsetVariable)

        /// The kind's name, for logs and tests.
        public var description: String { base.rawValue }
    }

    /// What went wrong, in broad terms.
    public var kind: Kind
    /// Where it went wrong, when known.
    public var location: SourceLocation?
    /// The dotted path of the offending key, such as `pipelines.orders.write`, when known.
    public var keyPath: String?
    /// The explanation, without location or key path.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The class of the error.
    ///   - location: Where it happened, when known.
    ///   - keyPath: The dotted key path, when known.
    ///   - message: One sentence explaining the problem; newlines are folded into spaces.
    public init(_ kind: Kind, at location: SourceLocation?, keyPath: String? = nil, message: String) {
        self.kind = kind
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    /// `location: keyPath: message`, always on one line.
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if let keyPath, !keyPath.isEmpty { parts.append(keyPath) }
        parts.append(message)
        return parts.joined(separator: ": ")
            .split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
