import Foundation
import ShareMath
import ShareVault
import Testing

/// verify, recover, drill and eject run as an operator would, with every fault the issue names: wrong key
/// store, wrong password, missing key file, tampered ciphertext, disagreeing public material, halves of
/// different wallets, revoked generations, a vault edited behind the tool's back, an interrupted recover.
@Suite struct OperatorJobTests {
    /// A vault with two clients on both curves, methods GDRIVE and PASSWORD.
    final class Fixture {
        let scratch: ScratchDirectory
        var vault: String { scratch.path("v.db") }
        var keys: String { scratch.path("keys") }
        var password: String { scratch.path("password") }

        init() throws {
            scratch = try ScratchDirectory()
            try scratch.write("password", "correct horse\n")
            let initialized = try Sharevault.run(["init", "--vault", vault])
            #expect(initialized.status == 0, "\(initialized.stderr)")
            let created = try Sharevault.run([
                "create", "--vault", vault, "--client-id", "c", "--count", "2", "--method", "GDRIVE", "--method",
                "PASSWORD", "--key-store", keys, "--password-file", password,
            ])
            #expect(created.status == 0, "\(created.stderr)")
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try Sharevault.run(arguments + ["--vault", vault])
        }

        func deepArguments(keys: String? = nil, password: String? = nil) -> [String] {
            ["--key-store", keys ?? self.keys, "--password-file", password ?? self.password]
        }

        /// Runs SQL on the vault file behind the tool's back (python3's sqlite3 module).
        func sql(_ statements: String) throws {
            #expect(try Python.sql(vault, execute: statements).status == 0)
        }

        func query(_ sql: String) throws -> String {
            try Python.query(vault, sql)
        }

        func json(_ result: CommandResult) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
    }

    /// Reports carry times as the vault stores them (ISO 8601, UTC, milliseconds), byte for byte, and outcomes as
    /// recorded; a stored value this build does not read stops the report with exit 3, naming its row.
    @Test func reportsShowStoredTimesAndOutcomesAndRefuseAnUnreadableRow() throws {
        let fixture = try Fixture()
        #expect(try fixture.run(["verify"]).status == 0)
        #expect(try fixture.run(["drill", "--all"] + fixture.deepArguments()).status == 0)
        let listed = try fixture.run(["list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let pairs = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(pairs.count == 8)
        let stored = try fixture.query(
            "SELECT p.id, p.createdAt, p.lastVerifiedAt, p.lastDrilledAt FROM backupPair p WHERE p.isLive ORDER BY p.id"
        )
        let format = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/#
        for pair in pairs {
            let id = try #require(pair["pairId"] as? Int)
            for field in ["createdAt", "updatedAt", "lastVerifiedAt", "lastDrilledAt"] {
                let text = try #require(pair[field] as? String, "\(field)")
                #expect(text.wholeMatch(of: format) != nil, "\(field) \(text)")
            }
            let row = "(\(id), '\(pair["createdAt"]!)', '\(pair["lastVerifiedAt"]!)', '\(pair["lastDrilledAt"]!)')"
            #expect(stored.contains(row), "\(row) not in \(stored)")
            #expect(pair["lastVerifiedOutcome"] as? String == "passed")
            #expect(pair["lastDrilledOutcome"] as? String == "passed")
            #expect(pair["method"] as? String == "GDRIVE" || pair["method"] as? String == "PASSWORD")
        }

        let drilled = try fixture.json(try fixture.run(["drill", "--all", "--json"] + fixture.deepArguments()))
        let outcomes = try #require(drilled["outcomes"] as? [[String: Any]])
        #expect(outcomes.count == 8)
        for outcome in outcomes {
            let text = try #require(outcome["startedAt"] as? String)
            #expect(text.wholeMatch(of: format) != nil, "\(text)")
        }

        try fixture.sql("UPDATE backupPair SET lastVerifiedOutcome = 'fine' WHERE id = 3")
        for command in [["list"], ["list", "--json"]] {
            let refused = try fixture.run(command)
            #expect(refused.status == 3, "\(command)")
            #expect(
                refused.stderr.contains("backupPair row 3 has a lastVerifiedOutcome"), "\(command) \(refused.stderr)")
        }
        let repaired = try fixture.run(["verify", "--json"])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(try fixture.json(repaired)["checked"] as? Int == 8)
        #expect(try fixture.run(["list"]).status == 0)
    }

    /// A wallet of a curve this build does not read: verify reports it, and a drill, which would have to skip its
    /// pairs, refuses to start whatever it was asked to drill, naming the wallet.
    @Test func aWalletOfAnUnknownCurveIsReportedByVerifyAndStopsDrills() throws {
        let fixture = try Fixture()
        let clientId = try fixture.query(
            "SELECT c.clientId FROM wallet w JOIN client c ON c.id = w.clientRowId WHERE w.id = 2")
        try fixture.sql("PRAGMA ignore_check_constraints = ON; UPDATE wallet SET curve = 'p256' WHERE id = 2;")
        let verified = try fixture.run(["verify", "--json"])
        #expect(verified.status == 1, "\(verified.stderr)")
        #expect(verified.stdout.contains("unknown-curve"))
        // python3 prints [('c-1',)].
        let client = String(clientId.dropFirst(3).dropLast(4))
        for selection in [["--all"], ["--sample", "8"], ["--client-id", client]] {
            let refused = try fixture.run(["drill"] + selection + fixture.deepArguments())
            #expect(refused.status == 3, "\(selection) \(refused.stderr)")
            #expect(refused.stderr.contains("wallet row 2 has a curve"), "\(selection) \(refused.stderr)")
        }
    }

    @Test func aHealthyVaultPassesEveryJob() throws {
        let fixture = try Fixture()
        let structural = try fixture.run(["verify", "--json"])
        #expect(structural.status == 0, "\(structural.stderr)")
        #expect(try fixture.json(structural)["checked"] as? Int == 8)
        let deep = try fixture.run(["verify", "--all", "--deep", "--json"] + fixture.deepArguments())
        #expect(deep.status == 0, "\(deep.stderr)")
        #expect(try fixture.json(deep)["passed"] as? Int == 8)
        let drill = try fixture.run(["drill", "--all", "--json"] + fixture.deepArguments())
        #expect(drill.status == 0, "\(drill.stderr)")
        #expect(try fixture.json(drill)["passed"] as? Int == 8)
        let sample = try fixture.run(["drill", "--sample", "3", "--json"] + fixture.deepArguments())
        #expect(try fixture.json(sample)["drilled"] as? Int == 3)
        let list = try fixture.run(["list", "--json"])
        let pairs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(pairs.allSatisfy { $0["lastVerifiedOutcome"] as? String == "passed" && $0["lastDrilledAt"] != nil })
        #expect(try fixture.run(["audit", "--verify"]).status == 0)
    }

    @Test(arguments: ["GDRIVE-SECP256K1", "PASSWORD-ED25519"])
    func recoverMakesTheNextGenerationAndRevokesTheOld(method: String) throws {
        let fixture = try Fixture()
        let out = fixture.scratch.path("out")
        let first = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", method, "--out", out, "--json"] + fixture.deepArguments())
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try (fixture.json(first)["recovery"] as? [String: Any])?["generation"] as? Int == 2)
        for name in ["device-share.json", "custodian-signing-share.json"] {
            let mode = try FileManager.default.attributesOfItem(atPath: out + "/" + name)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        // The new signing pair recombines to the wallet's key; the old generation is revoked.
        let combined = try Sharevault.run([
            "shares", "combine", "--json", out + "/device-share.json", out + "/custodian-signing-share.json",
        ])
        #expect(combined.status == 0)
        let inspect = try fixture.json(try fixture.run(["inspect", "c-1", "--json"]))
        let curve = method.hasSuffix("ED25519") ? "ed25519" : "secp256k1"
        let wallet = try #require((inspect["wallets"] as? [[String: Any]])?.first { $0["curve"] as? String == curve })
        #expect(try fixture.json(combined)["publicKey"] as? String == wallet["publicKey"] as? String)
        let generations = try #require(wallet["signingPairs"] as? [[String: Any]])
        #expect(generations.map { $0["status"] as? String } == ["revoked", "active"])
        // Recovering again writes nothing over the first shares and needs a new folder.
        let again = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", method, "--out", out] + fixture.deepArguments())
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        let third = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", method, "--out", out + "2"] + fixture.deepArguments())
        #expect(third.status == 0)
        let after = try fixture.json(try fixture.run(["inspect", "c-1", "--json"]))
        let walletAfter = try #require(
            (after["wallets"] as? [[String: Any]])?.first { $0["curve"] as? String == curve })
        #expect(
            (walletAfter["signingPairs"] as? [[String: Any]])?.map { $0["status"] as? String } == [
                "revoked", "revoked", "active",
            ])
        // The backup pair stays valid.
        #expect(try fixture.run(["drill", "--client-id", "c-1"] + fixture.deepArguments()).status == 0)
    }

    @Test func recoverCanSealTheSharesToARecipient() throws {
        let fixture = try Fixture()
        let (publicKey, secretKey) = SealedBoxKeys.make()
        try fixture.scratch.write("recipient.pub", Hex.encode(publicKey) + "\n", mode: 0o644)
        let out = fixture.scratch.path("sealed")
        let result = try fixture.run(
            [
                "recover", "--client-id", "c-2", "--method", "GDRIVE-SECP256K1", "--out", out, "--seal-to",
                fixture.scratch.path("recipient.pub"),
            ] + fixture.deepArguments())
        #expect(result.status == 0, "\(result.stderr)")
        let sealed = try String(contentsOfFile: out + "/device-share.sealed", encoding: .utf8)
        #expect(!sealed.contains("sharevault.share"))
        let opened = try SealedBoxKeys.open(sealed, publicKey: publicKey, secretKey: secretKey)
        #expect(opened.contains("\"format\":\"sharevault.share\""))
        let badRecipient = try fixture.scratch.write("bad.pub", "not a key")
        let refused = try fixture.run(
            [
                "recover", "--client-id", "c-2", "--method", "GDRIVE-SECP256K1", "--out", out + "x", "--seal-to",
                badRecipient,
            ] + fixture.deepArguments())
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("X25519 public key"))
    }

    @Test func ejectPrintsTheKeyOnlyWhenAskedAndAuditsIt() throws {
        let fixture = try Fixture()
        let refused = try fixture.run(
            ["eject", "--client-id", "c-1", "--method", "GDRIVE-SECP256K1"] + fixture.deepArguments())
        #expect(refused.status == 2)
        #expect(refused.stdout.isEmpty)
        let before = try fixture.query("SELECT COUNT(*) FROM auditEvent WHERE kind = 'eject'")
        #expect(before == "[(0,)]")
        for (method, curve) in [("GDRIVE-SECP256K1", CurveID.secp256k1), ("PASSWORD-ED25519", CurveID.ed25519)] {
            let result = try fixture.run(
                ["eject", "--client-id", "c-1", "--method", method, "--yes-export-private-key", "--json"]
                    + fixture.deepArguments())
            #expect(result.status == 0, "\(result.stderr)")
            let report = try fixture.json(result)
            let privateKey = try #require(report["privateKey"] as? String)
            let publicKey = try #require(report["publicKey"] as? String)
            switch curve {
            case .secp256k1:
                #expect(
                    Hex.encode(Secp256k1.baseMultiply(try Scalar(decoding: Hex.decode(privateKey))).encoded)
                        == publicKey)
            case .ed25519:
                let bytes = try #require(Base58.decode(privateKey))
                #expect(Hex.encode(Ed25519.baseMultiply(try Scalar(decoding: bytes)).encoded) == publicKey)
            }
            #expect(!result.stderr.contains(privateKey))
        }
        #expect(try fixture.query("SELECT COUNT(*) FROM auditEvent WHERE kind = 'eject'") == "[(2,)]")
        #expect(try fixture.query("SELECT COUNT(*) FROM auditEvent WHERE detail LIKE '%privateKey%'") == "[(0,)]")
    }

    @Test func aWrongKeyStoreOrPasswordIsCaughtAndNamed() throws {
        let fixture = try Fixture()
        let other = try ScratchDirectory()
        try other.write("password", "wrong horse\n")
        try FileManager.default.createDirectory(atPath: other.path("keys"), withIntermediateDirectories: true)
        let deep = try fixture.run(
            ["verify", "--deep", "--json"]
                + fixture.deepArguments(keys: other.path("keys"), password: other.path("password")))
        #expect(deep.status == 1)
        let report = try fixture.json(deep)
        let reasons = try #require(report["failedByReason"] as? [String: Int])
        #expect(reasons["client-key-missing"] == 4)
        #expect(reasons["client-share-undecryptable"] == 4)
        for command in [
            ["drill", "--all"],
            ["recover", "--client-id", "c-1", "--method", "GDRIVE-ED25519", "--out", fixture.scratch.path("o")],
            ["eject", "--client-id", "c-1", "--method", "PASSWORD-SECP256K1", "--yes-export-private-key"],
        ] {
            let result = try fixture.run(
                command + fixture.deepArguments(keys: other.path("keys"), password: other.path("password")))
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: fixture.scratch.path("o")))
        }
        // Nothing was recorded as recovered.
        #expect(try fixture.query("SELECT COUNT(*) FROM signingPair WHERE generation > 1") == "[(0,)]")
    }

    @Test func aMissingVaultKeyIsAnEnvironmentFault() throws {
        let fixture = try Fixture()
        try FileManager.default.removeItem(atPath: fixture.vault + ".key")
        for command in [
            ["verify", "--deep"], ["drill", "--all"],
            ["recover", "--client-id", "c-1", "--method", "GDRIVE-ED25519", "--out", fixture.scratch.path("o")],
        ] {
            let result = try fixture.run(command + fixture.deepArguments())
            #expect(result.status == 3, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("vault key file not found"))
        }
        // Structural verification needs no key at all.
        #expect(try fixture.run(["verify"]).status == 0)
    }

    @Test func tamperedStoredMaterialIsCaughtAndNamed() throws {
        let fixture = try Fixture()
        // Pairs 1 to 4 are c-1's: secp256k1 GDRIVE and PASSWORD, then ed25519 GDRIVE and PASSWORD; one GDRIVE
        // ciphertext serves pairs 1 and 3. A flipped byte in it breaks both. Pair 2: the custodian's public share
        // replaced by another valid point. Pair 4: given c-2's PASSWORD ciphertext (bound to another client).
        let cipher = try fixture.query(
            "SELECT cipherText FROM clientCiphertext WHERE id = (SELECT clientCiphertextId FROM backupPair WHERE id = 1)"
        )
        let text = String(cipher.dropFirst(3).dropLast(4))
        var bytes = [UInt8](try #require(Data(base64Encoded: text)))
        bytes[bytes.count - 20] ^= 0x01
        let otherPoint = Hex.encode(Secp256k1.baseMultiply(.random()).encoded)
        try fixture.sql(
            """
            UPDATE clientCiphertext SET cipherText = '\(Data(bytes).base64EncodedString())'
                WHERE id = (SELECT clientCiphertextId FROM backupPair WHERE id = 1);
            UPDATE custodianShare SET publicShare = X'\(otherPoint)' WHERE pairId = 2;
            UPDATE backupPair SET clientCiphertextId = (SELECT clientCiphertextId FROM backupPair WHERE id = 8)
                WHERE id = 4;
            """)
        let structural = try fixture.json(try fixture.run(["verify", "--json"]))
        let structuralFailures = try #require(structural["failures"] as? [[String: Any]])
        #expect(structuralFailures.map { $0["pairId"] as? Int } == [2])
        #expect((structuralFailures.first?["problems"] as? [String])?.first == "commitments-disagree")
        let deepResult = try fixture.run(["verify", "--deep", "--json"] + fixture.deepArguments())
        #expect(deepResult.status == 1)
        let failures = try #require(try fixture.json(deepResult)["failures"] as? [[String: Any]])
        let byPair = Dictionary(
            uniqueKeysWithValues: failures.map { ($0["pairId"] as! Int, ($0["problems"] as! [String]).first!) })
        #expect(byPair[1] == "client-share-undecryptable")
        #expect(byPair[2] == "commitments-disagree")
        #expect(byPair[3] == "client-share-undecryptable")
        #expect(byPair[4] == "client-share-undecryptable")
        #expect(byPair.count == 4)
        let drill = try fixture.run(["drill", "--client-id", "c-1", "--json"] + fixture.deepArguments())
        #expect(drill.status == 1)
    }

    @Test func aVaultEditedBehindTheToolsBackFailsVerification() throws {
        let fixture = try Fixture()
        try fixture.sql("UPDATE auditEvent SET detail = '{\"curve\":\"ed25519\"}' WHERE id = 3;")
        let audit = try fixture.run(["audit", "--verify"])
        #expect(audit.status == 1)
        #expect(audit.stdout.contains("BROKEN at event 3"))
        let verify = try fixture.run(["verify", "--json"])
        #expect(verify.status == 1)
        #expect(try fixture.json(verify)["auditChainIntact"] as? Bool == false)
    }

    @Test func badSelectionsAreUsageErrors() throws {
        let fixture = try Fixture()
        let cases: [[String]] = [
            ["drill"] + fixture.deepArguments(),
            ["drill", "--all", "--sample", "2"] + fixture.deepArguments(),
            ["drill", "--sample", "0"] + fixture.deepArguments(),
            ["drill", "--all"],
            ["verify", "--deep"],
            ["verify", "--all", "--client-id", "c-1"],
        ]
        for arguments in cases {
            let result = try fixture.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
        let unknown = try fixture.run(["verify", "--client-id", "nobody"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown client nobody"))
        let noPair = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", "ICLOUD", "--out", fixture.scratch.path("o")]
                + fixture.deepArguments())
        #expect(noPair.status == 2)
        let ambiguous = try fixture.run(
            ["recover", "--client-id", "c-1", "--method", "GDRIVE", "--out", fixture.scratch.path("o")]
                + fixture.deepArguments())
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("both curves"))
    }

    /// SIGKILL a recover inside its write transaction (issue 10: a kill at a random moment may land before the
    /// vault is opened and prove nothing): afterwards the vault is as before or fully after, never between, and a
    /// share file carries its name only for a generation the vault recorded.
    @Test func aRecoverKilledMidWriteLeavesTheVaultBeforeOrAfter() throws {
        let fixture = try Fixture()
        var landedBeforeCommit = 0
        var attempts = 0
        while attempts < 24, landedBeforeCommit < 3 {
            attempts += 1
            let out = fixture.scratch.path("out-\(attempts)")
            let before = try fixture.query("SELECT COUNT(*) FROM signingPair")
            // Armed once the last share file is written under its pending name: the next write lock the recover
            // takes is the one that records the generation (opening the vault may write too, earlier).
            let probe = try WriteLockKiller(
                vault: fixture.vault,
                command: [
                    Sharevault.binary.path, "recover", "--vault", fixture.vault, "--client-id", "c-1", "--method",
                    "GDRIVE-SECP256K1", "--out", out,
                ] + fixture.deepArguments(),
                armedBy: (out as NSString).appendingPathComponent("custodian-signing-share.json.pending"))
            let midWrite = probe.killedMidWrite()
            let recorded = try fixture.query("SELECT COUNT(*) FROM signingPair") != before
            let named = ["device-share.json", "custodian-signing-share.json"].map {
                FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent($0))
            }
            let pending = ["device-share.json.pending", "custodian-signing-share.json.pending"].map {
                FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent($0))
            }
            // Killed inside the transaction that records the generation: nothing recorded, the shares pending.
            if midWrite, !recorded {
                #expect(pending.allSatisfy { $0 }, "killed mid-write before the share files were written")
                landedBeforeCommit += 1
            }
            // Named shares only for a recorded generation; a recorded generation's shares exist, named or pending.
            #expect(recorded || !named.contains(true), "share files named for a generation never recorded")
            #expect(
                !recorded || zip(named, pending).allSatisfy { $0 || $1 }, "a recorded generation whose shares are gone")
            let active = try fixture.query(
                "SELECT COUNT(*) FROM signingPair sp JOIN wallet w ON w.id = sp.walletId WHERE sp.status = 'active' GROUP BY w.id HAVING COUNT(*) <> 1"
            )
            #expect(active == "[]", "a wallet with other than one active generation after attempt \(attempts)")
            let audited = try fixture.query("SELECT COUNT(*) FROM auditEvent WHERE kind = 'recover'")
            let generations = try fixture.query("SELECT COUNT(*) FROM signingPair WHERE generation > 1")
            #expect(audited == generations, "a recover recorded without its audit event (or the reverse)")
            #expect(try fixture.query("PRAGMA integrity_check") == "[('ok',)]")
            #expect(try fixture.run(["audit", "--verify"]).status == 0)
        }
        #expect(landedBeforeCommit > 0, "no kill landed inside a recover's write transaction in \(attempts) attempts")
        #expect(try fixture.run(["verify", "--deep"] + fixture.deepArguments()).status == 0)
    }
}

/// X25519 key pairs and sealed-box opening for the recipient's side of `recover --seal-to`.
enum SealedBoxKeys {
    static func make() -> ([UInt8], SecureBytes) {
        let pair = SealedBox.keyPair()
        return (pair.publicKey, pair.secretKey)
    }

    static func open(_ base64: String, publicKey: [UInt8], secretKey: SecureBytes) throws -> String {
        let sealed = [UInt8](Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) ?? Data())
        let opened = try SealedBox.open(sealed, publicKey: publicKey, secretKey: secretKey)
        return opened.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
