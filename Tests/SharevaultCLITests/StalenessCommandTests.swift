import Foundation
import ShareMath
import ShareVault
import Testing

/// The nightly job's commands: `list --stale DAYS`, `verify --max-age DAYS` and `verify --prometheus FILE`.
@Suite struct StalenessCommandTests {
    /// A vault with two clients' pairs made by `create` (both halves) and one pair whose client half never came.
    final class Job {
        let scratch: ScratchDirectory
        var vault: String { scratch.path("v.db") }
        var keys: String { scratch.path("keys") }

        init() throws {
            scratch = try ScratchDirectory()
            #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
            let created = try Sharevault.run([
                "create", "--vault", vault, "--client-id", "c", "--count", "2", "--method", "GDRIVE", "--key-store",
                keys,
            ])
            #expect(created.status == 0, "\(created.stderr)")
            let body = try scratch.write(
                "webhook.json", String(decoding: try ServeCommandTests.body("halfway"), as: UTF8.self))
            #expect(try run(["ingest", "custodian", body]).status == 0)
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try Sharevault.run(arguments + ["--vault", vault])
        }

        /// `list --stale days --json`: exit status and each pair's reasons by client id and curve.
        func stale(_ days: String) throws -> (status: Int32, reasons: [String: [String]]) {
            let listed = try run(["list", "--stale", days, "--json"])
            let pairs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
            var reasons: [String: [String]] = [:]
            for pair in pairs {
                reasons["\(pair["clientId"] ?? "") \(pair["curve"] ?? "")"] = pair["staleReasons"] as? [String]
            }
            return (listed.status, reasons)
        }

        /// Moves times back behind the tool's back, as if the rows were written days ago.
        func age(_ assignments: String, where condition: String = "1") throws {
            let edit = try Python.sql(vault, execute: "UPDATE backupPair SET \(assignments) WHERE \(condition)")
            #expect(edit.status == 0, "\(edit.stderr)")
        }

        static func daysAgo(_ days: Double) -> String { VaultClock.format(Date().addingTimeInterval(-days * 86_400)) }
    }

    @Test func listFlagsWhatANightlyJobShouldAndExitsOneWhenAnyIs() throws {
        let job = try Job()
        // Nothing verified or drilled yet; the half-delivered pair is fresh, so not yet missing its client half.
        var (status, reasons) = try job.stale("7")
        #expect(status == 1)
        #expect(reasons.count == 5)
        #expect(reasons.values.allSatisfy { $0 == ["never-verified", "never-drilled"] })

        #expect(try job.run(["verify", "--custodian"]).status == 1)  // the half-delivered pair is incomplete
        #expect(try job.run(["drill", "--all", "--key-store", job.keys]).status != 2)
        // Only the half-delivered pair, whose verification and drill both failed, is left.
        (status, reasons) = try job.stale("7")
        #expect(status == 1)
        #expect(reasons.count == 1, "\(reasons)")
        #expect(reasons["halfway secp256k1"] == ["last-verification-failed", "last-drill-failed"])

        // Checks older than the age allowed, and a client half two days late.
        try job.age("lastVerifiedAt = '\(Job.daysAgo(8))'", where: "id = 1")
        try job.age("lastDrilledAt = '\(Job.daysAgo(30))'", where: "id = 2")
        try job.age("createdAt = '\(Job.daysAgo(2))'", where: "status = 'STORED_CUSTODIAN_BACKUP_SHARE'")
        (status, reasons) = try job.stale("7")
        #expect(status == 1)
        #expect(reasons.count == 3, "\(reasons)")
        #expect(reasons.values.contains(["verification-too-old"]))
        #expect(reasons.values.contains(["drill-too-old"]))
        #expect(
            reasons["halfway secp256k1"] == ["last-verification-failed", "last-drill-failed", "client-half-missing"])
        // A longer age forgives the old checks, not the missing half.
        (status, reasons) = try job.stale("31")
        #expect(status == 1 && reasons.count == 1)
        // The table says the same, reasons last on each line.
        let table = try job.run(["list", "--stale", "7"])
        #expect(table.status == 1)
        #expect(table.stdout.contains("client-half-missing") && table.stdout.contains("3 stale pair(s)"))
    }

    @Test func listWithNothingStaleExitsZero() throws {
        let scratch = try ScratchDirectory()
        let vault = scratch.path("v.db")
        #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
        let listed = try Sharevault.run(["list", "--stale", "1", "--json", "--vault", vault])
        #expect(listed.status == 0)
        #expect(listed.stdout.filter { !$0.isWhitespace } == "[]")
    }

    @Test func verifyWithAMaximumAgeReportsStalePairsAndWritesTheTextfile() throws {
        let job = try Job()
        let file = job.scratch.path("sharevault.prom")
        try "old contents\n".write(toFile: file, atomically: true, encoding: .utf8)
        let verified = try job.run(["verify", "--custodian", "--max-age", "7", "--prometheus", file, "--json"])
        #expect(verified.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any] ?? [:]
        let staleness = try #require(report["staleness"] as? [String: Any])
        // Just verified, never drilled: every pair is stale for its drill, and the incomplete one for its failure.
        #expect(staleness["stale"] as? Int == 5)
        #expect(
            (staleness["staleByReason"] as? [String: Int]) == ["never-drilled": 5, "last-verification-failed": 1])
        #expect((staleness["pairs"] as? [[String: Any]])?.count == 5)

        // The textfile: replaced whole, readable by the collector, the run's figures in the exposition format.
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains("old contents"))
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        let labels = #"level="custodian",shard="all""#
        #expect(samples["sharevault_verify_pairs{\(labels),result=\"checked\"}"] == 5)
        #expect(samples["sharevault_verify_pairs{\(labels),result=\"failed\"}"] == 1)
        #expect(samples["sharevault_verify_failed_pairs{\(labels),reason=\"incomplete\"}"] == 1, "\(text)")
        #expect(samples["sharevault_verify_stale_pairs{\(labels),reason=\"never-drilled\"}"] == 5)
        #expect(samples["sharevault_verify_stale_pairs_flagged{\(labels)}"] == 5)
        #expect(samples["sharevault_verify_audit_chain_intact{\(labels)}"] == 1)
        let finished = try #require(samples["sharevault_verify_last_run_timestamp_seconds{\(labels)}"])
        #expect(abs(finished - Date().timeIntervalSince1970) < 120)
        #expect(text.contains("# TYPE sharevault_verify_pairs gauge"))
        #expect(!text.contains("halfway") && !text.contains("\"c-"))
        // No temporary file is left beside it.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: job.scratch.path("")).filter { $0.hasSuffix(".tmp") }
                .isEmpty)
    }

    @Test func badAgesAndPathsAreRefusedBeforeAnythingRuns() throws {
        let job = try Job()
        let events = try Python.query(job.vault, "SELECT COUNT(*) FROM auditEvent")
        for bad in ["-1", "abc", "nan", "inf", "99999", ""] {
            let list = try job.run(["list", "--stale", bad])
            #expect(list.status == 2, "list --stale \(bad): \(list.stderr)")
            let verify = try job.run(["verify", "--max-age", bad])
            #expect(verify.status == 2, "verify --max-age \(bad): \(verify.stderr)")
        }
        let missingFolder = try job.run(["verify", "--prometheus", job.scratch.path("nowhere/sharevault.prom")])
        #expect(missingFolder.status == 3)
        #expect(missingFolder.stderr.contains("folder does not exist"))
        // Nothing ran: no verification was recorded.
        #expect(try Python.query(job.vault, "SELECT COUNT(*) FROM auditEvent") == events)
        #expect(
            try Python.query(job.vault, "SELECT COUNT(*) FROM backupPair WHERE lastVerifiedAt IS NOT NULL") == "[(0,)]")
    }
}
