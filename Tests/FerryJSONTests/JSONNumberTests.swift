import FerryJSON
import Testing

/// The raw-number readers answer only for text that is plainly a JSON number,
/// and nil for anything the parser must decide.
@Suite struct JSONNumberTests {
    private func read<T>(_ text: String, _ reader: (UnsafeRawBufferPointer) -> T) -> T {
        Array(text.utf8).withUnsafeBytes(reader)
    }

    @Test func smallIntegersAreReadWithoutTheParser() {
        #expect(read("0", JSONNumber.smallInteger) == 0)
        #expect(read("-42", JSONNumber.smallInteger) == -42)
        #expect(read("999999999999999999", JSONNumber.smallInteger) == 999_999_999_999_999_999)
    }

    @Test func integersThatAreNotPlainAreLeftToTheParser() {
        for text in ["", "-", "007", "1.0", "1e3", "+1", "1x", "1234567890123456789"] {
            #expect(read(text, JSONNumber.smallInteger) == nil, "\(text)")
        }
    }

    @Test func doublesFollowJSONSyntax() {
        #expect(read("1.5", JSONNumber.double) == 1.5)
        #expect(read("-0.25e2", JSONNumber.double) == -25)
        #expect(read("12", JSONNumber.double) == 12)
        for text in ["", ".5", "1.", "01", "1e", "NaN", "Infinity", "1e999", "0x10", " 1"] {
            #expect(read(text, JSONNumber.double) == nil, "\(text)")
        }
    }

    @Test func validityMatchesTheGrammar() {
        #expect(read("-0.0E+1", JSONNumber.isValid))
        #expect(!read("-", JSONNumber.isValid))
        #expect(!read("1.e5", JSONNumber.isValid))
    }
}
