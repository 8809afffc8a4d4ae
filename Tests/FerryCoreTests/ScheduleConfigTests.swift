import FerryCore
import Testing

/// `schedule:` may name its time zone as cronie does; `ferry serve` checks the fields and zone.
@Suite struct ScheduleConfigTests {
    static let yaml = """
        connections:
          events_file: { plugin: file, config: { path: data/events.jsonl } }
          warehouse: { plugin: sqlite }
        pipelines:
          orders:
            source: { connection: events_file, stream: events }
            destination: { connection: warehouse }
            schedule: "SCHEDULE"

        """

    @Test func aScheduleMayStartWithItsTimeZone() throws {
        for text in ["CRON_TZ=Europe/Helsinki 0 6 * * *", "TZ=UTC */5 * * * *"] {
            let config = try FerryConfig.parse(yaml: Self.yaml.replacingOccurrences(of: "SCHEDULE", with: text))
            #expect(config.pipelines.first?.schedule == text)
        }
        #expect(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: Self.yaml.replacingOccurrences(of: "SCHEDULE", with: "CRON_TZ=UTC 0 6 * *"))
        }
    }
}
