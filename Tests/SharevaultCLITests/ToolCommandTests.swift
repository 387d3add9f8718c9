import Foundation
import Testing

/// The demo, the bench, usage errors and the man pages.
@Suite struct ToolCommandTests {
    @Test func demoRunsEveryStepAndPasses() throws {
        let result = try Sharevault.run(["demo", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let steps = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(steps.count >= 20)
        #expect(steps.allSatisfy { $0["passed"] as? Bool == true })
        let text = steps.compactMap { $0["step"] as? String }.joined(separator: "\n")
        for words in ["secp256k1", "ed25519", "created a scratch vault", "webhook", "audit chain holds"] {
            #expect(text.contains(words), "demo never says \(words)")
        }
        let readable = try Sharevault.run(["demo"])
        #expect(readable.status == 0)
        #expect(readable.stdout.contains("STORED_CLIENT_BACKUP_SHARE"))
        #expect(!readable.stdout.contains("FAIL"))
    }

    @Test func benchReportsEveryFigureBesideItsFloor() throws {
        let result = try Sharevault.run(["bench", "--seconds", "0.01", "--wallets", "60", "--webhooks", "5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let figures = try #require(report["figures"] as? [[String: Any]])
        let operations = figures.compactMap { $0["operation"] as? String }
        for expected in [
            "split 2-of-2", "verify one share", "interpolate public shares to the key", "re-share 2-of-2 to 2-of-2",
            "create (wallets into a file vault)", "ingest custodian webhook (durable commit)",
            "verify --all, structural (pairs, every core)", "verify --all --deep (pairs, 1 core)",
            "drill (pairs, every core)",
        ] {
            #expect(operations.contains(expected), "bench does not report \(expected)")
        }
        #expect(operations.filter { $0 == "split 2-of-2" }.count == 2)
        for figure in figures {
            #expect((figure["operationsPerSecond"] as? Double ?? 0) > 0)
            #expect((figure["floorOperationsPerSecond"] as? Double ?? 0) > 0)
            // Each floor names the raw library calls it times: curve multiplications, or (the rekey's) seals.
            let floor = figure["floor"] as? String ?? ""
            #expect(floor.contains("multiplication") || floor.contains("XChaCha20-Poly1305"), "\(floor)")
        }
        let rekey = try #require(figures.first { ($0["operation"] as? String)?.hasPrefix("rekey") == true })
        #expect((rekey["floor"] as? String)?.contains("1 XChaCha20-Poly1305 open and 1 seal") == true)
        #expect((rekey["operation"] as? String)?.contains("opened under the new key: 70 of 70") == true, "\(rekey)")
        let listing = try #require(report["listing"] as? [String: Any])
        #expect(listing["pairs"] as? Int == 70)
        #expect((listing["peakMemoryKiB"] as? Int ?? 0) > 0)
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
        let generated = Sharevault.packageRoot.appendingPathComponent(
            ".build/plugins/GenerateManual/outputs/SharevaultCLI")
        let committed = Sharevault.packageRoot.appendingPathComponent("man")
        let manager = FileManager.default
        let fresh = try #require(
            try? manager.contentsOfDirectory(atPath: generated.path).filter { $0.hasSuffix(".1") }.sorted(),
            "no generated pages: run `swift package generate-manual --multi-page --configuration debug` (as .ci/test does)"
        )
        let kept = try manager.contentsOfDirectory(atPath: committed.path).filter { $0.hasSuffix(".1") }.sorted()
        #expect(fresh == kept, "man/ lists different pages than the commands define")
        for page in fresh where kept.contains(page) {
            let expected = try String(contentsOf: generated.appendingPathComponent(page), encoding: .utf8)
            let actual = try String(contentsOf: committed.appendingPathComponent(page), encoding: .utf8)
            #expect(actual == expected, "man/\(page) is stale: regenerate it and copy it into man/")
        }
    }
}
