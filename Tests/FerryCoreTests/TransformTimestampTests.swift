import Testing

@testable import FerryCore

private func timestamp(_ value: String, _ options: String = "") throws -> String {
    try cast(value, to: "timestamp", options)
}

@Suite struct TransformTimestampTests {
    @Test func isoWithOffsetOrZ() throws {
        #expect(try timestamp("\"2025-03-30T03:30:00+03:00\"") == #""2025-03-30T00:30:00Z""#)
        #expect(try timestamp("\"2025-03-30T03:30:00Z\"") == #""2025-03-30T03:30:00Z""#)
        #expect(try timestamp("\"2025-03-30 03:30:00.123456-0500\"") == #""2025-03-30T08:30:00.123456Z""#)
        #expect(try timestamp("\"2025-01-01T00:30+02\"") == #""2024-12-31T22:30:00Z""#)
        #expect(try timestamp("\"2024-02-29T23:59:59.5-01:00\"") == #""2024-03-01T00:59:59.5Z""#)
    }

    @Test func offsetInTheTextWinsOverTheTimezoneOption() throws {
        #expect(
            try timestamp("\"2025-07-01T12:00:00Z\"", #""timezone":"Europe/Helsinki""#) == #""2025-07-01T12:00:00Z""#)
    }

    @Test func localTimesNeedATimezone() throws {
        #expect(
            try timestamp("\"2025-07-01T12:00:00\"")
                == #"field 'v' value "2025-07-01T12:00:00" has no UTC offset; set the step's 'timezone' option to read local times"#
        )
        #expect(
            try timestamp("\"2025-07-01T12:00:00\"", #""timezone":"Europe/Helsinki""#) == #""2025-07-01T09:00:00Z""#)
        #expect(try timestamp("\"2025-01-15 12:00\"", #""timezone":"Europe/Helsinki""#) == #""2025-01-15T10:00:00Z""#)
        #expect(try timestamp("\"2025-01-15\"", #""timezone":"UTC""#) == #""2025-01-15T00:00:00Z""#)
        #expect(
            try timestamp("\"2025-07-01T12:00:00\"", #""timezone":"America/New_York""#) == #""2025-07-01T16:00:00Z""#)
    }

    @Test func springForwardGapIsRejected() throws {
        // Helsinki jumps from 03:00 EET to 04:00 EEST on 2025-03-30.
        #expect(
            try timestamp("\"2025-03-30T03:30:00\"", #""timezone":"Europe/Helsinki""#)
                == #"field 'v' value "2025-03-30T03:30:00" does not exist in Europe/Helsinki (skipped by a daylight saving change)"#
        )
        #expect(
            try timestamp("\"2025-03-30T02:59:59\"", #""timezone":"Europe/Helsinki""#) == #""2025-03-30T00:59:59Z""#)
        #expect(
            try timestamp("\"2025-03-30T04:00:00\"", #""timezone":"Europe/Helsinki""#) == #""2025-03-30T01:00:00Z""#)
    }

    @Test func autumnRepeatedHourTakesFirstOccurrenceUnlessFoldLater() throws {
        // Helsinki falls back from 04:00 EEST to 03:00 EET on 2025-10-26: 03:30 happens twice.
        #expect(
            try timestamp("\"2025-10-26T03:30:00\"", #""timezone":"Europe/Helsinki""#) == #""2025-10-26T00:30:00Z""#)
        #expect(
            try timestamp("\"2025-10-26T03:30:00\"", #""timezone":"Europe/Helsinki","fold":"earlier""#)
                == #""2025-10-26T00:30:00Z""#)
        #expect(
            try timestamp("\"2025-10-26T03:30:00\"", #""timezone":"Europe/Helsinki","fold":"later""#)
                == #""2025-10-26T01:30:00Z""#)
        #expect(
            try timestamp("\"2025-10-26T04:30:00\"", #""timezone":"Europe/Helsinki","fold":"later""#)
                == #""2025-10-26T02:30:00Z""#)
    }

    @Test func epochSecondsAndMilliseconds() throws {
        #expect(try timestamp("1743298200") == #""2025-03-30T01:30:00Z""#)
        #expect(try timestamp("\"1743298200\"") == #""2025-03-30T01:30:00Z""#)
        #expect(try timestamp("1743298200.25") == #""2025-03-30T01:30:00.25Z""#)
        #expect(try timestamp("1743298200123", #""epoch":"milliseconds""#) == #""2025-03-30T01:30:00.123Z""#)
        #expect(try timestamp("1743298200000", #""epoch":"milliseconds""#) == #""2025-03-30T01:30:00Z""#)
        #expect(try timestamp("5", #""epoch":"milliseconds""#) == #""1970-01-01T00:00:00.005Z""#)
        #expect(try timestamp("0") == #""1970-01-01T00:00:00Z""#)
        #expect(try timestamp("-1.25") == #""1969-12-31T23:59:58.75Z""#)
        #expect(try timestamp("-86400") == #""1969-12-31T00:00:00Z""#)
        #expect(try timestamp("1e20") == "field 'v' value 1e+20 is out of range for a timestamp")
    }

    @Test func customFormats() throws {
        let finnish = #""format":"%d.%m.%Y %H:%M","timezone":"Europe/Helsinki""#
        #expect(try timestamp("\"5.3.2025 14:07\"", finnish) == #""2025-03-05T12:07:00Z""#)
        #expect(
            try timestamp("\"30.03.2025 03:30\"", finnish)
                == #"field 'v' value "30.03.2025 03:30" does not exist in Europe/Helsinki (skipped by a daylight saving change)"#
        )
        #expect(
            try timestamp("\"2025/03/05\"", finnish)
                == #"field 'v' value "2025/03/05" does not match the timestamp format "%d.%m.%Y %H:%M""#)
        #expect(
            try timestamp("\"05 Mar 2025 14:07:09.5 +0100\"", #""format":"%d %b %Y %H:%M:%S.%f %z""#)
                == #""2025-03-05T13:07:09.5Z""#)
        #expect(try timestamp("\"100% 2025\"", #""format":"100%% %Y","timezone":"UTC""#) == #""2025-01-01T00:00:00Z""#)
    }

    @Test func invalidTimestampsAreRejected() throws {
        #expect(try timestamp("\"yesterday\"") == #"field 'v' value "yesterday" is not an ISO 8601 timestamp"#)
        #expect(
            try timestamp("\"2025-02-29T00:00:00Z\"")
                == #"field 'v' value "2025-02-29T00:00:00Z" is not a valid date and time"#)
        #expect(
            try timestamp("\"2025-01-01T24:00:00Z\"")
                == #"field 'v' value "2025-01-01T24:00:00Z" is not a valid date and time"#)
        #expect(
            try timestamp("\"2025-01-01T10:00:00+25:00\"")
                == #"field 'v' value "2025-01-01T10:00:00+25:00" is not an ISO 8601 timestamp"#)
        #expect(
            try timestamp("\"2025-01-01T10:00:00Zjunk\"")
                == #"field 'v' value "2025-01-01T10:00:00Zjunk" is not an ISO 8601 timestamp"#)
        #expect(try timestamp("true") == "field 'v' value true is not a timestamp")
    }
}
