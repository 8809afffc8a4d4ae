/// Replaces secret values with `***` wherever they would be printed: log
/// lines, error messages, recorded traffic. Secrets are the configuration
/// values that came from secret-looking variables or keys the plugin's spec
/// marks secret.
public struct Redactor: Sendable {
    /// The secret strings; values shorter than 4 characters are ignored, since
    /// masking "1" or "no" everywhere would garble output without protecting anything.
    public private(set) var secrets: [String]

    public init(secrets: some Sequence<String> = []) {
        self.secrets = []
        add(secrets)
    }

    public mutating func add(_ more: some Sequence<String>) {
        for secret in more where secret.count >= 4 && !secrets.contains(secret) {
            secrets.append(secret)
        }
        // Longest first, so a secret containing another is masked whole.
        secrets.sort { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: "***")
        }
        return result
    }
}
