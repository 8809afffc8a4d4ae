import Foundation

/// The notification channels the environment names, for `ferry serve` and `ferry run`:
/// `FERRY_NOTIFY_WEBHOOK_URL` (a webhook taking Slack's JSON), and `FERRY_NOTIFY_EMAIL_TO`
/// with `FERRY_SMTP_URL`, `FERRY_SMTP_FROM` and optionally `FERRY_SMTP_USER`, `FERRY_SMTP_PASSWORD`.
public struct NotificationSetup {
    /// Where messages go.
    public var channels: [any NotificationChannel]
    /// Values no message may show (the webhook's URL, the SMTP password).
    public var secrets: [String]

    /// The channels `environment` names, or nil when it names none.
    /// - Throws: `NotificationSetupError` naming what an e-mail channel lacks.
    public static func fromEnvironment(_ environment: [String: String]) throws(NotificationSetupError)
        -> NotificationSetup?
    {
        var setup = NotificationSetup(channels: [], secrets: [])
        if let url = environment["FERRY_NOTIFY_WEBHOOK_URL"], !url.isEmpty {
            setup.channels.append(WebhookChannel(url: url))
            setup.secrets.append(url)
        }
        if let to = environment["FERRY_NOTIFY_EMAIL_TO"], !to.isEmpty {
            guard let url = environment["FERRY_SMTP_URL"], let from = environment["FERRY_SMTP_FROM"] else {
                throw NotificationSetupError(
                    description:
                        "FERRY_NOTIFY_EMAIL_TO needs FERRY_SMTP_URL (smtp://host:587 or smtps://host:465) and FERRY_SMTP_FROM"
                )
            }
            let password = environment["FERRY_SMTP_PASSWORD"]
            setup.channels.append(
                EmailChannel(
                    settings: .init(
                        url: url, from: from,
                        to: to.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                        username: environment["FERRY_SMTP_USER"], password: password)))
            setup.secrets += [password].compactMap { $0 }
        }
        return setup.channels.isEmpty ? nil : setup
    }
}

/// A notification channel the environment names but cannot use.
public struct NotificationSetupError: Error, CustomStringConvertible {
    public var description: String
}
