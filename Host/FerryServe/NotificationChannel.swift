import CCurl
import FerryCore
import FerryHTTP
import Foundation

/// Somewhere notifications go.
public protocol NotificationChannel: Sendable {
    /// The channel's name in logs (never its URL or credentials).
    var name: String { get }
    /// Delivers one notification; throws with a reason that holds no secret.
    func send(title: String, text: String) throws
}

/// A failed delivery, without the channel's address or credentials.
public struct NotificationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A webhook that takes Slack's incoming-webhook JSON (`{"text": …}`), which Slack,
/// Mattermost, Rocket.Chat and most chat tools accept; posted through the host's libcurl.
public struct WebhookChannel: NotificationChannel {
    public let name = "webhook"
    private let url: String
    private let transport: any HTTPTransport

    /// Creates a webhook channel.
    /// - Parameters:
    ///   - url: the webhook's URL (a secret: Slack's holds its token).
    ///   - transport: how to send (libcurl by default).
    public init(url: String, transport: any HTTPTransport = CurlTransport()) {
        self.url = url
        self.transport = transport
    }

    public func send(title: String, text: String) throws {
        let body = try JSONSerialization.data(
            withJSONObject: ["text": "*\(title)*\n\(text)"], options: [.withoutEscapingSlashes])
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        let response: HTTPTransportResponse
        do {
            response = try transport.perform(
                HTTPTransportRequest(method: "POST", url: url, headers: headers, body: Array(body), timeoutSeconds: 30))
        } catch {
            throw NotificationError(
                "the webhook did not answer: " + "\(error.failure)".replacingOccurrences(of: url, with: "***"))
        }
        guard (200..<300).contains(response.status) else {
            throw NotificationError("the webhook answered HTTP \(response.status)")
        }
    }
}

/// Email through an SMTP server, sent by libcurl (`smtp://` with STARTTLS when the
/// server offers it, `smtps://` for TLS from the start).
public struct EmailChannel: NotificationChannel {
    public let name = "email"
    /// Where and how to send.
    public struct Settings: Sendable {
        public var url: String
        public var from: String
        public var to: [String]
        public var username: String?
        public var password: String?

        /// Creates settings.
        /// - Parameters:
        ///   - url: `smtp://host:port` or `smtps://host:port`.
        ///   - from: the sender address.
        ///   - to: the recipients.
        ///   - username: the SMTP user, if the server needs one.
        ///   - password: its password.
        public init(url: String, from: String, to: [String], username: String? = nil, password: String? = nil) {
            self.url = url
            self.from = from
            self.to = to
            self.username = username
            self.password = password
        }
    }

    private let settings: Settings

    /// Creates an email channel.
    /// - Parameter settings: server, sender, recipients, credentials.
    public init(settings: Settings) { self.settings = settings }

    /// The message as sent: headers, a blank line, the text (lines ending in CRLF, a
    /// leading dot doubled by libcurl).
    func message(
        title: String, text: String, contentType: String = "text/plain; charset=utf-8",
        transferEncoding: String = "8bit",
        date: Date = Date()
    ) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let subject = title.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return [
            "Date: \(formatter.string(from: date))",
            "From: \(settings.from)",
            "To: \(settings.to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "MIME-Version: 1.0",
            "Content-Type: \(contentType)",
            "Content-Transfer-Encoding: \(transferEncoding)",
            "",
            text,
            "",
        ].joined(separator: "\r\n")
    }

    /// A header value as RFC 2047 encodes text that is not ASCII (`=?UTF-8?B?…?=`), so a
    /// French subject arrives intact through servers without SMTPUTF8.
    static func encodedWord(_ text: String) -> String {
        guard !text.allSatisfy(\.isASCII) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    public func send(title: String, text: String) throws {
        try deliver(message(title: title, text: text))
    }

    /// Sends an HTML message (a report) with `title` as its subject.
    public func send(title: String, html: String) throws {
        try deliver(message(title: title, text: html, contentType: "text/html; charset=utf-8"))
    }

    /// A file sent with a message.
    public struct Attachment: Sendable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        /// Creates an attachment.
        /// - Parameters:
        ///   - filename: The name the recipient sees (ASCII).
        ///   - contentType: Its MIME type (`application/pdf`).
        ///   - bytes: Its content.
        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// Sends an HTML message with files attached (a report and its PDF): `multipart/mixed`,
    /// the HTML first, each file base64-encoded in lines of 76 characters.
    public func send(title: String, html: String, attachments: [Attachment]) throws {
        guard !attachments.isEmpty else { return try send(title: title, html: html) }
        try deliver(multipartMessage(title: title, html: html, attachments: attachments))
    }

    func multipartMessage(title: String, html: String, attachments: [Attachment], date: Date = Date()) -> String {
        let boundary = "ferry-\(UUID().uuidString)"
        var lines = [
            "This is a multi-part message in MIME format.", "--\(boundary)", "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: 8bit", "", html,
        ]
        for attachment in attachments {
            let base64 = Data(attachment.bytes).base64EncodedString(options: [
                .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
            ])
            lines += [
                "--\(boundary)", "Content-Type: \(attachment.contentType); name=\"\(attachment.filename)\"",
                "Content-Transfer-Encoding: base64",
                "Content-Disposition: attachment; filename=\"\(attachment.filename)\"", "", base64,
            ]
        }
        lines.append("--\(boundary)--")
        return message(
            title: title, text: lines.joined(separator: "\r\n"),
            contentType: "multipart/mixed; boundary=\"\(boundary)\"",
            transferEncoding: "7bit", date: date)
    }

    private func deliver(_ message: String) throws {
        guard let handle = curl_easy_init() else { throw NotificationError("libcurl could not start") }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in settings.to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        let payload = UploadBuffer(Array(message.utf8))
        let context = Unmanaged.passUnretained(payload).toOpaque()
        var code = ferry_curl_setopt_string(handle, CURLOPT_URL, settings.url)
        _ = ferry_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(settings.from)>")
        _ = ferry_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        _ = ferry_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        _ = ferry_curl_setopt_long(handle, CURLOPT_TIMEOUT, 30)
        _ = ferry_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ferry_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        if let username = settings.username { _ = ferry_curl_setopt_string(handle, CURLOPT_USERNAME, username) }
        if let password = settings.password { _ = ferry_curl_setopt_string(handle, CURLOPT_PASSWORD, password) }
        _ = ferry_curl_setopt_pointer(handle, CURLOPT_READDATA, context)
        _ = ferry_curl_setopt_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
            Unmanaged<UploadBuffer>.fromOpaque(context!).takeUnretainedValue().read(
                into: buffer!, capacity: size * count)
        }
        if code == CURLE_OK { code = curl_easy_perform(handle) }
        withExtendedLifetime(payload) {}
        guard code == CURLE_OK else {
            throw NotificationError(
                "the SMTP server refused or did not answer: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// Bytes handed to libcurl's read callback piece by piece.
private final class UploadBuffer {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
