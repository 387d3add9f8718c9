import Foundation
import PropertyBased
import Testing

@testable import ShareVault

/// The vault's timestamps: text written once is read and written again unchanged, whatever the millisecond.
@Suite struct VaultClockTests {
    /// Any millisecond from 1970 to 2200, with any sub-millisecond remainder (in microseconds).
    @Test func textReadBackFormatsToTheSameText() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0...7_258_118_400_000), Gen.int(in: 0...999)) {
            milliseconds, micro in
            let date = Date(timeIntervalSince1970: (Double(milliseconds) + Double(micro) / 1000) / 1000)
            let text = VaultClock.format(date)
            let read = try #require(VaultClock.parse(text), "\(text)")
            // Within half a millisecond of the date it was written from (and a float's error).
            #expect(abs(read.timeIntervalSince(date)) <= 0.000_501, "\(text) \(date.timeIntervalSince1970)")
        }
    }

    /// The integer path writes what Foundation's formatter writes, and reads it back to the same millisecond, for
    /// any millisecond of the years 1600 to 9999 (before them, Foundation counts Julian dates).
    @Test func theIntegerPathAgreesWithFoundation() async {
        await propertyCheck(count: 3000, input: Gen.int(in: -11_676_096_000_000...253_402_300_799_999)) {
            milliseconds in
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = VaultClock.format(date)
            #expect(text == VaultClock.foundationFormat(Double(milliseconds)), "\(milliseconds)")
            let read = try #require(VaultClock.parse(text), "\(text)")
            #expect((read.timeIntervalSince1970 * 1000).rounded() == Double(milliseconds), "\(text)")
        }
        // Both ends of the range, leap days and the turn of a century.
        for text in [
            "1600-01-01T00:00:00.000Z", "1000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.000Z",
            "1969-12-31T23:59:59.999Z", "2100-03-01T00:00:00.000Z",
        ] {
            #expect(VaultClock.parse(text).map(VaultClock.format) == text, "\(text)")
        }
        for text in ["2100-02-29T00:00:00.000Z", "2023-04-31T00:00:00.000Z", "2023-01-01T24:00:00.000Z"] {
            #expect(VaultClock.parse(text) == nil, "\(text)")
        }
    }

    @Test func theTextIsISO8601InUTCWithMilliseconds() {
        #expect(VaultClock.format(Date(timeIntervalSince1970: 1_796_023_852.040)) == "2026-11-30T07:30:52.040Z")
        #expect(VaultClock.format(Date(timeIntervalSince1970: 0.0009)) == "1970-01-01T00:00:00.001Z")
        #expect(VaultClock.format(Date(timeIntervalSince1970: 59.9996)) == "1970-01-01T00:01:00.000Z")
        let read = VaultClock.parse("2026-11-30T07:30:52.040Z")?.timeIntervalSince1970 ?? 0
        #expect(abs(read - 1_796_023_852.040) < 0.000_001)
    }

    @Test func everyRecordedOutcomeIsReadBack() {
        let outcomes = [CheckOutcome.passed] + PairProblem.allCases.map(CheckOutcome.failed)
        for outcome in outcomes {
            #expect(CheckOutcome(recorded: outcome.description) == outcome, "\(outcome)")
        }
        #expect(CheckOutcome(recorded: "failed") == nil)
    }

    @Test(arguments: [
        "", "yesterday", "2026-13-01T00:00:00.000Z", "2026-12-01 07:30:52", "2026-12-01T07:30:52.040+01:00x",
        "2026-12-01T07:30:52.040Zjunk", "2026-12-01T07:30:52Z", "2026-12-01T07:30:52.04Z",
        "2026-12-01T07:30:52.040+01:00", "2026-12-01T07:30:52.040+0000", "2026-12-01T07:30:52.0401Z",
    ])
    func textThatIsNotATimeIsNotRead(text: String) {
        #expect(VaultClock.parse(text) == nil)
    }
}
