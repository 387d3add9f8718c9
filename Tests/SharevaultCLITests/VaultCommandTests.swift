import Foundation
import ShareMath
import ShareVault
import Testing

/// The vault commands run as an operator would: `init`, `create`, `ingest client`, `confirm`, `list`,
/// `inspect`, `audit`, with the environment faults (exit 3) and bad inputs (exit 2) around them.
@Suite struct VaultCommandTests {
    static let portal = IngestFixtureTests.good[0]  // fixture-portal (secp256k1), GDRIVE
    static let native = IngestFixtureTests.good.first { $0.name == "native-ed25519" }!  // ICLOUD

    // MARK: init

    @Test func initMakesAPrivateVaultAndKeyFile() throws {
        let vault = try TestVault()
        let result = try vault.run(["init", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String]
        #expect(report?["vault"] == vault.path)
        #expect(report?["vaultKey"] == vault.keyPath)
        for path in [vault.path, vault.keyPath] + Self.sqliteSideFiles(of: vault.path) {
            #expect(try Self.mode(path) == 0o600, "\(path)")
        }
        let key = try String(contentsOfFile: vault.keyPath, encoding: .utf8)
        #expect(key.hasPrefix("sharevault vault key v1\nkey "))
        #expect(try vault.run(["audit", "--verify"]).status == 0)
        let events = try vault.json(["audit"]) as? [[String: Any]]
        #expect(events?.map { $0["kind"] as? String } == ["init"])
    }

    @Test func initNeverOverwritesAVaultOrAKey() throws {
        let vault = try TestVault.initialized()
        #expect(try vault.run(["ingest", "custodian", Self.portal.bodyPath]).status == 0)
        let vaultBytes = try Data(contentsOf: URL(fileURLWithPath: vault.path))
        let keyBytes = try Data(contentsOf: URL(fileURLWithPath: vault.keyPath))
        let again = try vault.run(["init"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(again.stdout.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.path)) == vaultBytes)
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.keyPath)) == keyBytes)

        // A new vault next to an existing key file: refused, and no vault is left behind.
        let other = vault.scratch.path("other.db")
        let result = try Sharevault.run(
            ["init", "--vault", other, "--vault-key", vault.keyPath], environment: TestVault.quietEnvironment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("already exists"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other))
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.keyPath)) == keyBytes)
        #expect(try vault.run(["ingest", "custodian", Self.portal.bodyPath]).status == 0)
    }

    @Test func aPassphraseWrapsTheVaultKey() throws {
        let scratch = try ScratchDirectory()
        let passphrase = "correct horse battery staple"
        let passphraseFile = try scratch.write("passphrase", passphrase + "\n")
        let wrongFile = try scratch.write("wrong", "incorrect horse\n")
        let vault = try TestVault.initialized(["--passphrase-file", passphraseFile])
        let key = try String(contentsOfFile: vault.keyPath, encoding: .utf8)
        #expect(key.contains("\nargon2id "))
        #expect(key.contains("\nsealed "))
        #expect(!key.contains("\nkey "))
        #expect(!key.contains(passphrase))
        #expect(try Self.mode(vault.keyPath) == 0o600)
        let before = try vault.snapshot()  // list and audit need no key

        let ingest = ["ingest", "custodian", Self.portal.bodyPath]
        let without = try vault.run(ingest)
        #expect(without.status == 3)
        #expect(without.stderr.contains("wrapped"), "\(without.stderr)")
        let wrong = try vault.run(ingest + ["--passphrase-file", wrongFile])
        #expect(wrong.status == 3)
        #expect(wrong.stderr.contains("wrong passphrase"), "\(wrong.stderr)")
        let open = try scratch.write("open-passphrase", passphrase, mode: 0o644)
        let tooOpen = try vault.run(ingest + ["--passphrase-file", open])
        #expect(tooOpen.status == 3)
        #expect(tooOpen.stderr.contains("too open"), "\(tooOpen.stderr)")
        let create = [
            "create", "--client-id", "p", "--curve", "ed25519", "--method", "GDRIVE", "--key-store",
            vault.scratch.path("ks"),
        ]
        #expect(try vault.run(create).status == 3)
        #expect(try vault.snapshot() == before)
        for result in [without, wrong, tooOpen] { #expect(!result.stderr.contains(passphrase)) }

        let fromEnvironment = try vault.run(ingest, environment: ["SHAREVAULT_PASSPHRASE": passphrase])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        let fromFile = try vault.run(create + ["--passphrase-file", passphraseFile])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect((try vault.json(["list"]) as? [Any])?.count == 2)
    }

    // MARK: Environment faults

    @Test func aMissingVaultIsAnEnvironmentFault() throws {
        let vault = try TestVault()
        let cipherText = try vault.scratch.write("ct.txt", Self.cipherText())
        let commands: [[String]] = [
            ["list"], ["list", "--json"], ["inspect", "a"], ["audit"], ["audit", "--verify"],
            ["ingest", "custodian", Self.portal.bodyPath],
            ["ingest", "client", "--client-id", "a", "--method", "GDRIVE", cipherText],
            ["confirm", "--client-id", "a", "--method", "GDRIVE"],
            ["create", "--client-id", "a", "--method", "GDRIVE", "--key-store", vault.scratch.path("ks")],
        ]
        for command in commands {
            let result = try vault.run(command)
            #expect(result.status == 3, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("no vault here"), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command)")
            #expect(!FileManager.default.fileExists(atPath: vault.path), "\(command) made a vault")
            #expect(!FileManager.default.fileExists(atPath: vault.keyPath), "\(command) made a key")
        }
    }

    @Test func aMissingKeyFileIsAnEnvironmentFault() throws {
        let vault = try TestVault.initialized()
        let before = try vault.snapshot()
        try FileManager.default.moveItem(atPath: vault.keyPath, toPath: vault.scratch.path("elsewhere.key"))
        let ingest = try vault.run(["ingest", "custodian", Self.portal.bodyPath])
        #expect(ingest.status == 3)
        #expect(ingest.stderr.contains("vault key file not found"), "\(ingest.stderr)")
        let create = try vault.run(
            [
                "create", "--client-id", "a", "--curve", "secp256k1", "--method", "GDRIVE", "--key-store",
                vault.scratch.path("ks"),
            ])
        #expect(create.status == 3)
        #expect(create.stderr.contains("vault key file not found"), "\(create.stderr)")
        // Public material needs no key; checking the audit chain's MACs does.
        #expect(try vault.snapshot() == before)
        #expect(try vault.run(["audit"]).status == 0)
        let audit = try vault.run(["audit", "--verify"])
        #expect(audit.status == 3)
        #expect(audit.stderr.contains("vault key file not found"), "\(audit.stderr)")
        // The key somewhere else, named with --vault-key.
        let named = try vault.run([
            "ingest", "custodian", Self.portal.bodyPath, "--vault-key", vault.scratch.path("elsewhere.key"),
        ])
        #expect(named.status == 0, "\(named.stderr)")
    }

    @Test func aKeyFileOfAnotherVaultIsRefused() throws {
        let vault = try TestVault.initialized()
        let other = try TestVault.initialized()
        let before = try vault.snapshot()
        for command in [
            ["ingest", "custodian", Self.portal.bodyPath],
            [
                "create", "--client-id", "a", "--curve", "secp256k1", "--method", "GDRIVE", "--key-store",
                vault.scratch.path("ks"),
            ],
        ] {
            let result = try vault.run(command + ["--vault-key", other.keyPath])
            #expect(result.status == 3, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("does not belong"), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(try vault.snapshot() == before)
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let vault = try TestVault.initialized()
        let before = try vault.snapshot()
        for mode in [0o644, 0o640, 0o604] {
            try vault.chmod(vault.keyPath, mode)
            let result = try vault.run(["ingest", "custodian", Self.portal.bodyPath])
            #expect(result.status == 3, "\(String(mode, radix: 8)): \(result.stderr)")
            #expect(result.stderr.contains("too open"), "\(result.stderr)")
            let create = try vault.run(
                [
                    "create", "--client-id", "a", "--curve", "secp256k1", "--method", "GDRIVE", "--key-store",
                    vault.scratch.path("ks"),
                ])
            #expect(create.status == 3, "\(create.stderr)")
        }
        #expect(try vault.snapshot() == before)
    }

    // MARK: create

    @Test func createMakesCompletedWalletsOnBothCurves() throws {
        let vault = try TestVault.initialized()
        let keyStore = vault.scratch.path("ks")
        let created =
            try vault.json(
                [
                    "create", "--client-id", "c", "--count", "3", "--curve", "all", "--method", "GDRIVE", "--method",
                    "ICLOUD",
                    "--key-store", keyStore,
                ]) as? [String: Any]
        let wallets = try #require(created?["created"] as? [[String: Any]])
        #expect(wallets.count == 6)
        #expect(Set(wallets.compactMap { $0["clientId"] as? String }) == ["c-1", "c-2", "c-3"])

        let pairs = try #require(try vault.json(["list"]) as? [[String: Any]])
        #expect(pairs.count == 12)
        #expect(
            pairs.allSatisfy {
                $0["status"] as? String == "STORED_CLIENT_BACKUP_SHARE" && $0["completed"] as? Bool == true
            })
        #expect(Set(pairs.compactMap { $0["method"] as? String }) == ["GDRIVE", "ICLOUD"])
        #expect((try vault.json(["list", "--status", "completed"]) as? [Any])?.count == 12)
        #expect((try vault.json(["list", "--status", "incomplete"]) as? [Any])?.count == 0)
        #expect(try vault.run(["list"]).stdout.contains("12 live pair(s), 12 completed, 0 incomplete"))

        // One key per client and method: its ciphertext serves both curves.
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: keyStore)
        #expect(keyFiles.count == 6)
        #expect(try Self.mode(keyStore) == 0o700)
        for name in keyFiles {
            let path = (keyStore as NSString).appendingPathComponent(name)
            #expect(try Self.mode(path) == 0o600, "\(name)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 32, "\(name)")
        }

        for wallet in wallets {
            let address = try #require(wallet["address"] as? String)
            let publicKey = try #require(wallet["publicKey"] as? String)
            try Self.expectAddress(address, publicKey: publicKey, curve: wallet["curve"] as? String)
        }
        let detail = try #require(try vault.json(["inspect", "c-2"]) as? [String: Any])
        let shown = try #require(detail["wallets"] as? [[String: Any]])
        #expect(shown.compactMap { $0["curve"] as? String }.sorted() == ["ed25519", "secp256k1"])
        for wallet in shown {
            let address = try #require(wallet["address"] as? String)
            try Self.expectAddress(
                address, publicKey: try #require(wallet["publicKey"] as? String), curve: wallet["curve"] as? String)
            let signing = wallet["signingPairs"] as? [[String: Any]]
            #expect(signing?.count == 1)
            #expect(signing?.first?["generation"] as? Int == 1)
            #expect(signing?.first?["status"] as? String == "active")
            let backups = try #require(wallet["backupPairs"] as? [[String: Any]])
            #expect(backups.count == 2)
            for backup in backups {
                #expect(backup["hasClientBackup"] as? Bool == true)
                #expect(backup["layout"] as? String == "native")
            }
        }
        let ciphertexts = try #require(detail["clientCiphertexts"] as? [[String: Any]])
        #expect(ciphertexts.compactMap { $0["method"] as? String }.sorted() == ["GDRIVE", "ICLOUD"])
        #expect(ciphertexts.allSatisfy { $0["keySource"] as? String == "key-store" && $0["live"] as? Bool == true })
        // Each method's ciphertext is the one both curves' pairs point at.
        for ciphertext in ciphertexts {
            let pairs = shown.flatMap { $0["backupPairs"] as? [[String: Any]] ?? [] }.filter {
                $0["clientCiphertextId"] as? Int == ciphertext["id"] as? Int
            }
            #expect(pairs.count == 2)
        }
        let text = try vault.run(["inspect", "c-2"])
        for wallet in shown { #expect(text.stdout.contains(wallet["address"] as? String ?? "?")) }

        let audit = try vault.run(["audit", "--verify", "--json"])
        #expect(audit.status == 0)
        let verification = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any]
        #expect(verification?["intact"] as? Bool == true)
        #expect(verification?["events"] as? Int == 13)
    }

    @Test func aRefusedCreateLeavesTheExistingBackupKeysAlone() throws {
        let vault = try TestVault.initialized()
        let keyStore = vault.scratch.path("ks")
        let create = [
            "create", "--client-id", "a", "--curve", "secp256k1", "--method", "GDRIVE", "--key-store", keyStore,
        ]
        #expect(try vault.run(create).status == 0)
        let keysBefore = try Self.contents(ofDirectory: keyStore)
        let before = try vault.snapshot()
        // The client already has a secp256k1 wallet: a second create for it must be refused, and must not
        // replace the key that opens the stored client backup.
        let again = try vault.run(create)
        #expect(again.status == 2, "\(again.stderr)")
        #expect(again.stderr.contains("already has a secp256k1 wallet"), "\(again.stderr)")
        #expect(try vault.snapshot() == before)
        #expect(
            try Self.contents(ofDirectory: keyStore) == keysBefore, "a refused create replaced the client's backup key")
    }

    @Test func thePasswordMethodNeedsAPassword() throws {
        let vault = try TestVault.initialized()
        let before = try vault.snapshot()
        let create = ["create", "--client-id", "pw", "--curve", "secp256k1", "--method", "PASSWORD"]
        let without = try vault.run(create)
        #expect(without.status == 2, "\(without.stderr)")  // a missing option is bad usage, as a missing --key-store is
        #expect(without.stderr.contains("PASSWORD"), "\(without.stderr)")
        #expect(without.stderr.contains("--password-file"), "\(without.stderr)")
        let missingFile = try vault.run(create + ["--password-file", vault.scratch.path("absent")])
        #expect(missingFile.status == 3)
        let mixed = try vault.run(create + ["--method", "GDRIVE", "--password-file", vault.scratch.path("absent")])
        #expect(mixed.status == 2, "\(mixed.stderr)")
        #expect(mixed.stderr.contains("--key-store"), "\(mixed.stderr)")
        #expect(try vault.snapshot() == before)

        let password = try vault.scratch.write("password", "hunter2 but longer\n")
        let with = try vault.run(create + ["--password-file", password])
        #expect(with.status == 0, "\(with.stderr)")
        let detail = try #require(try vault.json(["inspect", "pw"]) as? [String: Any])
        let backup = ((detail["wallets"] as? [[String: Any]])?.first?["backupPairs"] as? [[String: Any]])?.first
        #expect((detail["clientCiphertexts"] as? [[String: Any]])?.first?["keySource"] as? String == "password")
        #expect((backup?["summary"] as? [String: Any])?["method"] as? String == "PASSWORD")
        #expect(!with.stdout.contains("hunter2") && !with.stderr.contains("hunter2"))
    }

    // MARK: ingest client, confirm, list

    @Test func aPairWalksFromCustodianShareToCompleted() throws {
        let vault = try TestVault.initialized()
        func status(_ clientId: String) throws -> String? {
            let pairs = try vault.json(["list"]) as? [[String: Any]]
            return pairs?.first { $0["clientId"] as? String == clientId }?["status"] as? String
        }
        func count(_ filter: String) throws -> Int? { (try vault.json(["list", "--status", filter]) as? [Any])?.count }

        #expect(try vault.run(["ingest", "custodian", Self.portal.bodyPath]).status == 0)
        #expect(try vault.run(["ingest", "custodian", Self.native.bodyPath]).status == 0)
        #expect(try status(Self.portal.clientId) == "STORED_CUSTODIAN_BACKUP_SHARE")
        #expect(try count("incomplete") == 2)
        #expect(try count("completed") == 0)

        let early = try vault.run(["confirm", "--client-id", Self.portal.clientId, "--method", "GDRIVE"])
        #expect(early.status == 2)
        #expect(early.stderr.contains("no client backup share has been stored yet"), "\(early.stderr)")

        let cipherText = try vault.scratch.write("ct.txt", Self.cipherText() + "\n")
        let stored =
            (try vault.json(["ingest", "client", "--client-id", Self.portal.clientId, "--method", "GDRIVE", cipherText])
            as? [[String: Any]])?.first
        #expect(stored?["status"] as? String == "STORED_CLIENT_BACKUP_SHARE_KEY")
        #expect(stored?["completed"] as? Bool == false)
        #expect(try status(Self.portal.clientId) == "STORED_CLIENT_BACKUP_SHARE_KEY")
        #expect(try count("incomplete") == 2)
        let detail = try vault.json(["inspect", Self.portal.clientId]) as? [String: Any]
        let backup = ((detail?["wallets"] as? [[String: Any]])?.first?["backupPairs"] as? [[String: Any]])?.first
        #expect(backup?["hasClientBackup"] as? Bool == true)
        let ciphertexts = detail?["clientCiphertexts"] as? [[String: Any]]
        #expect(ciphertexts?.count == 1)
        #expect(backup?["clientCiphertextId"] as? Int == ciphertexts?.first?["id"] as? Int)
        #expect(ciphertexts?.first?["format"] as? String == "sharevault")
        #expect(ciphertexts?.first?["keySource"] as? String == "key-store")

        let confirmed =
            (try vault.json(["confirm", "--client-id", Self.portal.clientId, "--method", "GDRIVE-SECP256K1"])
            as? [[String: Any]])?.first
        #expect(confirmed?["status"] as? String == "STORED_CLIENT_BACKUP_SHARE")
        #expect(confirmed?["completed"] as? Bool == true)
        #expect(try status(Self.portal.clientId) == "STORED_CLIENT_BACKUP_SHARE")
        #expect(try count("completed") == 1)
        #expect(try count("incomplete") == 1)
        let completedOnly = try vault.json(["list", "--status", "completed"]) as? [[String: Any]]
        #expect(completedOnly?.first?["clientId"] as? String == Self.portal.clientId)

        // The app's upload form {"cipherText": ...} on standard input, the curve suffix in another case.
        let upload = try JSONSerialization.data(withJSONObject: ["cipherText": Self.cipherText()])
        let viaStdin = try vault.run(
            ["ingest", "client", "--client-id", Self.native.clientId, "--method", "ICLOUD-ed25519", "-"], stdin: upload)
        #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
        #expect(viaStdin.stdout.contains("STORED_CLIENT_BACKUP_SHARE_KEY"))
        let text = try vault.run(["confirm", "--client-id", Self.native.clientId, "--method", "ICLOUD"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("STORED_CLIENT_BACKUP_SHARE"))
        #expect(try count("completed") == 2)
        #expect(try count("incomplete") == 0)

        let kinds = (try vault.json(["audit"]) as? [[String: Any]])?.compactMap { $0["kind"] as? String }
        #expect(
            kinds == [
                "init", "ingest-custodian", "ingest-custodian", "ingest-client", "confirm", "ingest-client", "confirm",
            ])
        let verify = try vault.run(["audit", "--verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("audit chain intact: 7 events"), "\(verify.stdout)")
    }

    @Test func clientBackupsForUnknownClientsOrMethodsAreRefused() throws {
        let vault = try TemplateVault.shared.get().copy()
        let before = try vault.snapshot()
        let cipherText = try vault.scratch.write("ct.txt", Self.cipherText())
        let cases: [([String], String)] = [
            (["ingest", "client", "--client-id", "nobody", "--method", "GDRIVE", cipherText], "unknown client nobody"),
            (
                ["ingest", "client", "--client-id", Self.portal.clientId, "--method", "ICLOUD", cipherText],
                "no live backup pair"
            ),
            (
                ["ingest", "client", "--client-id", Self.portal.clientId, "--method", "GDRIVE-ED25519", cipherText],
                "no live backup pair"
            ),
            (
                [
                    "ingest", "client", "--client-id", Self.portal.clientId, "--method",
                    String(repeating: "M", count: 65), cipherText,
                ],
                "invalid backup method"
            ),
            (["ingest", "client", "--client-id", "has space", "--method", "GDRIVE", cipherText], "invalid client id"),
            (["confirm", "--client-id", "nobody", "--method", "GDRIVE"], "unknown client nobody"),
            (["confirm", "--client-id", Self.portal.clientId, "--method", "ICLOUD"], "no live backup pair"),
            (["inspect", "nobody"], "unknown client nobody"),
        ]
        for (command, message) in cases {
            let result = try vault.run(command)
            #expect(result.status == 2, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command)")
        }
        #expect(try vault.snapshot() == before)
    }

    @Test func thePasswordMethodNeedsAPasswordCiphertext() throws {
        let vault = try TemplateVault.shared.get().copy()
        var body = try WebhookFixtures.object(at: Self.portal.bodyPath)
        body["clientId"] = "pw-client"
        body["backupMethod"] = "PASSWORD-SECP256K1"
        let bodyPath = vault.scratch.path("password-body.json")
        try JSONSerialization.data(withJSONObject: body).write(to: URL(fileURLWithPath: bodyPath))
        #expect(try vault.run(["ingest", "custodian", bodyPath]).status == 0)
        let before = try vault.snapshot()
        let storedKey = try vault.scratch.write("ct.txt", Self.cipherText())
        let refused = try vault.run(["ingest", "client", "--client-id", "pw-client", "--method", "PASSWORD", storedKey])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("PASSWORD"), "\(refused.stderr)")
        #expect(try vault.snapshot() == before)
    }

    /// Ciphertexts `ingest client` must refuse, with the words its message must contain: empty, not printable
    /// ASCII, too large, or claiming sharevault's own format (base64 of "SVCB") without being it.
    static let badCipherTexts: [(name: String, text: String, words: [String])] = [
        ("not-printable", "0351cf2baa\u{7}54748662", ["cipherText", "not printable ASCII"]),
        ("not-ascii", "0351cf2baa54748662é", ["cipherText", "not printable ASCII"]),
        ("version-3", cipherText(version: 3), ["unsupported format version 3"]),
        ("unknown-key-source", cipherText(keySource: 9), ["unknown key source 9"]),
        ("truncated", cipherText(sealedLength: 40), ["truncated"]),
        ("header-only", Data(Array("SVCB".utf8) + [1, 0]).base64EncodedString(), ["truncated"]),
        ("password-header-truncated", cipherText(keySource: 1, sealedLength: 20), ["truncated header"]),
        ("empty", "", ["empty"]),
        ("json-without-cipher-text", "{\"backupMethod\": \"GDRIVE\"}", ["missing field \"cipherText\""]),
        ("too-large", cipherText(sealedLength: 60 * 1024), ["larger than"]),
    ]

    @Test(arguments: badCipherTexts.indices)
    func aBadCiphertextIsRefusedAndChangesNothing(index: Int) throws {
        let item = Self.badCipherTexts[index]
        let template = try TemplateVault.shared.get()
        let vault = try template.copy()
        let path = try vault.scratch.write("\(item.name).txt", item.text)
        let result = try vault.run([
            "ingest", "client", "--client-id", Self.portal.clientId, "--method", "GDRIVE", path,
        ])
        #expect(result.status == 2, "\(item.name): \(result.status) \(result.stderr)")
        for word in item.words { #expect(result.stderr.contains(word), "\(item.name): \(result.stderr)") }
        #expect(
            result.stderr.contains("\(item.name).txt"), "\(item.name): the message must name the file: \(result.stderr)"
        )
        #expect(result.stdout.isEmpty)
        #expect(try vault.snapshot() == template.snapshot, "\(item.name) changed the vault")
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    // MARK: audit --verify against edits behind the tool's back

    /// Edits to the audit log made with python3's sqlite3, and the event `audit --verify` must name.
    static let tampering: [(name: String, sql: String, event: Int)] = [
        ("edited detail", "UPDATE auditEvent SET detail = replace(detail, 'GDRIVE', 'ICLOUD') WHERE id = 2", 2),
        ("edited time", "UPDATE auditEvent SET at = '2020-01-01T00:00:00.000Z' WHERE id = 3", 3),
        ("edited kind", "UPDATE auditEvent SET kind = 'init' WHERE id = 2", 2),
        ("last event deleted", "DELETE FROM auditEvent WHERE id = (SELECT MAX(id) FROM auditEvent)", 5),
        ("middle event deleted", "DELETE FROM auditEvent WHERE id = 3", 3),
        (
            "events swapped",
            "UPDATE auditEvent SET id = -2 WHERE id = 2; UPDATE auditEvent SET id = 2 WHERE id = 3; UPDATE auditEvent SET id = 3 WHERE id = -2",
            2
        ),
    ]

    @Test(arguments: tampering.indices)
    func auditVerifyFindsEditsBehindTheToolsBack(index: Int) throws {
        let item = Self.tampering[index]
        let vault = try TestVault.initialized()
        #expect(try vault.run(["ingest", "custodian", Self.portal.bodyPath]).status == 0)
        #expect(try vault.run(["ingest", "custodian", Self.native.bodyPath]).status == 0)
        let cipherText = try vault.scratch.write("ct.txt", Self.cipherText())
        #expect(
            try vault.run(["ingest", "client", "--client-id", Self.portal.clientId, "--method", "GDRIVE", cipherText])
                .status == 0)
        #expect(try vault.run(["confirm", "--client-id", Self.portal.clientId, "--method", "GDRIVE"]).status == 0)
        let intact = try vault.run(["audit", "--verify"])
        #expect(intact.status == 0)
        #expect(intact.stdout.contains("audit chain intact: 5 events"), "\(intact.stdout)")

        let edit = try Python.run(["-c", Self.sqliteScript, vault.path, item.sql])
        #expect(edit.status == 0, "\(edit.stderr)")
        let broken = try vault.run(["audit", "--verify"])
        #expect(broken.status == 1, "\(item.name): \(broken.stdout) \(broken.stderr)")
        #expect(broken.stdout.contains("BROKEN at event \(item.event)"), "\(item.name): \(broken.stdout)")
        let report = try vault.run(["audit", "--verify", "--json"])
        #expect(report.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        #expect(json?["intact"] as? Bool == false)
        #expect(json?["firstBadEvent"] as? Int == item.event, "\(item.name): \(report.stdout)")
        #expect((json?["reason"] as? String)?.isEmpty == false)
    }

    static let sqliteScript = """
        import sqlite3, sys
        connection = sqlite3.connect(sys.argv[1])
        connection.executescript(sys.argv[2])
        connection.commit()
        connection.close()
        """

    // MARK: Helpers

    /// A client backup ciphertext with a well-formed header and random bytes where the sealed share goes:
    /// `ingest client` reads only the header, which needs no key.
    static func cipherText(version: UInt8 = 1, keySource: UInt8 = 0, sealedLength: Int = 24 + 96 + 16) -> String {
        var bytes = Array("SVCB".utf8) + [version, keySource]
        bytes += (0..<sealedLength).map { _ in UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString()
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    /// SQLite's `-wal` and `-shm` files for a vault, where they exist.
    static func sqliteSideFiles(of path: String) -> [String] {
        [path + "-wal", path + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    static func contents(ofDirectory path: String) throws -> [String: Data] {
        var contents: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            contents[name] = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(name)))
        }
        return contents
    }

    /// secp256k1: an EIP-55 address derived here from the public key (Keccak-256 of X || Y, last 20 bytes,
    /// mixed-case checksum); ed25519: the Base58 of the 32-byte public key.
    static func expectAddress(_ address: String, publicKey: String, curve: String?) throws {
        switch curve {
        case "secp256k1":
            let point = try Point<Secp256k1>(decoding: Hex.decode(publicKey))
            let uncompressed = try #require(Secp256k1.uncompressedEncoding(point))
            let lower = Hex.encode(Keccak256.hash(uncompressed.dropFirst()).suffix(20))
            #expect(address.hasPrefix("0x"), "\(address)")
            let body = address.dropFirst(2)
            #expect(body.lowercased() == lower, "\(address) is not the address of \(publicKey)")
            let checksum = Keccak256.hash(Array(lower.utf8))
            for (index, character) in body.enumerated() where character.isLetter {
                let nibble = (checksum[index / 2] >> (index % 2 == 0 ? 4 : 0)) & 0x0f
                #expect(character.isUppercase == (nibble >= 8), "\(address): EIP-55 checksum wrong at \(index)")
            }
        case "ed25519":
            #expect(
                address.allSatisfy { "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".contains($0) },
                "\(address)")
            #expect(
                Base58.decode(address) == (try Hex.decode(publicKey)), "\(address) is not the Base58 of \(publicKey)")
        default:
            Issue.record("unknown curve \(curve ?? "nil")")
        }
    }
}
