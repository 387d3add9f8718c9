import Foundation
import ShareMath
import Testing

/// Portal's real traffic end to end through the CLI (DESIGN sections 2 to 5): a custodian webhook per curve in
/// Portal's flat layout, one client ciphertext (Portal's closed format, stood in for by the fixtures' toy
/// cipher) uploaded once for both curves, the confirmation, the three verification levels, and drills,
/// recoveries and ejects through a decrypt command.
@Suite struct PortalTrafficTests {
    static let secp256k1 = IngestFixtureTests.good[0]
    static let ed25519 = IngestFixtureTests.good[1]

    /// A vault holding `fixture-portal`'s two webhooks, its hex ciphertext and the confirmation.
    static func completedVault(cipher: String = "good/portal.cipher-hex.txt") throws -> TestVault {
        let vault = try TestVault.initialized()
        for fixture in [secp256k1, ed25519] {
            #expect(try vault.run(["ingest", "custodian", fixture.bodyPath]).status == 0)
        }
        let uploaded =
            try vault.json([
                "ingest", "client", "--client-id", "fixture-portal", "--method", "GDRIVE", WebhookFixtures.path(cipher),
            ]) as? [[String: Any]]
        #expect(uploaded?.compactMap { $0["curve"] as? String } == ["ed25519", "secp256k1"])
        #expect(uploaded?.allSatisfy { $0["status"] as? String == "STORED_CLIENT_BACKUP_SHARE_KEY" } == true)
        let confirmed =
            try vault.json(["confirm", "--client-id", "fixture-portal", "--method", "GDRIVE"]) as? [[String: Any]]
        #expect(confirmed?.count == 2)
        #expect(confirmed?.allSatisfy { $0["status"] as? String == "STORED_CLIENT_BACKUP_SHARE" } == true)
        return vault
    }

    @Test(arguments: ["good/portal.cipher-hex.txt", "good/portal.cipher-base64.txt"])
    func oneCiphertextCompletesBothCurvesAndIsStoredByteForByte(cipher: String) throws {
        let vault = try Self.completedVault(cipher: cipher)
        let pairs = try vault.json(["list"]) as? [[String: Any]]
        #expect(pairs?.count == 2)
        #expect(pairs?.allSatisfy { $0["completed"] as? Bool == true } == true)
        let detail = try #require(try vault.json(["inspect", "fixture-portal"]) as? [String: Any])
        let ciphertexts = try #require(detail["clientCiphertexts"] as? [[String: Any]])
        let text = try String(contentsOfFile: WebhookFixtures.path(cipher), encoding: .utf8)
        #expect(ciphertexts.count == 1)
        #expect(ciphertexts.first?["format"] as? String == "opaque")
        #expect(ciphertexts.first?["length"] as? Int == text.utf8.count)
        #expect(ciphertexts.first?["confirmedAt"] is String)
        let backups = (detail["wallets"] as? [[String: Any]] ?? []).flatMap {
            $0["backupPairs"] as? [[String: Any]] ?? []
        }
        #expect(backups.count == 2)
        #expect(backups.allSatisfy { $0["clientCiphertextId"] as? Int == ciphertexts.first?["id"] as? Int })
        #expect(backups.allSatisfy { ($0["backupSharePairId"] as? String)?.isEmpty == false })
        #expect(backups.allSatisfy { ($0["clientPublicShare"] as? String)?.isEmpty == false })
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test func aNewCiphertextReplacesTheOldWhichStaysInHistory() throws {
        let vault = try Self.completedVault()
        let before = try vault.json(["audit"]) as? [Any]
        // The same upload again changes nothing.
        let again = try vault.run([
            "ingest", "client", "--client-id", "fixture-portal", "--method", "GDRIVE",
            WebhookFixtures.path("good/portal.cipher-hex.txt"),
        ])
        #expect(again.status == 0)
        #expect((try vault.json(["audit"]) as? [Any])?.count == before?.count)
        #expect((try vault.json(["list", "--status", "completed"]) as? [Any])?.count == 2)

        let replaced =
            try vault.json([
                "ingest", "client", "--client-id", "fixture-portal", "--method", "GDRIVE",
                WebhookFixtures.path("good/portal.cipher-base64.txt"),
            ]) as? [[String: Any]]
        #expect(replaced?.allSatisfy { $0["status"] as? String == "STORED_CLIENT_BACKUP_SHARE_KEY" } == true)
        let detail = try #require(try vault.json(["inspect", "fixture-portal"]) as? [String: Any])
        let ciphertexts = try #require(detail["clientCiphertexts"] as? [[String: Any]])
        #expect(ciphertexts.count == 2)
        let live = ciphertexts.filter { $0["live"] as? Bool == true }
        let old = ciphertexts.filter { $0["live"] as? Bool == false }
        #expect(live.count == 1 && old.count == 1)
        #expect(old.first?["replacedById"] as? Int == live.first?["id"] as? Int)
        let text = try vault.run(["inspect", "fixture-portal"])
        #expect(text.stdout.contains("replaced"), "\(text.stdout)")
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test func publicAndCustodianVerificationNeedNoUserKey() throws {
        let vault = try Self.completedVault()
        for level in [[], ["--custodian"]] {
            let result = try vault.run(["verify", "--json"] + level)
            #expect(result.status == 0, "\(level): \(result.stdout) \(result.stderr)")
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(summary["checked"] as? Int == 2)
            #expect(summary["passed"] as? Int == 2)
            #expect(summary["levelsRun"] as? [String] == (level.isEmpty ? ["public"] : ["public", "custodian"]))
        }
    }

    @Test func deepVerificationDrillRecoverAndEjectWorkThroughADecryptCommand() throws {
        let vault = try Self.completedVault()
        let decrypt = PortalFixtures.decryptArguments()
        let deep = try vault.run(["verify", "--deep", "--json"] + decrypt)
        #expect(deep.status == 0, "\(deep.stdout) \(deep.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(deep.stdout.utf8)) as? [String: Any])
        #expect(summary["passed"] as? Int == 2)
        #expect(summary["levelsRun"] as? [String] == ["public", "custodian", "deep"])

        let drill = try vault.run(["drill", "--client-id", "fixture-portal", "--json"] + decrypt)
        #expect(drill.status == 0, "\(drill.stderr)")

        for fixture in [Self.secp256k1, Self.ed25519] {
            let method = "GDRIVE-\(fixture.curve.rawValue.uppercased())"
            let ejected = try vault.run(
                ["eject", "--client-id", "fixture-portal", "--method", method, "--yes-export-private-key", "--json"]
                    + decrypt)
            #expect(ejected.status == 0, "\(ejected.stderr)")
            let key = try #require(
                (try JSONSerialization.jsonObject(with: Data(ejected.stdout.utf8)) as? [String: Any])?["privateKey"]
                    as? String)
            // The exported key times G is the wallet's public key.
            #expect(try PortalFixtures.publicKey(ofExported: key, curve: fixture.curve) == fixture.publicKey)

            let out = vault.scratch.path("recovered-\(fixture.curve.rawValue)")
            let recovered = try vault.run(
                ["recover", "--client-id", "fixture-portal", "--method", method, "--out", out, "--json"] + decrypt)
            #expect(recovered.status == 0, "\(recovered.stderr)")
            let combined = try vault.run(
                ["shares", "combine", out + "/device-share.json", out + "/custodian-signing-share.json", "--json"],
                vault: false)
            #expect(combined.stdout.contains(fixture.publicKey), "\(combined.stdout)")
        }
    }

    /// Client halves with one thing wrong each (fixtures/webhooks/bad-client): deep verification names the
    /// problem for the secp256k1 pair and passes the ed25519 one, which the same plaintext carries intact.
    @Test(arguments: [
        ("rank-1", "client-share-unparseable"), ("partial-pubkey-mismatch", "client-share-mismatch"),
        ("wrong-wallet", "client-share-wrong-wallet"), ("bks-mismatch", "client-share-mismatch"),
    ])
    func aFaultyClientHalfIsNamedByDeepVerification(name: String, problem: String) throws {
        let vault = try Self.completedVault(cipher: "bad-client/\(name).cipher-hex.txt")
        let result = try vault.run(["verify", "--deep", "--json"] + PortalFixtures.decryptArguments())
        #expect(result.status == 1, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let failures = try #require(summary["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["curve"] as? String == "secp256k1")
        #expect(failures.first?["problems"] as? [String] == [problem])
        let levels = failures.first?["levels"] as? [String: [String]]
        #expect(levels == ["public": [], "custodian": [], "deep": [problem]])
        #expect(summary["passed"] as? Int == 1)
    }

    /// A decrypt command that fails, hangs, floods or prints nothing fails its pairs only, with
    /// `client-decrypt-failed`, and what it printed on standard error is never shown.
    @Test func aFailingDecryptCommandFailsThePairOnly() throws {
        let vault = try Self.completedVault()
        let flood = try vault.scratch.write("flood.sh", "#!/bin/sh\nhead -c 70000 /dev/zero | tr '\\\\0' 'a'\n")
        let commands = [
            "sh -c 'echo the-secret-on-stderr >&2; exit 4'", "sleep 30", "sh \(flood)", "true",
            "/nonexistent/decrypt",
        ]
        for command in commands {
            let result = try vault.run([
                "verify", "--deep", "--json", "--client-decrypt-command", command, "--client-decrypt-timeout", "1",
            ])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(!result.stdout.contains("the-secret-on-stderr") && !result.stderr.contains("the-secret-on-stderr"))
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(command)")
            #expect(summary["failedByReason"] as? [String: Int] == ["client-decrypt-failed": 2], "\(command)")
        }
        let unclosed = try vault.run(["verify", "--deep", "--client-decrypt-command", "python3 'unclosed"])
        #expect(unclosed.status == 2)
        #expect(unclosed.stderr.contains("unclosed quote"), "\(unclosed.stderr)")
    }

    /// The decrypt program is the provider's code: it gets no SHAREVAULT_ variable (the vault key's passphrase,
    /// the backup password) from sharevault's environment.
    @Test func theDecryptCommandGetsNoSharevaultVariables() throws {
        let vault = try Self.completedVault()
        let seen = vault.scratch.path("environment.txt")
        let key = WebhookFixtures.path("good/portal.client-key.hex")
        let result = try vault.run(
            [
                "verify", "--deep", "--client-id", "fixture-portal", "--client-decrypt-command",
                "sh -c 'env > \(seen); exec python3 \(PortalFixtures.toyCipher) decrypt \(key)'",
            ],
            environment: ["SHAREVAULT_BACKUP_PASSWORD": "a password for no program", "SHAREVAULT_LOG_LEVEL": "trace"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let environment = try String(contentsOfFile: seen, encoding: .utf8)
        #expect(environment.contains("PATH="))
        #expect(!environment.contains("SHAREVAULT_"), "\(environment)")
    }

    @Test func aWebhookWithNoMethodIsStoredAsUnknown() throws {
        let vault = try TestVault.initialized()
        let fixture = try #require(IngestFixtureTests.good.first { $0.name == "portal-no-method" })
        #expect(try vault.run(["ingest", "custodian", fixture.bodyPath]).status == 0)
        let pairs = try vault.json(["list"]) as? [[String: Any]]
        #expect(pairs?.first?["method"] as? String == "UNKNOWN")
    }

    @Test func createWritesPortalsLayoutsThatEveryLevelAccepts() throws {
        let vault = try TestVault.initialized()
        let keys = vault.scratch.path("keys")
        let created = try vault.run([
            "create", "--client-id", "p", "--count", "2", "--curve", "all", "--method", "GDRIVE", "--layout", "portal",
            "--key-store", keys,
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let detail = try #require(try vault.json(["inspect", "p-1"]) as? [String: Any])
        let backups = (detail["wallets"] as? [[String: Any]] ?? []).flatMap {
            $0["backupPairs"] as? [[String: Any]] ?? []
        }
        #expect(backups.count == 2)
        #expect(backups.allSatisfy { $0["layout"] as? String == "portal-custodian" })
        #expect((detail["clientCiphertexts"] as? [Any])?.count == 1)
        // One key file per client and method, serving both curves.
        #expect(try FileManager.default.contentsOfDirectory(atPath: keys).count == 2)
        for level in [[], ["--custodian"], ["--deep", "--key-store", keys]] {
            let result = try vault.run(["verify"] + level)
            #expect(result.status == 0, "\(level): \(result.stdout) \(result.stderr)")
        }
        #expect(try vault.run(["drill", "--all", "--key-store", keys]).status == 0)
        // The custodian halves are Portal's flat layout, every documented field present: fetched back as sent.
        let repeated = try vault.run([
            "create", "--client-id", "p", "--count", "2", "--method", "GDRIVE", "--layout", "portal", "--key-store",
            keys,
        ])
        #expect(repeated.status == 2)
    }
}

/// The fixtures' toy cipher (fixtures/portal/toy-cipher.py) as a decrypt command, and checks on exported keys.
enum PortalFixtures {
    static let toyCipher = Sharevault.packageRoot.appendingPathComponent("fixtures/portal/toy-cipher.py").path

    static func decryptArguments() -> [String] {
        [
            "--client-decrypt-command",
            "python3 \(toyCipher) decrypt \(WebhookFixtures.path("good/portal.client-key.hex"))",
        ]
    }

    /// The public key of an ejected private key (secp256k1: hex; ed25519: base58 of the little-endian scalar).
    static func publicKey(ofExported key: String, curve: CurveID) throws -> String {
        switch curve {
        case .secp256k1:
            return Hex.encode(Secp256k1.baseMultiply(try Scalar(decoding: Hex.decode(key))).encoded)
        case .ed25519:
            return Hex.encode(Ed25519.baseMultiply(try Scalar(decoding: base58Decode(key))).encoded)
        }
    }

    /// Bitcoin's base58 alphabet, decoded to 32 bytes (independent of the product's encoder).
    static func base58Decode(_ text: String) throws -> [UInt8] {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        var bytes = [UInt8](repeating: 0, count: 32)
        for character in text {
            var carry = try #require(alphabet.firstIndex(of: character))
            for index in stride(from: 31, through: 0, by: -1) {
                carry += 58 * Int(bytes[index])
                bytes[index] = UInt8(carry & 0xff)
                carry >>= 8
            }
            #expect(carry == 0)
        }
        return bytes
    }
}
