import FerryCore
import FerryJSON
import FerryTime
import Foundation
import Synchronization

/// Saves every exchange a connection makes, redacted, one JSON file each, for
/// `ferry run --record DIR`: what an API really answered is the first thing one
/// needs when a sync goes wrong (the warehouse seed kept raw payloads for this).
///
/// Credentials never reach the files: values of headers that carry them are
/// replaced by `***`, every known secret is masked in URLs, headers and bodies,
/// and so are the tokens of OAuth 2 token requests and responses (see
/// `CredentialFields`), which are not known secrets yet when they are saved.
public final class RecordingTransport: HTTPTransport, Sendable {
    private let base: any HTTPTransport
    private let folder: URL
    private let connectionName: String
    private let endpoint: String?
    private let redactor: Redactor
    private let sequence = Mutex(0)

    /// Header names whose values are credentials, compared case-insensitively.
    static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "apikey", "x-api-key", "api-key",
        "x-auth-token",
    ]

    /// - Parameters:
    ///   - base: The transport that really sends.
    ///   - folder: Where the files go (created when missing).
    ///   - connectionName: Part of each file name.
    ///   - endpoint: The connection's `http.endpoint`, kept in each file for offline tests.
    ///   - redactor: The shared redactor.
    public init(
        base: any HTTPTransport, folder: String, connectionName: String, endpoint: String? = nil, redactor: Redactor
    ) throws {
        self.base = base
        self.folder = URL(fileURLWithPath: folder, isDirectory: true)
        self.connectionName = connectionName
        self.endpoint = endpoint.map(redactor.redact)
        self.redactor = redactor
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
    }

    public func perform(_ request: HTTPTransportRequest) throws(HTTPTransportError) -> HTTPTransportResponse {
        let started = Date()
        do {
            let response = try base.perform(request)
            save(
                request,
                outcome: [
                    "status": .int(Int64(response.status)), "headers": headers(response.headers),
                    "body": .string(body(response.body, masking: CredentialFields.maskingJSON)),
                ],
                started: started)
            return response
        } catch {
            save(request, outcome: ["error": .string(redactor.redact(error.description))], started: started)
            throw error
        }
    }

    /// A body as text with its credential fields masked (and registered as secrets) and known secrets masked.
    private func body(_ bytes: [UInt8], masking: ([UInt8]) -> (text: String, secrets: [String])?) -> String {
        guard let masked = masking(bytes) else { return redactor.redact(String(decoding: bytes, as: UTF8.self)) }
        redactor.add(masked.secrets)
        return redactor.redact(masked.text)
    }

    private func headers(_ headers: HTTPHeaders) -> JSONValue {
        .array(
            headers.fields.map { field in
                let value =
                    Self.credentialHeaders.contains(field.name.lowercased()) ? "***" : redactor.redact(field.value)
                return .string("\(field.name): \(value)")
            })
    }

    private func save(_ request: HTTPTransportRequest, outcome: JSONObject, started: Date) {
        let number = sequence.withLock { value -> Int in
            value += 1
            return value
        }
        var record: JSONObject = [
            "connection": .string(connectionName),
            "started_at": .string(UTCTimestamp.string(secondsSince1970: started.timeIntervalSince1970)),
            "seconds": .double((Date().timeIntervalSince(started) * 1000).rounded() / 1000),
            "request": [
                "method": .string(request.method), "url": .string(redactor.redact(request.url)),
                "headers": headers(request.headers),
                "body": .string(
                    body(request.body) { CredentialFields.maskingForm(String(decoding: $0, as: UTF8.self)) }),
            ],
            "response": .object(outcome),
        ]
        // Lets `ferry plugins test --replay` resolve a plugin's relative URLs as the run did.
        if let endpoint { record["endpoint"] = .string(endpoint) }
        let stamp = Int(started.timeIntervalSince1970 * 1000)
        let name = "\(stamp)-\(connectionName)-\(String(format: "%05d", number)).json"
        let file = folder.appendingPathComponent(name)
        // Recording is for debugging: a full disk must not fail the sync itself.
        _ = FileManager.default.createFile(
            atPath: file.path, contents: Data(JSONValue.object(record).encoded()),
            attributes: [.posixPermissions: 0o600])
    }
}
