import Foundation
import ShareMath
import Testing

/// Holes hostile testing found (issue 10), each closed with a test that failed before its fix: a recipient key
/// of small order, a ciphertext header asking Argon2id for too much, a recover whose commit fails after its
/// files are written, a `create` method naming a curve it was not asked for.
@Suite struct HostileInputTests {
    /// X25519 public keys of small order: all zero, one, and the published points of order 8 (Bernstein's list
    /// of points to reject, as libsodium's `crypto_scalarmult` does).
    static let smallOrderKeys = [
        String(repeating: "00", count: 32),
        "01" + String(repeating: "00", count: 31),
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    ]

    @Test(arguments: smallOrderKeys)
    func recoverRefusesASmallOrderRecipientAndWritesNothing(key: String) throws {
        let fixture = try OperatorJobTests.Fixture()
        let recipient = try fixture.scratch.write("recipient.hex", key + "\n")
        let out = fixture.scratch.path("out")
        let generations = try fixture.query("SELECT COUNT(*) FROM signingPair")
        let result = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", "GDRIVE-SECP256K1", "--out", out, "--seal-to", recipient]
                + fixture.deepArguments())
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("small order"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "recover wrote into --out")
        #expect(try fixture.query("SELECT COUNT(*) FROM signingPair") == generations)
        #expect(try fixture.query("SELECT COUNT(*) FROM signingPair WHERE status = 'revoked'") == "[(0,)]")
    }

    /// The commit fails after the share files are written (a trigger makes the signing pair's insert abort): the
    /// files go, the old generation stays active.
    @Test func aRecoverWhoseCommitFailsLeavesNoShareFiles() throws {
        let fixture = try OperatorJobTests.Fixture()
        try fixture.sql(
            "CREATE TRIGGER injected BEFORE INSERT ON signingPair BEGIN SELECT RAISE(ABORT, 'injected fault'); END;")
        let out = fixture.scratch.path("out")
        let result = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", "GDRIVE-SECP256K1", "--out", out] + fixture.deepArguments())
        #expect(result.status != 0)
        // The fault landed mid-write: the folder was made for the files, and the commit was refused after.
        #expect(FileManager.default.fileExists(atPath: out), "the fault struck before any file was written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "share files left behind")
        #expect(try fixture.query("SELECT COUNT(*) FROM signingPair WHERE status = 'revoked'") == "[(0,)]")
        #expect(try fixture.query("SELECT COUNT(*) FROM auditEvent WHERE kind = 'recover'") == "[(0,)]")
    }

    /// A password ciphertext header (sharevault's format, version 2) with the given Argon2id costs.
    static func passwordHeader(operations: UInt64, memory: UInt64) -> String {
        var bytes = Array("SVCB".utf8) + [2, 1] + [UInt8](repeating: 7, count: 16)
        withUnsafeBytes(of: operations.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: memory.bigEndian) { bytes += $0 }
        bytes += (0..<80).map { _ in UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString()
    }

    @Test(arguments: [(16, 1 << 30), (5, 64 << 20), (2, (256 << 20) + 1024)] as [(UInt64, UInt64)])
    func anArgon2idHeaderAskingForTooMuchIsRefusedAtIntake(operations: UInt64, memory: UInt64) throws {
        let vault = try TemplateVault.shared.get().copy()
        let before = try vault.snapshot()
        let path = try vault.scratch.write("greedy.txt", Self.passwordHeader(operations: operations, memory: memory))
        let result = try vault.run(["ingest", "client", "--client-id", "fixture-portal", "--method", "GDRIVE", path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("Argon2id cost out of range"), "\(result.stderr)")
        #expect(try vault.snapshot() == before)
        // At the cap, the header is taken.
        let fair = try vault.scratch.write("fair.txt", Self.passwordHeader(operations: 4, memory: 256 << 20))
        #expect(
            try vault.run(["ingest", "client", "--client-id", "fixture-portal", "--method", "GDRIVE", fair]).status == 0
        )
    }

    /// A create whose batch is refused at commit (a trigger aborts the wallet's insert, as a clash arriving
    /// mid-run would) leaves no key file behind, so the retry is not stopped by its own leftovers.
    @Test func aRefusedBatchLeavesNoKeyFilesAndTheRetryWorks() throws {
        let vault = try TestVault.initialized()
        let keys = vault.scratch.path("keys")
        #expect(
            try Python.sql(
                vault.path,
                execute:
                    "CREATE TRIGGER injected BEFORE INSERT ON wallet BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
            ).status == 0)
        let create = ["create", "--client-id", "k", "--count", "3", "--method", "GDRIVE", "--key-store", keys]
        let refused = try vault.run(create)
        #expect(refused.status != 0, "\(refused.stderr)")
        // The trigger fires at commit, after the batch's three keys were made (without the clean-up they stayed,
        // and the retry below stopped on them): the folder is empty again.
        #expect(try FileManager.default.contentsOfDirectory(atPath: keys).isEmpty, "key files left behind")
        #expect(try Python.sql(vault.path, execute: "DROP TRIGGER injected;").status == 0)
        let retried = try vault.run(create)
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: keys).count == 3)
    }

    @Test func createRefusesAMethodNamingACurveItWasNotAskedFor() throws {
        let vault = try TestVault.initialized()
        let before = try vault.snapshot()
        let keys = vault.scratch.path("keys")
        for (curve, method) in [
            ("secp256k1", "GDRIVE-ED25519"), ("all", "GDRIVE-SECP256K1"), ("ed25519", "GDRIVE-secp256k1"),
        ] {
            let result = try vault.run([
                "create", "--client-id", "c", "--curve", curve, "--method", method, "--key-store", keys,
            ])
            #expect(result.status == 2, "\(curve) \(method): \(result.stderr)")
            #expect(result.stderr.contains("--curve"), "\(result.stderr)")
        }
        #expect(try vault.snapshot() == before)
        let keyFiles = (try? FileManager.default.contentsOfDirectory(atPath: keys)) ?? []
        #expect(keyFiles.isEmpty)
        // A suffix that agrees is taken.
        let agreeing = try vault.run([
            "create", "--client-id", "c", "--curve", "ed25519", "--method", "GDRIVE-ED25519", "--key-store", keys,
        ])
        #expect(agreeing.status == 0, "\(agreeing.stderr)")
    }

    /// A webhook body carrying the fixture's share re-serialised: members reversed, names recased, spaced.
    static func reserialised(_ fixture: GoodFixture, in vault: TestVault) throws -> String {
        let body = try WebhookFixtures.object(at: fixture.bodyPath)
        let share = try WebhookFixtures.shareObject(inBody: fixture.bodyPath) as! [String: String]
        let text =
            "{\n  "
            + share.sorted { $0.key > $1.key }.map { key, value in
                "\"\(key.prefix(1).uppercased() + key.dropFirst())\" : \"\(value)\""
            }.joined(separator: ",\n  ") + "\n}"
        var copy = body
        copy["share"] = text
        let path = vault.scratch.path("reserialised.json")
        try JSONSerialization.data(withJSONObject: copy).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Issue 10 row 4: a re-serialised copy of the live share, or an older share replayed, stores nothing and
    /// changes nothing: the completed pair stays completed and live.
    @Test func aReserialisedOrReplayedShareChangesNothing() throws {
        let vault = try PortalTrafficTests.completedVault()
        let secp = PortalTrafficTests.secp256k1
        let before = try vault.snapshot()
        let copy = try Self.reserialised(secp, in: vault)
        let again = try vault.json(["ingest", "custodian", copy]) as? [String: Any]
        #expect(again?["outcome"] as? String == "duplicate")
        #expect(try vault.snapshot() == before, "a re-serialised share changed the vault")

        // A replacement, then the first delivery replayed: the replacement stays live.
        let replaced = try vault.json(["ingest", "custodian", secp.replacementPath]) as? [String: Any]
        #expect(replaced?["outcome"] as? String == "replaced")
        let afterReplacement = try vault.snapshot()
        for path in [secp.bodyPath, copy] {
            let replay = try vault.json(["ingest", "custodian", path]) as? [String: Any]
            #expect(replay?["outcome"] as? String == "duplicate", "\(path)")
            #expect(replay?["pairId"] as? Int != replaced?["pairId"] as? Int)
        }
        #expect(try vault.snapshot() == afterReplacement, "a replayed older share changed the vault")
    }
}

/// `serve` refuses a webhook root that could become a route parameter or a wildcard, or shadow the app's routes.
@Suite struct ServeOptionTests {
    @Test(arguments: ["/:clientId", "/clients/x", "/hooks/*", "hooks", "/healthz"])
    func aWebhookRootThatIsNotAPlainPathIsABadUsage(root: String) throws {
        let vault = try TestVault.initialized()
        let result = try vault.run(["serve", "--listen", "127.0.0.1:0", "--webhook-root", root])
        #expect(result.status == 2, "\(root): \(result.stderr)")
        #expect(result.stderr.contains("--webhook-root"), "\(result.stderr)")
    }
}

/// Issue 10 row 10: the public level finds what the vault's own records contradict, edited behind the tool's
/// back with python3's sqlite3: each edit passed `verify` before, and now fails it naming the finding.
@Suite struct BookkeepingTests {
    /// Pairs 1 (secp256k1) and 2 (ed25519) are fixture-portal's GDRIVE pairs; pair 3 replaces pair 1; the
    /// secp256k1 wallet has signing generations 1 (revoked) and 2 (active).
    static let edits: [(name: String, sql: String, finding: String)] = [
        (
            "the live pair deleted",
            "PRAGMA foreign_keys = OFF; DELETE FROM custodianShare WHERE pairId = 3; DELETE FROM backupPair WHERE id = 3;",
            "recorded-pair-missing"
        ),
        (
            "the old pair made live again",
            "UPDATE backupPair SET isLive = 0 WHERE id = 3; UPDATE backupPair SET isLive = 1 WHERE id = 1;",
            "live-pair-marked-replaced"
        ),
        (
            "a live pair retired with no replacement", "UPDATE backupPair SET isLive = 0 WHERE id = 2;",
            "method-without-live-pair"
        ),
        (
            "a wallet's curve changed to one the tool does not know",
            "PRAGMA ignore_check_constraints = ON; UPDATE wallet SET curve = 'p256' WHERE id = 2;",
            "unknown-curve"
        ),
        (
            "a revoked signing generation made active again", "UPDATE signingPair SET status = 'active';",
            "several-active-signing-generations"
        ),
        (
            "the old pair made live again, its history tidied",
            """
            UPDATE backupPair SET isLive = 0, replacedAt = NULL, replacedById = NULL WHERE id = 3;
            UPDATE backupPair SET isLive = 1, replacedAt = NULL, replacedById = NULL WHERE id = 1;
            """,
            "older-pair-live"
        ),
        (
            "the active signing pair's public shares swapped",
            """
            UPDATE signingPair SET devicePublicShare = custodianPublicShare, custodianPublicShare = devicePublicShare
            WHERE status = 'active';
            """,
            "signing-generation-does-not-interpolate"
        ),
    ]

    static func vaultWithHistory() throws -> TestVault {
        let vault = try PortalTrafficTests.completedVault()
        for _ in 0..<2 {
            let out = vault.scratch.path("recovered-\(UUID().uuidString)")
            let recovered = try vault.run(
                ["recover", "--client-id", "fixture-portal", "--method", "GDRIVE-SECP256K1", "--out", out]
                    + PortalFixtures.decryptArguments())
            #expect(recovered.status == 0, "\(recovered.stderr)")
        }
        #expect(try vault.run(["ingest", "custodian", PortalTrafficTests.secp256k1.replacementPath]).status == 0)
        return vault
    }

    @Test(arguments: edits.indices)
    func anEditBehindTheToolsBackFailsPublicVerification(index: Int) throws {
        let edit = Self.edits[index]
        let vault = try Self.vaultWithHistory()
        let untouched = try vault.run(["verify", "--json"])
        let clean = try JSONSerialization.jsonObject(with: Data(untouched.stdout.utf8)) as? [String: Any]
        #expect((clean?["bookkeepingProblems"] as? [Any])?.isEmpty == true, "\(untouched.stdout)")
        #expect(try Python.sql(vault.path, execute: edit.sql).status == 0)
        let result = try vault.run(["verify", "--json"])
        #expect(result.status == 1, "\(edit.name): \(result.stdout) \(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = (summary["bookkeepingProblems"] as? [[String: Any]] ?? []).compactMap {
            $0["problem"] as? String
        }
        #expect(findings.contains(edit.finding), "\(edit.name): \(findings)")
        let text = try vault.run(["verify"])
        #expect(text.stdout.contains("BOOKKEEPING"), "\(text.stdout)")
    }
}

/// Issue 10 row 8 (DESIGN section 7): a file that is not a vault, an empty file, or a vault of a newer format is
/// refused with exit 3 by every command, reading or writing, and is left byte for byte as it was.
@Suite struct VaultFileTests {
    /// The file's bytes and whether SQLite left a write-ahead log or shared-memory file beside it.
    static func state(of path: String) throws -> (Data, Bool) {
        let sideFiles = ["-wal", "-shm"].contains { FileManager.default.fileExists(atPath: path + $0) }
        return (try Data(contentsOf: URL(fileURLWithPath: path)), sideFiles)
    }

    static let commands: [[String]] = [
        ["list"], ["inspect", "fixture-portal"], ["audit", "--verify"], ["verify"],
        ["ingest", "custodian", IngestFixtureTests.good[0].bodyPath],
    ]

    @Test func anotherProgramsDatabaseIsRefusedAndUntouched() throws {
        let vault = try TestVault()
        let path = vault.scratch.path("app.db")
        #expect(
            try Python.sql(
                path,
                execute: "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders VALUES (1, 9.5);"
            ).status == 0)
        let before = try Self.state(of: path)
        for command in Self.commands {
            let result = try vault.run(command + ["--vault", path], vault: false)
            #expect(result.status == 3, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("not a sharevault vault"), "\(command): \(result.stderr)")
            let after = try Self.state(of: path)
            #expect(after.0 == before.0 && !after.1, "\(command) changed another program's database")
        }
        #expect(try Python.query(path, "SELECT name FROM sqlite_master WHERE type = 'table'") == "[('orders',)]")
    }

    @Test func anEmptyFileIsNotAVault() throws {
        let vault = try TestVault()
        let path = try vault.scratch.write("empty.db", "")
        for command in Self.commands {
            let result = try vault.run(command + ["--vault", path], vault: false)
            #expect(result.status == 3, "\(command): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty, "\(command) wrote into an empty file")
        }
    }

    @Test func aVaultOfANewerFormatIsRefusedAndUntouched() throws {
        let vault = try TestVault.initialized()
        #expect(try vault.run(["ingest", "custodian", IngestFixtureTests.good[0].bodyPath]).status == 0)
        #expect(
            try Python.sql(
                vault.path, execute: "INSERT INTO grdb_migrations (identifier) VALUES ('v9: a future format');"
            ).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: vault.path))
        for command in Self.commands {
            let result = try vault.run(command)
            #expect(result.status == 3, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("newer format"), "\(command): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.path)) == before)
    }
}

/// Issue 10 row 14: one mapping of faults to exit statuses and messages that name what is wrong.
@Suite struct FaultMappingTests {
    @Test func aClientKeyFileOpenToOthersIsNamedAsRefusedNotMissing() throws {
        let fixture = try OperatorJobTests.Fixture()
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.keys) {
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o644], ofItemAtPath: (fixture.keys as NSString).appendingPathComponent(name))
        }
        let result = try fixture.run(["verify", "--deep", "--json"] + fixture.deepArguments())
        #expect(result.status == 1)
        let summary = try fixture.json(result)
        let reasons = summary["failedByReason"] as? [String: Int]
        // The GDRIVE pairs' key files are refused; the PASSWORD pairs need no key file and pass.
        #expect(reasons == ["client-key-file-refused": 4], "\(String(describing: reasons))")
    }

    @Test func aDamagedAuditHeadIsAnEnvironmentFaultAndNothingIsWritten() throws {
        let vault = try TestVault.initialized()
        #expect(
            try Python.sql(vault.path, execute: "UPDATE vaultMeta SET value = 'not hex' WHERE name = 'auditHead';")
                .status == 0)
        let before = try vault.snapshot()
        let result = try vault.run(["ingest", "custodian", IngestFixtureTests.good[0].bodyPath])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("audit head is damaged"), "\(result.stderr)")
        #expect(try vault.snapshot() == before)
    }
}

/// Issue 10 row 5 from the command line: `audit --head` exports a MAC'd head, and `audit --verify --expect-head`
/// fails (exit 1) on a vault restored from an older copy, while a head that is not this vault's, or not a head,
/// is bad input (exit 2) and changes nothing.
@Suite struct AuditHeadCommandTests {
    @Test func aRestoredOlderCopyFailsAgainstTheExportedHead() throws {
        let vault = try PortalTrafficTests.completedVault()
        let older = vault.scratch.path("older.db")
        // sqlite3's backup, as an operator's nightly copy would be taken.
        #expect(try Python.sql(vault.path, execute: "VACUUM INTO '\(older)';").status == 0)
        #expect(try vault.run(["verify", "--custodian"]).status == 0)
        let exported = try vault.run(["audit", "--head"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let head = try vault.scratch.write("head.json", exported.stdout)
        #expect(exported.stdout.hasPrefix("{\"format\":\"sharevault audit head v1\",\"events\":"), "\(exported.stdout)")

        let holds = try vault.run(["audit", "--verify", "--expect-head", head])
        #expect(holds.status == 0, "\(holds.stdout) \(holds.stderr)")
        #expect(holds.stdout.contains("holds the exported head"), "\(holds.stdout)")

        try FileManager.default.removeItem(atPath: vault.path)
        try FileManager.default.copyItem(atPath: older, toPath: vault.path)
        let plain = try vault.run(["audit", "--verify"])
        #expect(plain.status == 0, "an older copy is a whole chain: \(plain.stdout)")
        let rolledBack = try vault.run(["audit", "--verify", "--expect-head", head, "--json"])
        #expect(rolledBack.status == 1, "\(rolledBack.stdout) \(rolledBack.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(rolledBack.stdout.utf8)) as? [String: Any])
        #expect(report["intact"] as? Bool == false)
        #expect((report["reason"] as? String)?.contains("rolled back") == true, "\(report)")
    }

    @Test func aHeadThatIsNotThisVaultsIsBadInputAndChangesNothing() throws {
        let vault = try TestVault.initialized()
        let other = try TestVault.initialized()
        let foreign = try vault.scratch.write("foreign.json", try other.run(["audit", "--head"]).stdout)
        let cases: [(String, String)] = [
            (foreign, "not exported from this vault"),
            (try vault.scratch.write("garbage.json", "{\"format\":"), "not an audit head: malformed JSON"),
            (try vault.scratch.write("empty.json", ""), "not an audit head: empty document"),
            (vault.scratch.path("absent.json"), "no such file"),
        ]
        let before = try vault.snapshot()
        for (path, message) in cases {
            let result = try vault.run(["audit", "--verify", "--expect-head", path])
            #expect(result.status == 2, "\(path): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(path): \(result.stderr)")
        }
        let usage = try vault.run(["audit", "--expect-head", foreign])
        #expect(usage.status == 2 && usage.stderr.contains("--expect-head goes with --verify"), "\(usage.stderr)")
        #expect(try vault.snapshot() == before)
    }

    @Test func aBrokenChainExportsNoHead() throws {
        let vault = try TestVault.initialized()
        #expect(try vault.run(["ingest", "custodian", IngestFixtureTests.good[0].bodyPath]).status == 0)
        #expect(try Python.sql(vault.path, execute: "UPDATE auditEvent SET detail = '{}' WHERE id = 2;").status == 0)
        let result = try vault.run(["audit", "--head"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("BROKEN at event 2") && !result.stdout.contains("\"mac\""), "\(result.stdout)")
    }
}

/// Issue 10 row 14, continued: a file that cannot be written is named as such (not as an unreadable vault), is
/// an environment fault, and leaves nothing behind; a secret the command needs but was not given is a missing
/// option, exit 2, as a missing `--key-store` is.
@Suite struct FileFaultTests {
    @Test func aRecoverWhoseShareFilesCannotBeWrittenRecordsNothing() throws {
        let fixture = try OperatorJobTests.Fixture()
        let before = try fixture.query("SELECT COUNT(*) FROM signingPair")
        // /proc/self is a directory no one, root included, may create files in.
        let result = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", "GDRIVE-SECP256K1", "--out", "/proc/self"]
                + fixture.deepArguments())
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("/proc/self/device-share.json.pending: cannot write it"), "\(result.stderr)")
        #expect(!result.stderr.contains("vault"), "\(result.stderr)")
        #expect(try fixture.query("SELECT COUNT(*) FROM signingPair") == before)
    }
}
