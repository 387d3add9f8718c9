import ArgumentParser
import Foundation
import ShareVault

extension SharevaultCommand {
    /// `sharevault verify`: nightly backup verification.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify backup pairs at three levels: public (no secret), --custodian, or --deep.",
            discussion: """
                public (the default, no secret at all): the pair is completed; identifiers, public shares and \
                commitments decode and agree with the wallet's key (Portal pairs: the two partial public keys \
                interpolate to it); a client ciphertext is stored (and, in sharevault's format, its header parses); \
                the audit chain's structure holds (and its MACs, at the levels that hold the vault key). \
                --custodian (the vault key): every custodian half is opened, and its share times G, identifiers \
                and key must equal what is stored. --deep (also the client halves' keys: \
                --key-store DIR, --password-file F, or --client-decrypt-command 'PROGRAM ARG...'): the client half \
                is opened too and the two halves must give the wallet's key. Runs on every core and streams, \
                records each pair's last verified, reports per pair what each level found (--json), and exits 1 \
                when anything failed. --max-age DAYS also flags, after the run, the pairs in its scope not verified \
                or not drilled within DAYS days and those still waiting for their client half a day after they were \
                made (exit 1 when any): a nightly `verify --custodian --max-age 7` alerts on backups nobody has \
                checked. --prometheus FILE writes the run's figures (pairs checked, passed and failed, failures and \
                stale pairs by reason, the audit chain, duration, finish time) in Prometheus' text format for \
                node_exporter's textfile collector, replacing FILE in one rename (mode 0644: counts only).
                """
        )

        @Option(help: "Verify only this client's pairs.")
        var clientId: String?

        @Flag(help: "Verify every live pair (the default when no --client-id is given).")
        var all = false

        @Option(
            help: ArgumentHelp(
                "Verify only shard K of N (as 3/8): N processes, on N machines, together verify every pair once.",
                valueName: "K/N"))
        var shard: String?

        @Flag(help: "Open every custodian half with the vault key.")
        var custodian = false

        @Flag(help: "Open both halves (needs the vault key and a client key source).")
        var deep = false

        @Option(
            help: ArgumentHelp(
                "Also flag pairs not verified or not drilled within DAYS days, or waiting a day for their client half; exit 1 when any.",
                valueName: "days"))
        var maxAge: Double?

        @Option(
            help: ArgumentHelp(
                "Write the run's figures to FILE in Prometheus' text format (node_exporter's textfile collector).",
                valueName: "file"))
        var prometheus: String?

        @OptionGroup var keys: KeyStoreOptions
        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if all && clientId != nil { throw ValidationError("give --client-id or --all, not both") }
            if shard != nil, clientId != nil {
                throw ValidationError("--shard splits every pair; not with --client-id")
            }
            if let maxAge, !(maxAge.isFinite && maxAge >= 0 && maxAge <= 36_500) {
                throw ValidationError("--max-age must be a number of days from 0 to 36500")
            }
            if deep && !keys.given {
                throw ValidationError(
                    "--deep needs --key-store DIR, --password-file F or --client-decrypt-command 'PROGRAM ARG...'")
            }
        }

        func run() async throws {
            let level: VerificationLevel = deep ? .deep : custodian ? .custodian : .public
            let shard = try self.shard.map { try VerificationShard(parsing: $0) }
            if let prometheus { try VerifyTextfile.checkFolder(of: prometheus) }
            let opened = try await vault.open(needsKey: level > .public)
            let clock = ContinuousClock()
            let started = clock.now
            var summary = try await opened.verify(
                clientId: clientId, level: level, keyStores: deep ? try keys.stores() : nil, shard: shard,
                progress: ProgressLine("verify").handler)
            if let maxAge {
                summary.staleness = try await opened.staleness(
                    StalenessPolicy(days: maxAge), clientId: clientId, shard: shard)
            }
            if let prometheus {
                try VerifyTextfile.write(
                    VerifyTextfile.text(summary, seconds: (clock.now - started) / .seconds(1), finishedAt: Date()),
                    to: prometheus)
            }
            if output.json {
                try Terminal.printJSON(summary)
            } else {
                for failure in summary.failures.prefix(50) {
                    print(
                        "FAILED \(failure.clientId) \(failure.curve) \(failure.method) (pair \(failure.pairId)): "
                            + failure.problems.map(\.rawValue).joined(separator: ", "))
                }
                if summary.failures.count > 50 { print("... and \(summary.failed - 50) more failures") }
                print(
                    "\(summary.level.rawValue) verification (\(summary.levelsRun.map(\.rawValue).joined(separator: ", "))"
                        + (summary.shard.map { ", shard \($0)" } ?? "") + "): \(summary.checked) checked, "
                        + "\(summary.passed) passed, \(summary.failed) failed")
                for (reason, count) in summary.failedByReason.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    print("  \(reason.rawValue): \(count)")
                }
                print(
                    summary.auditChainIntact
                        ? "audit chain intact" : "audit chain BROKEN: \(summary.auditChainProblem ?? "")")
                for problem in summary.bookkeepingProblems {
                    let method = problem.method.map { " \($0)" } ?? ""
                    let pair = problem.pairId.map { " (pair \($0))" } ?? ""
                    print(
                        "BOOKKEEPING \(problem.clientId) \(problem.curve)\(method)\(pair): \(problem.problem.rawValue)")
                }
                if let staleness = summary.staleness {
                    for pair in staleness.pairs.prefix(50) {
                        print(
                            "STALE \(pair.clientId) \(pair.curve) \(pair.method) (pair \(pair.pairId)): "
                                + pair.reasons.map(\.rawValue).joined(separator: ", "))
                    }
                    if staleness.stale > 50 { print("... and \(staleness.stale - 50) more stale pairs") }
                    print("\(staleness.stale) stale pair(s) at a maximum age of \(staleness.maximumAgeDays) days")
                    for (reason, count) in staleness.staleByReason.sorted(by: { $0.key < $1.key }) {
                        print("  \(reason.rawValue): \(count)")
                    }
                }
            }
            if !summary.allPassed || (summary.staleness?.stale ?? 0) > 0 {
                throw CommandFailure(status: .problemFound, message: "")
            }
        }
    }
}
