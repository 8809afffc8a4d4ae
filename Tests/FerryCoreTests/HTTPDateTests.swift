import FerryCore
import Testing

@Suite struct HTTPDateTests {
    @Test func parsesTheThreeHTTPDateForms() {
        let expected = 784_111_777.0 // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(HTTPDate.secondsSince1970("Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(HTTPDate.secondsSince1970("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(HTTPDate.secondsSince1970("Sun Nov  6 08:49:37 1994") == expected)
        #expect(HTTPDate.secondsSince1970("not a date") == nil)
        #expect(HTTPDate.secondsSince1970("Sun, 06 Nov 1994 25:49:37 GMT") == nil)
    }

    @Test func formatsAsIMFFixdateAndRoundTrips() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        // VCOM's documented reset value.
        let vcom = HTTPDate.secondsSince1970("Thu, 25 Feb 2016 10:32:57 GMT")!
        #expect(HTTPDate.format(vcom) == "Thu, 25 Feb 2016 10:32:57 GMT")
    }
}
