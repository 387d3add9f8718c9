import Foundation
import ShareMath
import ShareVault
import SharevaultTestSupport
import Testing

/// `ingest custodian --lines`: a stream of webhook bodies, many to a commit, each line answered in order.
@Suite struct IngestLinesTests {
    static func line(_ body: Data) -> String { String(decoding: body, as: UTF8.self) }

    @Test func aStreamIsTakenInItsOrderAndARefusedLineStandsAlone() throws {
        let scratch = try ScratchDirectory()
        let vault = scratch.path("v.db")
        #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
        let (first, second) = try TestWebhooks.twoDealings()
        var lines = try (0..<300).map { Self.line(try ServeCommandTests.body("stream-\($0)")) }
        lines.insert(Self.line(TestWebhooks.body("again", first)), at: 10)  // line 11
        lines.insert(Self.line(TestWebhooks.body("again", first)), at: 200)  // line 201: the same share
        lines.insert("", at: 250)  // line 251: blank, skipped
        lines.insert(Self.line(TestWebhooks.body("again", second)), at: 280)  // line 281: a new share, same key
        lines.insert(#"{"clientId": "broken", "share": 42}"#, at: 290)  // line 291
        lines.insert(String(repeating: "x", count: 70_000), at: 295)  // line 296: over the limit
        let input = try scratch.write("stream.jsonl", lines.joined(separator: "\n") + "\n")

        let run = try Sharevault.run(["ingest", "custodian", "--lines", input, "--json", "--vault", vault])
        #expect(run.status == 2, "\(run.stderr)")
        let results = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(results.count == lines.count - 1)
        #expect(results.map { $0["line"] as? Int } == (1...lines.count).filter { $0 != 251 }.map { $0 })
        func result(_ line: Int) -> [String: Any] { results.first { $0["line"] as? Int == line } ?? [:] }
        #expect(result(11)["outcome"] as? String == "stored")
        #expect(result(201)["outcome"] as? String == "duplicate")
        #expect(result(201)["pairId"] as? Int == result(11)["pairId"] as? Int)
        // Stored in the stream's order: the later share replaces the earlier one.
        #expect(result(281)["outcome"] as? String == "replaced")
        #expect(result(281)["replacedPairId"] as? Int == result(11)["pairId"] as? Int)
        #expect((result(291)["error"] as? String)?.contains("line 291") == true)
        #expect((result(296)["error"] as? String)?.contains("limit") == true)
        #expect(results.filter { $0["error"] != nil }.count == 2)

        let listed = try Sharevault.run(["list", "--json", "--vault", vault])
        let pairs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(pairs.count == 301)
        #expect(
            pairs.first { $0["clientId"] as? String == "again" }?["pairId"] as? Int == result(281)["pairId"] as? Int)
        #expect(try Sharevault.run(["audit", "--verify", "--vault", vault]).status == 0)
    }

    @Test func anEmptyOrAllGoodStreamExitsZero() throws {
        let scratch = try ScratchDirectory()
        let vault = scratch.path("v.db")
        #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
        let empty = try Sharevault.run(["ingest", "custodian", "--lines", "-", "--vault", vault], stdin: Data())
        #expect(empty.status == 0 && empty.stdout.isEmpty)
        let lines = try (0..<5).map { Self.line(try ServeCommandTests.body("good-\($0)")) }.joined(separator: "\n")
        let good = try Sharevault.run(
            ["ingest", "custodian", "--lines", "-", "--vault", vault], stdin: Data(lines.utf8))
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.split(separator: "\n").allSatisfy { $0.contains(": stored: client good-") })
        #expect(good.stderr.contains("5 taken, 0 refused"))
        let missing = try Sharevault.run(["ingest", "custodian", "--lines", scratch.path("nope"), "--vault", vault])
        #expect(missing.status == 3 || missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
    }
}
