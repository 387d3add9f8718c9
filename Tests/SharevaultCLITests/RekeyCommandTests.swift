import Foundation
import ShareMath
import ShareVault
import Testing

/// `sharevault rekey` as an operator runs it: a whole rekey, its refusals and exit statuses, and a rekey
/// SIGKILLed at random points and taken up by a bare `sharevault rekey`.
@Suite(.serialized) struct RekeyCommandTests {
    /// A vault of 3,000 pairs (1,500 clients on both curves), made once and copied for each test that needs one:
    /// its directory, left in the temporary folder (the tests of this suite share it, and a static outlives them).
    static let template: Result<String, TestFailure> = {
        do {
            let scratch = FileManager.default.temporaryDirectory
                .appendingPathComponent("sharevault-rekey-template-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let vault = scratch.appendingPathComponent("v.db")
            let initialized = try Sharevault.run(["init", "--vault", vault.path])
            guard initialized.status == 0 else { return .failure(TestFailure("init: \(initialized.stderr)")) }
            let created = try Sharevault.run([
                "create", "--vault", vault.path, "--client-id", "c", "--count", "1500", "--curve", "all", "--method",
                "GDRIVE", "--key-store", scratch.appendingPathComponent("keys").path,
            ])
            guard created.status == 0 else { return .failure(TestFailure("create: \(created.stderr)")) }
            return .success(scratch.path)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    static let pairs = 3000

    /// A copy of the template vault and its key in a scratch directory of its own.
    static func copyOfTemplate(into scratch: ScratchDirectory, name: String = "v") throws -> String {
        let template = (try Self.template.get() as NSString).appendingPathComponent("v.db")
        let vault = scratch.path("\(name).db")
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: template + suffix) {
            try FileManager.default.copyItem(atPath: template + suffix, toPath: vault + suffix)
        }
        try FileManager.default.copyItem(atPath: template + ".key", toPath: vault + ".key")
        return vault
    }

    /// Every custodian row is at `version`, and none opens under the key file `retired` with any associated data
    /// a row was ever sealed with.
    static func expectNothingOpensUnder(retired: String, vault: String, newKey: String, version: Int) async throws {
        let opened = try Vault.open(at: vault, keyPath: newKey, needsKey: true, readOnly: true)
        let rows = try await opened.store.custodianSharesSealed(otherThan: Int(Int32.max), after: 0, limit: 1_000_000)
        #expect(rows.count == pairs)
        let old = try VaultKeyFile.load(at: retired, passphrase: { nil })
        let variants: [Int?] = [nil] + Array(1...version)
        var opening = 0
        var misplaced = 0
        for row in rows {
            if row.keyVersion != version { misplaced += 1 }
            for variant in variants {
                let associatedData = VaultKeyring.custodianAssociatedData(
                    version: variant, clientId: row.clientId, method: row.method.on(row.curve))
                if (try? XChaCha20Poly1305.open(row.sealedShare, key: old, associatedData: associatedData)) != nil {
                    opening += 1
                }
            }
        }
        #expect(misplaced == 0, "\(misplaced) rows not at version \(version)")
        #expect(opening == 0, "\(opening) rows open under the retired key")
    }

    @Test func aRekeyRetiresTheOldKeyAndRefusesWhatItCannotDo() async throws {
        let scratch = try ScratchDirectory()
        let vault = try Self.copyOfTemplate(into: scratch)
        let newKey = scratch.path("new.key")

        // Bad usage first: nothing to take up, and a batch size out of range.
        let bare = try Sharevault.run(["rekey", "--vault", vault, "--settle", "0"])
        #expect(bare.status == 2, "\(bare.stderr)")
        #expect(bare.stderr.contains("no rekey is in progress"), "\(bare.stderr)")
        let zero = try Sharevault.run(["rekey", "--vault", vault, "--new-vault-key", newKey, "--batch-size", "0"])
        #expect(zero.status == 2, "\(zero.stderr)")
        #expect(!FileManager.default.fileExists(atPath: newKey))
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM vaultMeta WHERE name LIKE 'rekey%'") == "[(0,)]")

        let rekeyed = try Sharevault.run(["rekey", "--vault", vault, "--new-vault-key", newKey, "--settle", "0"])
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(rekeyed.stdout.contains("key version 1 -> 2, \(Self.pairs) custodian shares"), "\(rekeyed.stdout)")
        let verified = try Sharevault.run(["verify", "--custodian", "--all", "--vault", vault, "--vault-key", newKey])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("\(Self.pairs) passed, 0 failed"), "\(verified.stdout)")
        let withOld = try Sharevault.run(["verify", "--custodian", "--all", "--vault", vault])
        #expect(withOld.status == 3, "\(withOld.stdout)\(withOld.stderr)")
        #expect(withOld.stderr.contains("retired"), "\(withOld.stderr)")
        // Done, there is nothing to take up; the new key file may not be named for a second rekey either.
        let again = try Sharevault.run(["rekey", "--vault", vault, "--vault-key", newKey, "--settle", "0"])
        #expect(again.status == 2, "\(again.stderr)")
        let existing = try Sharevault.run([
            "rekey", "--vault", vault, "--vault-key", newKey, "--new-vault-key", newKey, "--settle", "0",
        ])
        #expect(existing.status == 2, "\(existing.stdout)\(existing.stderr)")
        #expect(existing.stderr.contains("already exists"), "\(existing.stderr)")
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM vaultMeta WHERE name LIKE 'rekey%'") == "[(0,)]")
        try await Self.expectNothingOpensUnder(
            retired: vault + ".key", vault: vault, newKey: newKey, version: 2)
        let audit = try Sharevault.run(["audit", "--verify", "--vault", vault, "--vault-key", newKey])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
    }

    /// Where a killed rekey left the vault: the version recorded for a rekey in progress, and the rows at the new
    /// and at older versions.
    struct State: CustomStringConvertible {
        let rekeyVersion: String
        let moved: Int
        let notMoved: Int
        var midRekey: Bool { rekeyVersion == "[('2',)]" }
        var description: String { "rekeyVersion \(rekeyVersion), \(moved) moved, \(notMoved) not" }

        init(_ vault: String) throws {
            rekeyVersion = try Python.query(vault, "SELECT value FROM vaultMeta WHERE name = 'rekeyVersion'")
            moved =
                Int(
                    try Python.query(vault, "SELECT COUNT(*) FROM custodianShare WHERE keyVersion = 2")
                        .trimmingCharacters(in: CharacterSet(charactersIn: "[(,)]"))) ?? -1
            notMoved =
                Int(
                    try Python.query(
                        vault, "SELECT COUNT(*) FROM custodianShare WHERE keyVersion IS NULL OR keyVersion < 2"
                    ).trimmingCharacters(in: CharacterSet(charactersIn: "[(,)]"))) ?? -1
        }
    }

    @Test func aRekeyKilledAtRandomPointsIsTakenUp() async throws {
        let scratch = try ScratchDirectory()
        // How long a whole run takes here, to aim the kills inside it.
        let timing = try Self.copyOfTemplate(into: scratch, name: "timing")
        let clock = ContinuousClock()
        let started = clock.now
        let whole = try Sharevault.run([
            "rekey", "--vault", timing, "--new-vault-key", scratch.path("timing-new.key"), "--batch-size", "7",
            "--settle", "0",
        ])
        let duration = (clock.now - started) / .seconds(1)
        #expect(whole.status == 0, "\(whole.stderr)")

        var generator = SystemRandomNumberGenerator()
        var landed: [String] = []
        var cutBetweenBatches = 0
        var missed: [String] = []
        for attempt in 0..<15 where landed.count < 3 {
            let vault = try Self.copyOfTemplate(into: scratch, name: "v\(attempt)")
            let newKey = scratch.path("v\(attempt)-new.key")
            let delay = Double.random(in: 0.1...1.0, using: &generator) * duration
            let process = Process()
            process.executableURL = Sharevault.binary
            process.arguments = [
                "rekey", "--vault", vault, "--new-vault-key", newKey, "--batch-size", "7", "--settle", "0",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .seconds(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let state = try State(vault)
            let context =
                String(format: "attempt %d, killed after %.3f s of a %.3f s run: ", attempt, delay, duration)
                + "\(state)"
            guard process.terminationReason == .uncaughtSignal, state.midRekey else {
                // Killed before the rekey was recorded, or after it ended: all or nothing moved.
                let version = try Python.query(vault, "SELECT value FROM vaultMeta WHERE name = 'keyVersion'")
                let whole = state.moved == Self.pairs && version == "[('2',)]"
                let untouched = state.moved == 0 && version != "[('2',)]"
                #expect(whole || untouched, "\(context), keyVersion \(version)")
                missed.append(context)
                continue
            }
            landed.append(context)
            if state.moved > 0 && state.notMoved > 0 { cutBetweenBatches += 1 }
            #expect(state.moved + state.notMoved == Self.pairs, "\(context)")
            #expect(FileManager.default.fileExists(atPath: newKey), "\(context)")

            let resumed = try Sharevault.run(["rekey", "--vault", vault, "--settle", "0"])
            #expect(resumed.status == 0, "\(resumed.stderr) \(context)")
            #expect(resumed.stdout.contains("rekey resumed and finished: key version 1 -> 2"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains(", \(state.notMoved) custodian shares"), "\(resumed.stdout) \(context)")
            let verified = try Sharevault.run([
                "verify", "--custodian", "--all", "--vault", vault, "--vault-key", newKey,
            ])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr) \(context)")
            let withOld = try Sharevault.run(["verify", "--custodian", "--all", "--vault", vault])
            #expect(withOld.status == 3 && withOld.stderr.contains("retired"), "\(withOld.stderr) \(context)")
            try await Self.expectNothingOpensUnder(retired: vault + ".key", vault: vault, newKey: newKey, version: 2)
            let events = try Python.query(
                vault, "SELECT kind, COUNT(*) FROM auditEvent WHERE kind LIKE 'rekey%' GROUP BY kind ORDER BY kind")
            #expect(events == "[('rekey-finished', 1), ('rekey-started', 1)]", "\(events) \(context)")
        }
        #expect(
            landed.count >= 3,
            "only \(landed.count) of the kills landed mid-rekey: \(landed) missed: \(missed)")
        // At least one of them cut the rekey between batches that had moved and batches that had not.
        #expect(cutBetweenBatches > 0, "\(landed)")
    }

    @Test func aRekeyIsAbortedAndTheVaultStaysAtItsKey() async throws {
        let scratch = try ScratchDirectory()
        let vault = try Self.copyOfTemplate(into: scratch)
        let newKey = scratch.path("abandoned.key")
        let events = try Python.query(vault, "SELECT COUNT(*) FROM auditEvent")

        // Bad usage: nothing to abort, and a new key named with --abort; the vault is unchanged.
        let nothing = try Sharevault.run(["rekey", "--abort", "--vault", vault])
        #expect(nothing.status == 2, "\(nothing.stderr)")
        #expect(nothing.stderr.contains("no rekey is in progress: there is nothing to abort"), "\(nothing.stderr)")
        let withKey = try Sharevault.run(["rekey", "--abort", "--vault", vault, "--new-vault-key", newKey])
        #expect(withKey.status == 2, "\(withKey.stderr)")
        #expect(withKey.stderr.contains("--abort takes no new key"), "\(withKey.stderr)")
        #expect(!FileManager.default.fileExists(atPath: newKey))
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM auditEvent") == events)
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM vaultMeta WHERE name LIKE 'rekey%'") == "[(0,)]")

        // A rekey that moved every share and was killed while it waited to end.
        let process = Process()
        process.executableURL = Sharevault.binary
        process.arguments = ["rekey", "--vault", vault, "--new-vault-key", newKey, "--settle", "3600"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while try State(vault).moved < Self.pairs, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killed = try State(vault)
        #expect(killed.midRekey && killed.moved == Self.pairs, "\(killed)")
        // `key status` shows the rekey in progress, without the key.
        let status = try Sharevault.run(["key", "status", "--vault", vault])
        #expect(status.status == 0, "\(status.stderr)")
        for line in [
            "key version 1: a key file", "custodian shares: 3000 under version 2",
            "rekey to key version 2 in progress since", "0 shares still to move", "new key file: \(newKey)",
        ] {
            #expect(status.stdout.contains(line), "\(line): \(status.stdout)")
        }
        // And so does the report.
        let reported = try Sharevault.run(["report", "--vault", vault])
        #expect(
            reported.stdout.contains(
                "vault key: version 1, a key file; rekey to version 2 in progress, 3000 share(s) not under the current "
                    + "version"), "\(reported.stdout)")

        let aborted = try Sharevault.run(["rekey", "--abort", "--vault", vault, "--json"])
        #expect(aborted.status == 0, "\(aborted.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(aborted.stdout.utf8)) as? [String: Any]
        #expect(report?["keyVersion"] as? Int == 1 && report?["abandonedVersion"] as? Int == 2, "\(aborted.stdout)")
        #expect(report?["resealed"] as? Int == Self.pairs, "\(aborted.stdout)")
        #expect(report?["removedFiles"] as? [String] == [newKey], "\(aborted.stdout)")
        #expect(!FileManager.default.fileExists(atPath: newKey))
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM vaultMeta WHERE name LIKE 'rekey%'") == "[(0,)]")
        #expect(try Python.query(vault, "SELECT COUNT(*) FROM custodianShare WHERE keyVersion = 1") == "[(3000,)]")
        let verified = try Sharevault.run(["verify", "--custodian", "--all", "--vault", vault])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("\(Self.pairs) passed, 0 failed"), "\(verified.stdout)")
        let audit = try Sharevault.run(["audit", "--verify", "--vault", vault])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let kinds = try Python.query(
            vault, "SELECT kind, COUNT(*) FROM auditEvent WHERE kind LIKE 'rekey%' GROUP BY kind ORDER BY kind")
        #expect(kinds == "[('rekey-abort-started', 1), ('rekey-aborted', 1), ('rekey-started', 1)]", "\(kinds)")
        let again = try Sharevault.run(["rekey", "--abort", "--vault", vault])
        #expect(again.status == 2, "\(again.stderr)")
        let after = try Sharevault.run(["key", "status", "--vault", vault, "--json"])
        #expect(after.status == 0, "\(after.stderr)")
        let state = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]
        #expect(state?["keyVersion"] as? Int == 1 && state?["rekey"] == nil, "\(after.stdout)")
        #expect(state?["keyStateChanges"] as? Int == 3, "\(after.stdout)")
        let counts = state?["sharesByKeyVersion"] as? [[String: Int]]
        #expect(counts == [["keyVersion": 1, "shares": Self.pairs]], "\(after.stdout)")

        // The next rekey begins afresh and ends, past the abandoned version.
        let next = scratch.path("next.key")
        let rekeyed = try Sharevault.run(["rekey", "--vault", vault, "--new-vault-key", next, "--settle", "0"])
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(rekeyed.stdout.contains("key version 1 -> 3, \(Self.pairs) custodian shares"), "\(rekeyed.stdout)")
        try await Self.expectNothingOpensUnder(retired: vault + ".key", vault: vault, newKey: next, version: 3)
        let shown = try Sharevault.run(["key", "status", "--vault", vault])
        #expect(
            shown.stdout.contains("abandoned key versions (aborted rekeys, never used again): 2"), "\(shown.stdout)")
    }
}
