import Foundation
import Testing

/// The fuzz targets, built plainly, replay inputs: every fixture through every target (so each target's laws run
/// on real payloads in every test run), and every finding kept in fixtures/fuzz/TARGET through its target.
@Suite struct FuzzReplayTests {
    static let binary = Sharevault.binary.deletingLastPathComponent().appendingPathComponent("sharevault-fuzz")
    static let fixtures = Sharevault.packageRoot.appendingPathComponent("fixtures")

    @Test func everyTargetReadsEveryFixtureWithoutBreakingALaw() throws {
        let list = try Subprocess.run(Self.binary, ["--list"])
        let targets = list.stdout.split(separator: "\n").map(String.init)
        #expect(targets.count >= 11, "\(list.stdout)")
        let folders = ["webhooks/good", "webhooks/bad", "webhooks/bad-client", "webhooks/replacement"].map {
            Self.fixtures.appendingPathComponent($0).path
        }
        for target in targets {
            var arguments = [target] + folders
            let kept = Self.fixtures.appendingPathComponent("fuzz/\(target)").path
            if FileManager.default.fileExists(atPath: kept) { arguments.append(kept) }
            let result = try Subprocess.run(Self.binary, arguments)
            #expect(result.status == 0, "\(target): \(result.stderr)")
            #expect(result.stdout.contains("replayed"), "\(target): \(result.stdout)")
        }
    }

    @Test func aReplayOfNothingOrAnUnknownTargetIsAUsageError() throws {
        #expect(try Subprocess.run(Self.binary, []).status == 2)
        #expect(try Subprocess.run(Self.binary, ["no-such-target", Self.fixtures.path]).status == 2)
        let missing = try Subprocess.run(Self.binary, ["webhook", "/nonexistent/input"])
        #expect(missing.status == 2 && missing.stderr.contains("no such file"), "\(missing.stderr)")
    }
}
