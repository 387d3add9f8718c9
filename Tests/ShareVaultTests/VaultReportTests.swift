import Foundation
import Testing

@testable import ShareVault

/// The report's pieces that stand alone: the age buckets' bounds, escaping, counts, and what the audit chain's
/// runs and drills become (the figures against a real vault are the CLI tests').
@Suite struct VaultReportTests {
    /// Seconds before now, and the bucket a check that long ago falls in.
    static let ages: [(Double, String)] = [
        (-3_600, "0-1"), (0, "0-1"), (86_399, "0-1"), (86_400, "1-7"), (7 * 86_400 - 1, "1-7"), (7 * 86_400, "7-30"),
        (30 * 86_400 - 1, "7-30"), (30 * 86_400, "30-90"), (90 * 86_400 - 1, "30-90"), (90 * 86_400, "90+"),
        (4_000 * 86_400, "90+"),
    ]

    /// Each bucket holds its lower bound and not its upper one; a time ahead of the clock counts as under a day.
    @Test(arguments: ages)
    func ageBuckets(secondsAgo: Double, bucket: String) {
        let now = Date(timeIntervalSince1970: 1_796_023_852)
        #expect(AgeBucket(since: now.addingTimeInterval(-secondsAgo), now: now).rawValue == bucket)
    }

    @Test func neverCheckedIsItsOwnBucket() {
        #expect(AgeBucket(since: nil, now: Date()) == .never)
        #expect(AgeBucket.allCases.map(\.rawValue) == ["0-1", "1-7", "7-30", "30-90", "90+", "never"])
    }

    @Test func escapingCoversEveryCharacterThatEndsTextOrAnAttribute() {
        #expect(
            HTMLReport.escape("<a href=\"x\" title='y'>&amp;</a>")
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(HTMLReport.escape("c-1 ÷ 𝔁") == "c-1 ÷ 𝔁")
        #expect(HTMLReport.escape("") == "")
    }

    @Test func countsAreGroupedByThousands() {
        #expect(HTMLReport.grouped(0) == "0")
        #expect(HTMLReport.grouped(999) == "999")
        #expect(HTMLReport.grouped(1_000) == "1,000")
        #expect(HTMLReport.grouped(1_234_567) == "1,234,567")
        #expect(HTMLReport.grouped(-12_345) == "-12,345")
    }

    /// The chain's verify and drill events: counted, the last few kept newest first, and an event whose detail is
    /// not what the operations write (an edited row) counted with its figures unknown rather than dropped.
    @Test func recordedRunsKeepTheLastNewestFirst() {
        var builder = VaultReport.RecordedRuns.Builder(limit: 2)
        func event(_ id: Int64, _ kind: AuditKind, _ detail: String) -> AuditEvent {
            AuditEvent(
                id: id, at: "2026-11-30T07:00:0\(id).000Z", kind: kind.rawValue, clientId: nil, detail: detail,
                previousHash: [], hash: [], mac: nil)
        }
        builder.add(event(1, .initialized, "{}"))
        builder.add(event(2, .verify, #"{"level":"public","checked":"3","passed":"2","failed":"1"}"#))
        builder.add(event(3, .drill, #"{"outcome":"passed","pairId":"1"}"#))
        builder.add(event(4, .verify, #"{"level":"custodian","checked":"3","shard":"1/2"}"#))
        builder.add(event(5, .drill, #"{"outcome":"signature-rejected","pairId":"2"}"#))
        builder.add(event(6, .verify, "not json"))
        builder.add(event(7, .drill, "[]"))
        let runs = builder.finish()
        #expect(runs.verifyRuns == 3)
        #expect(runs.lastVerifyRuns.map(\.event) == [6, 4])
        #expect(runs.lastVerifyRuns[0].level == nil && runs.lastVerifyRuns[0].checked == nil)
        #expect(runs.lastVerifyRuns[1].shard == "1/2" && runs.lastVerifyRuns[1].checked == 3)
        #expect(runs.drills == 3 && runs.drillsPassed == 1 && runs.drillsFailed == 2)
        #expect(runs.drillFailuresByReason == ["signature-rejected": 1, "unrecorded": 1])
        #expect(runs.lastDrills.map(\.event) == [7, 5])
        #expect(runs.lastDrills[1].pairId == 2)
    }
}
