import Foundation
import ShareMath
import Testing

/// No secret reaches an output, a log line or the vault file in the clear: every command is run with
/// `SHAREVAULT_LOG_LEVEL=trace`, and stdout, stderr and the vault's bytes are searched for every secret the
/// test knows (fixture share values in decimal, hex and raw bytes, the share strings, the vault key, the
/// client backup keys, passwords). Only the export paths (`shares split` printing its shares,
/// `shares combine --reveal-secret`) may print a secret, and only on stdout.
@Suite struct SecretLeakTests {
    static let trace = ["SHAREVAULT_LOG_LEVEL": "trace"]

    @Test func vaultCommandsNeverPrintOrStoreASecret() throws {
        var session = Session(vault: try TestVault())
        let vault = session.vault
        let keyStore = vault.scratch.path("ks")
        let password = "a backup password no log may show"
        let passwordFile = try vault.scratch.write("password", password + "\n")

        try session.run(["init"])
        try session.run(["init"])  // refused: already exists
        try session.run(
            [
                "create", "--client-id", "leak", "--curve", "all", "--method", "GDRIVE", "--method", "PASSWORD",
                "--password-file", passwordFile, "--key-store", keyStore,
            ])
        try session.run([
            "create", "--client-id", "leak-json", "--curve", "ed25519", "--method", "ICLOUD", "--key-store", keyStore,
            "--json",
        ])
        try session.run([
            "create", "--client-id", "leak", "--curve", "ed25519", "--method", "ICLOUD", "--key-store", keyStore,
        ])  // refused

        var secrets = SecretSet()
        secrets.addText(password)
        for (index, fixture) in IngestFixtureTests.good.enumerated() {
            try session.run(["ingest", "custodian", fixture.bodyPath] + (index % 2 == 0 ? [] : ["--json"]))
            try session.run(["ingest", "custodian", fixture.replacementPath] + (index % 2 == 0 ? ["--json"] : []))
            for path in [fixture.bodyPath, fixture.replacementPath] {
                try secrets.addBody(at: path, curve: fixture.curve)
            }
            for path in [fixture.clientSharePath, fixture.replacementClientSharePath] {
                try secrets.addShare(try WebhookFixtures.object(at: path), curve: fixture.curve)
            }
        }
        try session.run(["ingest", "custodian", IngestFixtureTests.good[0].bodyPath])  // duplicate
        // Bad bodies that still carry a well-formed share value: their messages must not quote it.
        for name in [
            "native-version-2", "native-curve-mismatch", "native-commitment-mismatch", "portal-secp256k1-off-curve",
            "portal-ed25519-off-curve", "portal-ed25519-x-mismatch", "portal-ed25519-small-order", "portal-bks-equal",
            "portal-server-bk-zero", "method-curve-mismatch", "share-object", "portal-server-partial-key-mismatch",
            "portal-partial-keys-do-not-interpolate", "portal-client-partial-key-off-curve", "body-duplicate-key",
        ] {
            let path = WebhookFixtures.path("bad/\(name).json")
            try session.run(["ingest", "custodian", path])
            try secrets.addBody(at: path, curve: name.contains("ed25519") ? .ed25519 : .secp256k1)
        }

        let portal = IngestFixtureTests.good[0]
        let native = try #require(IngestFixtureTests.good.first { $0.name == "native-ed25519" })
        let cipherText = try vault.scratch.write("ct.txt", VaultCommandTests.cipherText())
        try session.run(["ingest", "client", "--client-id", portal.clientId, "--method", "GDRIVE", cipherText])
        try session.run([
            "ingest", "client", "--client-id", native.clientId, "--method", "ICLOUD", cipherText, "--json",
        ])
        try session.run(["ingest", "client", "--client-id", "nobody", "--method", "ICLOUD", cipherText])
        let badCipherText = try vault.scratch.write("bad.txt", "U1ZDQgIA")
        try session.run(["ingest", "client", "--client-id", portal.clientId, "--method", "GDRIVE", badCipherText])
        try session.run(["confirm", "--client-id", portal.clientId, "--method", "GDRIVE"])
        try session.run(["confirm", "--client-id", native.clientId, "--method", "ICLOUD", "--json"])
        for arguments in [
            ["list"], ["list", "--json"], ["list", "--status", "completed"],
            ["list", "--status", "incomplete", "--json"],
            ["inspect", "leak"], ["inspect", "leak", "--json"], ["inspect", portal.clientId],
            ["inspect", native.clientId, "--json"],
            ["audit"], ["audit", "--json"], ["audit", "--verify"], ["audit", "--verify", "--json"],
        ] {
            try session.run(arguments)
        }
        // Portal's client halves, opened through a decrypt command: one hex ciphertext for both curves.
        let decrypt = [
            "--client-decrypt-command",
            "python3 \(PortalFixtures.toyCipher) decrypt \(WebhookFixtures.path("good/portal.client-key.hex"))",
        ]
        try session.run(["ingest", "custodian", IngestFixtureTests.good[1].bodyPath])
        try session.run([
            "ingest", "client", "--client-id", portal.clientId, "--method", "GDRIVE",
            WebhookFixtures.path("good/portal.cipher-hex.txt"),
        ])
        try session.run(["confirm", "--client-id", portal.clientId, "--method", "GDRIVE"])
        for arguments in [
            ["verify"], ["verify", "--custodian", "--json"], ["verify", "--deep"] + decrypt,
            ["verify", "--deep", "--json"] + decrypt, ["drill", "--client-id", portal.clientId, "--json"] + decrypt,
            ["recover", "--client-id", portal.clientId, "--method", "GDRIVE-ED25519", "--out", vault.scratch.path("r")]
                + decrypt,
            // A program that prints the plaintext on its standard error and fails: sharevault never shows it.
            [
                "verify", "--deep", "--client-decrypt-command",
                "sh -c 'python3 \(PortalFixtures.toyCipher) decrypt \(WebhookFixtures.path("good/portal.client-key.hex")) >&2; exit 3'",
            ],
        ] {
            try session.run(arguments)
        }
        try secrets.addShare(
            try WebhookFixtures.object(at: WebhookFixtures.path("good/portal.client-plaintext.json")), curve: .secp256k1
        )
        for entry in (try WebhookFixtures.object(at: WebhookFixtures.path("good/portal.client-plaintext.json"))).values
        {
            let text = try #require((entry as? [String: Any])?["share"] as? String)
            secrets.addText(text)
        }

        // Environment faults print paths, never key material.
        try session.run(["ingest", "custodian", portal.bodyPath, "--vault-key", vault.scratch.path("absent.key")])

        // The secrets only now known: the vault key and the client backup keys.
        let keyFile = try String(contentsOfFile: vault.keyPath, encoding: .utf8)
        let keyLine = try #require(keyFile.split(separator: "\n").first { $0.hasPrefix("key ") })
        let vaultKey = try Hex.decode(keyLine.dropFirst(4))
        #expect(vaultKey.count == 32)
        secrets.addKey(vaultKey)
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: keyStore)
        #expect(keyFiles.count == 2)  // GDRIVE (both curves share it) and ICLOUD for leak-json; PASSWORD has none
        for name in keyFiles {
            secrets.addKey(
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: (keyStore as NSString).appendingPathComponent(name))))
            )
        }
        #expect(secrets.count > 100)
        // The search itself works: each fixture file shows its own share value in one of the forms searched.
        for fixture in IngestFixtureTests.good {
            let text = try String(contentsOfFile: fixture.bodyPath, encoding: .utf8).lowercased()
            #expect(secrets.textForms.contains { text.contains($0.lowercased()) }, "\(fixture.name)")
        }

        for (label, text) in session.outputs {
            for secret in secrets.textForms where text.lowercased().contains(secret.lowercased()) {
                Issue.record("\(label) printed a secret (\(secret.prefix(12))...): \(text.prefix(400))")
            }
        }

        // The vault file (and its SQLite side files) hold no secret in any form.
        for path in [vault.path] + VaultCommandTests.sqliteSideFiles(of: vault.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for (form, needle) in secrets.byteForms where bytes.range(of: Data(needle)) != nil {
                Issue.record("\((path as NSString).lastPathComponent) holds a secret as \(form)")
            }
        }
        // Nor does the key store hold the vault key, or the vault key file a client key.
        for name in keyFiles {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: (keyStore as NSString).appendingPathComponent(name)))
            #expect(bytes != Data(vaultKey))
        }

        // Every file a command made is private to its owner.
        var made = [vault.path, vault.keyPath] + VaultCommandTests.sqliteSideFiles(of: vault.path)
        made += keyFiles.map { (keyStore as NSString).appendingPathComponent($0) }
        for path in made {
            #expect(try VaultCommandTests.mode(path) == 0o600, "\(path)")
        }
        #expect(try VaultCommandTests.mode(keyStore) == 0o700)
    }

    @Test func aWrappedVaultKeySessionNeverShowsThePassphrase() throws {
        var session = Session(vault: try TestVault())
        let passphrase = "the passphrase that wraps the vault key"
        let passphraseFile = try session.vault.scratch.write("passphrase", passphrase)
        let wrongFile = try session.vault.scratch.write("wrong", "not the passphrase that wraps it")
        let body = IngestFixtureTests.good[1]
        try session.run(["init", "--passphrase-file", passphraseFile])
        try session.run(["ingest", "custodian", body.bodyPath])
        try session.run(["ingest", "custodian", body.bodyPath, "--passphrase-file", wrongFile])
        try session.run(
            ["ingest", "custodian", body.bodyPath, "--json"], environment: ["SHAREVAULT_PASSPHRASE": passphrase])
        try session.run(["list", "--json"])
        #expect(session.outputs.count == 10)
        var secrets = SecretSet()
        secrets.addText(passphrase)
        secrets.addText("not the passphrase that wraps it")
        try secrets.addBody(at: body.bodyPath, curve: body.curve)
        for (label, text) in session.outputs {
            for secret in secrets.textForms where text.contains(secret) {
                Issue.record("\(label) printed a secret (\(secret.prefix(12))...)")
            }
        }
        for path in [session.vault.path, session.vault.keyPath] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for (form, needle) in secrets.byteForms where bytes.range(of: Data(needle)) != nil {
                Issue.record("\((path as NSString).lastPathComponent) holds a secret as \(form)")
            }
            #expect(try VaultCommandTests.mode(path) == 0o600)
        }
    }

    /// `shares split|combine|verify`: the shares and the secret appear only where they are exported.
    @Test(arguments: CurveID.allCases)
    func shareCommandsPrintSecretsOnlyOnExportPaths(curve: CurveID) throws {
        let vault = try TestVault()
        let secret =
            curve == .secp256k1
            ? "3b2f3e0d8a4c5b6a79881726354453627180f9e8d7c6b5a4938271605f4e3d2c"
            : "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef0a"
        let secretFile = try vault.scratch.write("secret.hex", secret + "\n")
        func run(_ arguments: [String]) throws -> CommandResult {
            let result = try vault.run(arguments, environment: Self.trace, vault: false)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        let base = [
            "shares", "split", "--curve", curve.rawValue, "--threshold", "2", "--count", "3", "--secret-file",
            secretFile,
        ]

        // Export path: the shares on stdout, nothing on stderr.
        let printed = try run(base)
        let documents = try printed.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let shares = try documents.map { try #require($0["share"] as? String) }
        #expect(shares.count == 3)
        var secrets = [secret] + shares
        let inJSON = try run(base + ["--json"])
        let jsonDocuments = try #require(
            try JSONSerialization.jsonObject(with: Data(inJSON.stdout.utf8)) as? [[String: Any]])
        secrets += jsonDocuments.compactMap { $0["share"] as? String }
        for result in [printed, inJSON] {
            #expect(!result.stdout.contains(secret), "split printed its secret")
            Self.expectNone(of: secrets, in: result.stderr, "split stderr")
        }

        // Written to files: stdout names the files only; the files are private.
        let out = vault.scratch.path("out")
        let written = try run(base + ["--out", out])
        let writtenJSON = try run(base + ["--out", vault.scratch.path("out-json"), "--json"])
        var files: [String] = []
        for directory in [out, vault.scratch.path("out-json")] {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
                let path = (directory as NSString).appendingPathComponent(name)
                files.append(path)
                #expect(try VaultCommandTests.mode(path) == 0o600, "\(path)")
                let document = try WebhookFixtures.object(at: path)
                secrets.append(try #require(document["share"] as? String))
            }
        }
        #expect(files.count == 6)
        for result in [written, writtenJSON] {
            Self.expectNone(of: secrets, in: result.stdout, "split --out stdout")
            Self.expectNone(of: secrets, in: result.stderr, "split --out stderr")
        }

        // Verify and combine without --reveal-secret: nothing secret anywhere.
        let pair = Array(files.prefix(2))
        for arguments in [
            ["shares", "verify"] + files, ["shares", "verify", "--json"] + files,
            ["shares", "combine"] + pair, ["shares", "combine", "--json"] + pair,
        ] {
            let result = try run(arguments)
            Self.expectNone(of: secrets, in: result.stdout, "\(arguments[0...1]) stdout")
            Self.expectNone(of: secrets, in: result.stderr, "\(arguments[0...1]) stderr")
        }

        // The explicit export: the secret on stdout, nothing on stderr.
        for arguments in [
            ["shares", "combine", "--reveal-secret"] + pair, ["shares", "combine", "--reveal-secret", "--json"] + pair,
        ] {
            let result = try run(arguments)
            #expect(result.stdout.contains(secret), "--reveal-secret did not print the secret")
            Self.expectNone(of: secrets, in: result.stderr, "combine --reveal-secret stderr")
        }

        // A tampered document fails verification without quoting its share.
        var tampered = try WebhookFixtures.object(at: files[0])
        tampered["share"] = shares[1]
        let tamperedPath = vault.scratch.path("tampered.json")
        try JSONSerialization.data(withJSONObject: tampered).write(to: URL(fileURLWithPath: tamperedPath))
        for arguments in [
            ["shares", "verify", tamperedPath], ["shares", "combine", "--reveal-secret", tamperedPath, files[2]],
        ] {
            let result = try vault.run(arguments, environment: Self.trace, vault: false)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            Self.expectNone(of: secrets, in: result.stdout + result.stderr, "\(arguments[0...1]) on a tampered share")
        }
    }

    static func expectNone(
        of secrets: [String], in text: String, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for secret in secrets where text.lowercased().contains(secret.lowercased()) {
            Issue.record("\(label) shows a secret (\(secret.prefix(12))...)", sourceLocation: sourceLocation)
        }
    }
}

/// Runs commands against one vault with tracing on, keeping every stdout and stderr.
struct Session {
    let vault: TestVault
    var outputs: [(label: String, text: String)] = []

    init(vault: TestVault) { self.vault = vault }

    mutating func run(_ arguments: [String], environment: [String: String] = [:]) throws {
        let result = try vault.run(arguments, environment: SecretLeakTests.trace.merging(environment) { _, new in new })
        let label = arguments.prefix(3).joined(separator: " ")
        outputs.append(("\(label) stdout", result.stdout))
        outputs.append(("\(label) stderr", result.stderr))
    }
}

/// Secrets in every form they could leak in: decimal, hex either way round and in either case, raw bytes.
struct SecretSet {
    private(set) var textForms: Set<String> = []
    private(set) var byteForms: [(form: String, bytes: [UInt8])] = []

    var count: Int { textForms.count }

    /// A 32-byte secret (a share value in its curve's encoding, or a key): hex both byte orders, the decimal
    /// of both readings, and the raw bytes both ways round.
    mutating func addKey(_ bytes: [UInt8]) {
        for (order, value) in [("as given", bytes), ("reversed", Array(bytes.reversed()))] {
            let hex = Hex.encode(value)
            let decimal = DecimalText.text(bigEndian: value)
            textForms.formUnion([hex, decimal])
            byteForms.append(("hex \(order)", Array(hex.utf8)))
            byteForms.append(("HEX \(order)", Array(hex.uppercased().utf8)))
            byteForms.append(("decimal \(order)", Array(decimal.utf8)))
            byteForms.append(("raw bytes \(order)", value))
        }
    }

    mutating func addText(_ text: String) {
        textForms.insert(text)
        byteForms.append(("text", Array(text.utf8)))
    }

    /// The share string a webhook body carries, and the share value in it when it is well-formed.
    mutating func addBody(at path: String, curve: CurveID) throws {
        let body = try WebhookFixtures.object(at: path)
        let share: [String: Any]
        if let text = body["share"] as? String {
            addText(text)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                return
            }
            share = object
        } else if let object = body["share"] as? [String: Any] {
            share = object
        } else {
            return
        }
        try addShare(share, curve: curve)
    }

    /// A share JSON's value (native hex or Portal decimal), when it reads as 32 bytes, and Portal's Paillier
    /// primes (`p`, `q`, `pailler_p`, `pailler_q`), which are secrets too.
    mutating func addShare(_ json: [String: Any], curve: CurveID) throws {
        let fields = Dictionary(json.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        for prime in ["p", "q", "pailler_p", "pailler_q"] {
            if let text = fields[prime] as? String, text.count > 100 { addText(text) }
        }
        let value = fields["share"] as? String
        guard let value else { return }
        if json["format"] != nil {
            if let bytes = try? Hex.decode(value), bytes.count == 32 { addKey(bytes) }
        } else if let bytes = DecimalText.bigEndian(value), bytes.contains(where: { $0 != 0 }) {
            addKey(bytes)
        }
    }
}
