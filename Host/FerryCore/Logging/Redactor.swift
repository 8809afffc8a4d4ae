import Synchronization

/// Replaces secret values with `***` wherever they would be printed: log
/// lines, error messages, recorded traffic. Secrets are the configuration
/// values that came from secret-looking variables or keys, the credentials of
/// connections' `http:` settings, and the tokens and cookies the HTTP service
/// obtains while running.
///
/// A shared, thread-safe object: the log handler, the CLI and every HTTP
/// service hold the same instance, so a token learned mid-run is masked in
/// every later line.
public final class Redactor: Sendable {
    private let storage: Mutex<[String]>
    private let minimumLength: Int

    /// Creates a redactor.
    /// - Parameters:
    ///   - secrets: The initial secrets.
    ///   - minimumLength: Shorter values are not masked. Log output uses 4, since masking
    ///     "1" or "no" everywhere would garble it without protecting anything; a single
    ///     message about one known value (a config error) may use 1.
    public init(secrets: some Sequence<String> = [], minimumLength: Int = 4) {
        storage = Mutex([])
        self.minimumLength = max(1, minimumLength)
        add(secrets)
    }

    /// The secret strings, longest first.
    public var secrets: [String] { storage.withLock { $0 } }

    /// Registers more secrets.
    /// - Parameter more: The values to mask from now on.
    public func add(_ more: some Sequence<String>) {
        let candidates = more.filter { $0.count >= minimumLength }
        guard !candidates.isEmpty else { return }
        storage.withLock { secrets in
            for secret in candidates where !secrets.contains(secret) { secrets.append(secret) }
            // Longest first, so a secret containing another is masked whole.
            secrets.sort { $0.count > $1.count }
        }
    }

    /// Registers one secret.
    /// - Parameter secret: The value to mask from now on.
    public func add(_ secret: String) { add(CollectionOfOne(secret)) }

    /// `text` with every secret replaced by `***`.
    /// - Parameter text: The text to print.
    public func redact(_ text: String) -> String {
        let secrets = self.secrets
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: "***")
        }
        return result
    }
}
