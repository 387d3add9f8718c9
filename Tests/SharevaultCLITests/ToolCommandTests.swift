import Foundation
import Testing

/// The demo, the bench, usage errors and the man pages.
@Suite struct ToolCommandTests {
    @Test func demoRunsEveryStepAndPasses() throws {
        let result = try Sharevault.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("secp256k1"))
        #expect(result.stdout.contains("ed25519"))
        #expect(!result.stdout.contains("FAIL"))
    }

    @Test func benchReportsEveryFigureBesideItsFloor() throws {
        let result = try Sharevault.run(["bench", "--seconds", "0.01", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let figures = try #require(report["figures"] as? [[String: Any]])
        #expect(figures.count == 8)
        for figure in figures {
            #expect((figure["operationsPerSecond"] as? Double ?? 0) > 0)
            #expect((figure["floorOperationsPerSecond"] as? Double ?? 0) > 0)
            #expect((figure["floor"] as? String)?.contains("scalar-base multiplication") == true)
        }
    }

    @Test func unknownCommandsAndOptionsAreUsageErrors() throws {
        let unknown = try Sharevault.run(["frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Error"))
        let badOption = try Sharevault.run(["bench", "--seconds", "-1"])
        #expect(badOption.status == 2)
        let help = try Sharevault.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE"))
    }

    /// man/ must match pages generated from the current command definitions (.ci/test regenerates them into
    /// the plugin's output folder with `swift package generate-manual` before the tests run).
    @Test func manPagesAreCurrent() throws {
        let generated = Sharevault.packageRoot.appendingPathComponent(".build/plugins/GenerateManual/outputs/SharevaultCLI")
        let committed = Sharevault.packageRoot.appendingPathComponent("man")
        let manager = FileManager.default
        let fresh = try #require(
            try? manager.contentsOfDirectory(atPath: generated.path).filter { $0.hasSuffix(".1") }.sorted(),
            "no generated pages: run `swift package generate-manual --multi-page --configuration debug` (as .ci/test does)")
        let kept = try manager.contentsOfDirectory(atPath: committed.path).filter { $0.hasSuffix(".1") }.sorted()
        #expect(fresh == kept, "man/ lists different pages than the commands define")
        for page in fresh where kept.contains(page) {
            let expected = try String(contentsOf: generated.appendingPathComponent(page), encoding: .utf8)
            let actual = try String(contentsOf: committed.appendingPathComponent(page), encoding: .utf8)
            #expect(actual == expected, "man/\(page) is stale: regenerate it and copy it into man/")
        }
    }
}
