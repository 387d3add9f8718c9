import Foundation
import ShareMath
import Testing

/// `sharevault ingest custodian` over every webhook fixture in `fixtures/webhooks` (documented in
/// `fixtures/README.md`): each good body is stored and shown as it should be, each bad one is refused with
/// exit status 2, a message naming the problem and the file, and a vault left as it was.
@Suite struct IngestFixtureTests {
    // MARK: The fixture tables

    static let good: [GoodFixture] = [
        GoodFixture(
            name: "portal-secp256k1", clientId: "fixture-portal", curve: .secp256k1, sentMethod: "GDRIVE-SECP256K1",
            method: "GDRIVE", layout: "portal-custodian",
            publicKey: "03f989fa44c284c1fe4706f968adc84c57599a56dff02d0929d8c93cd75d8a0e7f"),
        GoodFixture(
            name: "portal-ed25519", clientId: "fixture-portal", curve: .ed25519, sentMethod: "GDRIVE-ED25519",
            method: "GDRIVE", layout: "portal-custodian",
            publicKey: "712e4acb373a8fa424690e1cf459927d920866418a168f4f0468cd933f5827e1"),
        GoodFixture(
            name: "portal-secp256k1-capitalized", clientId: "fixture-portal-secp256k1-capitalized", curve: .secp256k1,
            sentMethod: "ICLOUD-SECP256K1", method: "ICLOUD", layout: "portal-custodian",
            publicKey: "0324e37511bf8fdbfeac1e179bec9a41c2869ee4803736e3296378754387f599c5"),
        GoodFixture(
            name: "portal-ed25519-capitalized", clientId: "fixture-portal-ed25519-capitalized", curve: .ed25519,
            sentMethod: "PASSKEY-ED25519", method: "PASSKEY", layout: "portal-custodian",
            publicKey: "9877c7a449fed82905d12afc1541e80edefb7d127624d2918488a6bf029ea5dd"),
        // Older deliveries carry no backupMethod: stored as UNKNOWN.
        GoodFixture(
            name: "portal-no-method", clientId: "fixture-no-method", curve: .secp256k1, sentMethod: nil,
            method: "UNKNOWN", layout: "portal-custodian",
            publicKey: "0291d167c08f3fc6ed5abf7d7d4570875a24e7d491d08514b0bd2570b74f046a99"),
        // No curve suffix: the curve comes from the point.
        GoodFixture(
            name: "portal-ed25519-method-without-curve", clientId: "fixture-method-without-curve", curve: .ed25519,
            sentMethod: "PASSKEY", method: "PASSKEY", layout: "portal-custodian",
            publicKey: "695c361b3681a1cf9791d344dbb1223d1434193c88185a3741a3a301974efd45"),
        // Any printable method name is stored as sent.
        GoodFixture(
            name: "portal-method-free-form", clientId: "fixture-free-form", curve: .secp256k1,
            sentMethod: "custom:Vault v2", method: "custom:Vault v2", layout: "portal-custodian",
            publicKey: "03339e2fa3ceed630413e788fb10ccb6388cee20d8b31e333b10bfd6b516d2bd4c"),
        GoodFixture(
            name: "native-secp256k1", clientId: "fixture-native-secp256k1", curve: .secp256k1,
            sentMethod: "GDRIVE-SECP256K1", method: "GDRIVE", layout: "native",
            publicKey: "03584453e0bbfb207dda64701f4ecc42537c77ccc9a03d7e1143c7514f680cc2dc"),
        GoodFixture(
            name: "native-ed25519", clientId: "fixture-native-ed25519", curve: .ed25519, sentMethod: "ICLOUD-ED25519",
            method: "ICLOUD", layout: "native",
            publicKey: "acdfce084578abe3a9a476a74872621f47559f2d023b1f963eb4ea88fc7ac033"),
    ]

    /// The bad bodies of fixtures/README.md and the words each message must contain.
    static let bad: [BadFixture] = [
        BadFixture("truncated", ["malformed JSON"]),
        BadFixture("not-json", ["malformed JSON"]),
        BadFixture("empty", ["empty document"]),
        BadFixture("body-array", ["must be an object"]),
        BadFixture("body-duplicate-key", ["given twice", "clientId"]),
        BadFixture("body-duplicate-key-case", ["given twice", "clientId", "CLIENTID"]),
        BadFixture("client-id-missing", ["missing field \"clientId\""]),
        BadFixture("client-id-number", ["field \"clientId\" must be a string"]),
        BadFixture("client-id-invalid", ["invalid client id"]),
        BadFixture("share-missing", ["missing field \"share\""]),
        BadFixture("share-object", ["field \"share\" must be a string"]),
        BadFixture("share-not-json", ["the share is not a JSON object"]),
        BadFixture("share-unknown-layout", ["unrecognised share layout"]),
        BadFixture("method-too-long", ["invalid backup method"]),
        BadFixture("method-control-character", ["invalid backup method"]),
        BadFixture("method-not-a-string", ["field \"backupMethod\" must be a string"]),
        BadFixture("method-curve-mismatch", ["field \"backupMethod\"", "secp256k1", "ed25519"]),
        BadFixture("native-version-2", ["unsupported format version 2"]),
        BadFixture("native-curve-mismatch", ["field \"curve\"", "secp256k1", "ed25519"]),
        BadFixture("native-commitment-mismatch", ["does not verify against its own commitments"]),
        BadFixture("portal-share-duplicate-key-case", ["given twice", "share", "SHARE"]),
        BadFixture("portal-secp256k1-off-curve", ["field \"x, y\"", "not on the curve"]),
        BadFixture("portal-x-y-on-neither-curve", ["field \"x, y\"", "not on the curve"]),
        BadFixture("portal-secp256k1-share-is-order", ["field \"share\"", "out of range"]),
        BadFixture("portal-secp256k1-share-above-order", ["field \"share\"", "out of range"]),
        BadFixture("portal-ed25519-share-is-order", ["field \"share\"", "out of range"]),
        BadFixture("portal-server-bk-zero", ["field \"serverBk\"", "zero scalar"]),
        BadFixture("portal-bks-equal", ["field \"serverBk\"", "equals clientBk"]),
        BadFixture("portal-share-not-decimal", ["field \"share\"", "not a decimal integer"]),
        BadFixture("portal-ed25519-off-curve", ["field \"x, y\"", "not on the curve"]),
        BadFixture("portal-ed25519-x-mismatch", ["field \"x, y\"", "not on the curve"]),
        BadFixture("portal-ed25519-small-order", ["field \"x, y\"", "small order"]),
        BadFixture("portal-server-partial-key-missing", ["missing field \"serverPartialPubKey_x\""]),
        BadFixture(
            "portal-server-partial-key-mismatch",
            ["field \"serverPartialPubKey_x, serverPartialPubKey_y\"", "does not match share"]),
        BadFixture(
            "portal-partial-keys-do-not-interpolate",
            ["field \"clientPartialPubKey_x, clientPartialPubKey_y\"", "do not interpolate"]),
        BadFixture(
            "portal-client-partial-key-off-curve",
            ["field \"clientPartialPubKey_x, clientPartialPubKey_y\"", "not on the curve"]),
        BadFixture(
            "portal-ed25519-partial-key-small-order",
            ["field \"clientPartialPubKey_x, clientPartialPubKey_y\"", "small order"]),
    ]

    // MARK: The fixtures themselves

    @Test func everyFixtureFileIsInATable() throws {
        let manager = FileManager.default
        func names(_ folder: String, suffix: String = ".json") throws -> Set<String> {
            Set(
                try manager.contentsOfDirectory(atPath: WebhookFixtures.path(folder))
                    .filter { $0.hasSuffix(suffix) && !$0.hasSuffix(".client-share.json") && !$0.hasPrefix("portal.") }
                    .map { String($0.dropLast(suffix.count)) })
        }
        let goodNames = Set(Self.good.map(\.name))
        #expect(try names("good") == goodNames)
        #expect(try names("replacement") == goodNames)
        #expect(try names("bad") == Set(Self.bad.map(\.name)))
        for fixture in Self.good {
            #expect(manager.fileExists(atPath: fixture.clientSharePath), "\(fixture.name)")
            #expect(manager.fileExists(atPath: fixture.replacementClientSharePath), "\(fixture.name)")
        }
    }

    @Test func theGeneratorReproducesTheCommittedFiles() throws {
        let result = try Python.run([WebhookFixtures.path("generate.py"), "--check"])
        #expect(result.status == 0, "fixtures/webhooks differs from what generate.py writes: \(result.stderr)")
    }

    /// The fixture's two halves (custodian in the body, client in `*.client-share.json`) recombine to its
    /// public key, checked here with ShareMath rather than trusting the generator.
    @Test(arguments: good)
    func eachPairRecombinesToItsPublicKey(fixture: GoodFixture) throws {
        for (body, client) in [
            (fixture.bodyPath, fixture.clientSharePath),
            (fixture.replacementPath, fixture.replacementClientSharePath),
        ] {
            let custodianJSON = try WebhookFixtures.shareObject(inBody: body)
            let clientJSON = try WebhookFixtures.object(at: client)
            #expect(try FixtureShare.publicKey(of: custodianJSON, curve: fixture.curve) == fixture.publicKey)
            #expect(try FixtureShare.publicKey(of: clientJSON, curve: fixture.curve) == fixture.publicKey)
            let custodian = try FixtureShare.custodian(custodianJSON, curve: fixture.curve)
            let clientShare = try FixtureShare.client(clientJSON, curve: fixture.curve)
            #expect(custodian.identifier != clientShare.identifier)
            #expect(
                try FixtureShare.combinedPublicKey([custodian, clientShare], curve: fixture.curve) == fixture.publicKey)
        }
    }

    @Test(arguments: good.filter { $0.layout == "native" })
    func nativeClientHalvesPassSharesVerify(fixture: GoodFixture) throws {
        let result = try Sharevault.run([
            "shares", "verify", fixture.clientSharePath, fixture.replacementClientSharePath,
        ])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
    }

    // MARK: Good fixtures

    @Test(arguments: good)
    func aGoodBodyIsStoredAndShown(fixture: GoodFixture) throws {
        let vault = try TestVault.initialized()
        let ingested = try vault.json(["ingest", "custodian", fixture.bodyPath]) as! [String: Any]
        #expect(ingested["outcome"] as? String == "stored")
        #expect(ingested["clientId"] as? String == fixture.clientId)
        #expect(ingested["curve"] as? String == fixture.curve.rawValue)
        #expect(ingested["method"] as? String == fixture.method)
        #expect(ingested["layout"] as? String == fixture.layout)
        #expect(ingested["publicKey"] as? String == fixture.publicKey)

        let pairs = try vault.json(["list"]) as! [[String: Any]]
        #expect(pairs.count == 1)
        #expect(pairs.first?["clientId"] as? String == fixture.clientId)
        #expect(pairs.first?["status"] as? String == "STORED_CUSTODIAN_BACKUP_SHARE")
        #expect(pairs.first?["completed"] as? Bool == false)
        #expect(pairs.first?["method"] as? String == fixture.method)
        #expect(pairs.first?["publicKey"] as? String == fixture.publicKey)
        #expect((pairs.first?["address"] as? String)?.isEmpty == false)

        let detail = try vault.json(["inspect", fixture.clientId]) as! [String: Any]
        let wallets = try #require(detail["wallets"] as? [[String: Any]])
        #expect(wallets.count == 1)
        #expect(wallets.first?["curve"] as? String == fixture.curve.rawValue)
        #expect(wallets.first?["publicKey"] as? String == fixture.publicKey)
        let backups = try #require(wallets.first?["backupPairs"] as? [[String: Any]])
        #expect(backups.count == 1)
        let backup = try #require(backups.first)
        #expect(backup["layout"] as? String == fixture.layout)
        #expect(backup["hasClientBackup"] as? Bool == false)
        #expect((backup["summary"] as? [String: Any])?["live"] as? Bool == true)
        // The public material stored is the custodian share's: its identifier and s·G.
        let custodian = try FixtureShare.custodian(
            try WebhookFixtures.shareObject(inBody: fixture.bodyPath), curve: fixture.curve)
        #expect(backup["custodianIdentifier"] as? String == Hex.encode(custodian.identifier))
        #expect(backup["custodianPublicShare"] as? String == (try custodian.publicShareHex(curve: fixture.curve)))
        if fixture.layout != "native" {
            let client = try FixtureShare.client(
                try WebhookFixtures.object(at: fixture.clientSharePath), curve: fixture.curve)
            #expect(backup["clientIdentifier"] as? String == Hex.encode(client.identifier))
        }
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test(arguments: good)
    func theSameBodyTwiceStoresOnePair(fixture: GoodFixture) throws {
        let vault = try TestVault.initialized()
        let first = try vault.json(["ingest", "custodian", fixture.bodyPath]) as! [String: Any]
        let auditAfterFirst = try vault.run(["audit", "--json"]).stdout
        // The second delivery comes on standard input, as a pipe from the webhook would.
        let again = try vault.run(
            ["ingest", "custodian", "-", "--json"], stdin: try Data(contentsOf: URL(fileURLWithPath: fixture.bodyPath)))
        #expect(again.status == 0, "\(again.stderr)")
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        #expect(second["outcome"] as? String == "duplicate")
        #expect(second["pairId"] as? Int == first["pairId"] as? Int)
        let text = try vault.run(["ingest", "custodian", fixture.bodyPath])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("duplicate"), "\(text.stdout)")

        let pairs = try vault.json(["list"]) as! [[String: Any]]
        #expect(pairs.count == 1)
        let detail = try vault.json(["inspect", fixture.clientId]) as! [String: Any]
        let backups = (detail["wallets"] as? [[String: Any]])?.first?["backupPairs"] as? [[String: Any]]
        #expect(backups?.count == 1)
        #expect(try vault.run(["audit", "--json"]).stdout == auditAfterFirst)
    }

    @Test(arguments: good)
    func aNewShareForTheSameMethodReplacesAndKeepsHistory(fixture: GoodFixture) throws {
        let vault = try TestVault.initialized()
        let first = try vault.json(["ingest", "custodian", fixture.bodyPath]) as! [String: Any]
        let firstPair = try #require(first["pairId"] as? Int)
        let second = try vault.json(["ingest", "custodian", fixture.replacementPath]) as! [String: Any]
        #expect(second["outcome"] as? String == "replaced")
        #expect(second["replacedPairId"] as? Int == firstPair)
        #expect(second["publicKey"] as? String == fixture.publicKey)
        let secondPair = try #require(second["pairId"] as? Int)
        #expect(secondPair != firstPair)

        let pairs = try vault.json(["list"]) as! [[String: Any]]
        #expect(pairs.map { $0["pairId"] as? Int } == [secondPair])
        let detail = try vault.json(["inspect", fixture.clientId]) as! [String: Any]
        let wallets = try #require(detail["wallets"] as? [[String: Any]])
        #expect(wallets.count == 1)
        let summaries = (wallets.first?["backupPairs"] as? [[String: Any]] ?? []).compactMap {
            $0["summary"] as? [String: Any]
        }
        #expect(summaries.count == 2)
        let old = summaries.first { $0["pairId"] as? Int == firstPair }
        let live = summaries.first { $0["pairId"] as? Int == secondPair }
        #expect(old?["live"] as? Bool == false)
        #expect(old?["replacedAt"] is String)
        #expect(live?["live"] as? Bool == true)
        #expect(live?["status"] as? String == "STORED_CUSTODIAN_BACKUP_SHARE")

        let text = try vault.run(["inspect", fixture.clientId])
        #expect(text.stdout.contains("pair \(firstPair)"))
        #expect(text.stdout.contains("replaced"))
        let audit = try vault.json(["audit"]) as! [[String: Any]]
        #expect(audit.last?["kind"] as? String == "replace")
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test(arguments: good)
    func aShareContradictingTheClientsWalletIsRefused(fixture: GoodFixture) throws {
        let vault = try TestVault.initialized()
        #expect(try vault.run(["ingest", "custodian", fixture.bodyPath]).status == 0)
        let before = try vault.snapshot()
        // Another fixture's share on the same curve (so another public key), sent for this client: on the same
        // method, and on another method of the same wallet.
        let other = try #require(Self.good.first { $0.curve == fixture.curve && $0.name != fixture.name })
        let share = try #require(try WebhookFixtures.object(at: other.bodyPath)["share"] as? String)
        for method in [fixture.methodWithCurve, "CUSTOM-\(fixture.curve.rawValue.uppercased())"] {
            let body = try JSONSerialization.data(
                withJSONObject: ["clientId": fixture.clientId, "share": share, "backupMethod": method])
            let path = vault.scratch.path("contradiction.json")
            try body.write(to: URL(fileURLWithPath: path))
            let result = try vault.run(["ingest", "custodian", path])
            #expect(result.status == 2, "\(method): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("already has a \(fixture.curve) wallet"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(try vault.snapshot() == before)
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test func textOutputNamesTheLayoutAsJSONDoes() throws {
        let fixture = Self.good[0]
        let vault = try TestVault.initialized()
        let ingest = try vault.run(["ingest", "custodian", fixture.bodyPath])
        #expect(ingest.status == 0)
        #expect(ingest.stdout.contains("portal-custodian share"), "\(ingest.stdout)")
        let inspect = try vault.run(["inspect", fixture.clientId])
        #expect(inspect.stdout.contains("portal-custodian layout"), "\(inspect.stdout)")
    }

    // MARK: Bad fixtures

    @Test(arguments: bad)
    func aBadBodyIsRefusedAndChangesNothing(fixture: BadFixture) throws {
        let template = try TemplateVault.shared.get()
        let vault = try template.copy()
        let result = try vault.run(["ingest", "custodian", fixture.path])
        #expect(result.status == 2, "\(fixture.name): \(result.status) \(result.stdout) \(result.stderr)")
        for word in fixture.words {
            #expect(result.stderr.contains(word), "\(fixture.name): expected \"\(word)\" in \(result.stderr)")
        }
        #expect(
            result.stderr.contains("\(fixture.name).json"),
            "\(fixture.name): the message must name the file: \(result.stderr)")
        #expect(
            !result.stderr.contains("field \"\""), "\(fixture.name): a message naming an empty field: \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(fixture.name): \(result.stdout)")
        #expect(try vault.snapshot() == template.snapshot, "\(fixture.name) changed the vault")
        #expect(try vault.run(["audit", "--verify"]).status == 0)
    }

    @Test func bodiesOverTheLimitAreRefusedAndOneAtTheLimitIsTaken() throws {
        let template = try TemplateVault.shared.get()
        let vault = try template.copy()
        let limit = 64 * 1024
        let good = Self.good[1]
        let text = try String(contentsOfFile: good.bodyPath, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        // Whitespace before the closing brace pads a valid body to any size.
        func padded(to size: Int) -> Data {
            Data((text.dropLast() + String(repeating: " ", count: size - text.utf8.count) + "}").utf8)
        }

        let huge = vault.scratch.path("huge.json")
        try padded(to: 3 << 20).write(to: URL(fileURLWithPath: huge))
        let fromFile = try vault.run(["ingest", "custodian", huge])
        #expect(fromFile.status == 2)
        #expect(fromFile.stderr.contains("huge.json"), "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("larger than the \(limit)-byte limit"), "\(fromFile.stderr)")
        #expect(fromFile.stdout.isEmpty)
        // On stdin the tool stops reading after the limit; the test keeps what it writes within the pipe's
        // buffer past that point, so that writing does not fail when the tool exits.
        let fromStdin = try vault.run(["ingest", "custodian", "-"], stdin: padded(to: 100_000))
        #expect(fromStdin.status == 2)
        #expect(fromStdin.stderr.contains("larger than the \(limit)-byte limit"), "\(fromStdin.stderr)")
        let justOver = vault.scratch.path("over.json")
        try padded(to: limit + 1).write(to: URL(fileURLWithPath: justOver))
        let over = try vault.run(["ingest", "custodian", justOver])
        #expect(over.status == 2)
        #expect(over.stderr.contains("over.json"))
        #expect(try vault.snapshot() == template.snapshot)

        let atLimit = vault.scratch.path("at-limit.json")
        try padded(to: limit).write(to: URL(fileURLWithPath: atLimit))
        let taken = try vault.run(["ingest", "custodian", atLimit, "--json"])
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(taken.stdout.contains(good.publicKey))
    }
}

// MARK: - Fixture tables

/// A good webhook fixture: `good/NAME.json`, its client half `good/NAME.client-share.json`, and a second
/// sharing of the same key `replacement/NAME.json` (with its client half).
struct GoodFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let clientId: String
    let curve: CurveID
    /// The body's `backupMethod` (nil: the body has none).
    let sentMethod: String?
    /// The method's name as stored and listed (no curve suffix).
    let method: String
    let layout: String
    /// The wallet's public key in the curve's encoding, hex.
    let publicKey: String

    var testDescription: String { name }
    var methodWithCurve: String { "\(method)-\(curve.rawValue.uppercased())" }
    var bodyPath: String { WebhookFixtures.path("good/\(name).json") }
    var clientSharePath: String { WebhookFixtures.path("good/\(name).client-share.json") }
    var replacementPath: String { WebhookFixtures.path("replacement/\(name).json") }
    var replacementClientSharePath: String { WebhookFixtures.path("replacement/\(name).client-share.json") }
}

/// A bad webhook fixture, `bad/NAME.json`, and the words its error message must contain.
struct BadFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let words: [String]

    init(_ name: String, _ words: [String]) {
        self.name = name
        self.words = words
    }

    var testDescription: String { name }
    var path: String { WebhookFixtures.path("bad/\(name).json") }
}

/// Where the webhook fixtures are, and reading them.
enum WebhookFixtures {
    static let directory = Sharevault.packageRoot.appendingPathComponent("fixtures/webhooks")

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    static func object(at path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The share JSON that a body carries as a string, parsed.
    static func shareObject(inBody path: String) throws -> [String: Any] {
        let share = try #require(try object(at: path)["share"] as? String)
        return try #require(try JSONSerialization.jsonObject(with: Data(share.utf8)) as? [String: Any])
    }
}

/// One share read from a fixture, independently of the product's parser: identifier and value in the
/// curve's scalar encoding.
struct FixtureShare {
    let identifier: [UInt8]
    let value: [UInt8]

    /// The custodian share of a body's share JSON (native, or Portal's custodian layout in any case).
    static func custodian(_ json: [String: Any], curve: CurveID) throws -> FixtureShare {
        if json["format"] != nil {
            return FixtureShare(
                identifier: try Hex.decode(try #require(json["identifier"] as? String)),
                value: try Hex.decode(try #require(json["share"] as? String)))
        }
        let fields = lowercased(json)
        return FixtureShare(
            identifier: try scalar(fields["serverbk"], curve: curve), value: try scalar(fields["share"], curve: curve))
    }

    /// The client share of a `*.client-share.json` (native, or Portal's MpcShare layout).
    static func client(_ json: [String: Any], curve: CurveID) throws -> FixtureShare {
        if json["format"] != nil { return try custodian(json, curve: curve) }
        let fields = lowercased(json)
        let bks = lowercased(try #require(fields["bks"] as? [String: Any]))
        let client = lowercased(try #require(bks["client"] as? [String: Any]))
        return FixtureShare(
            identifier: try scalar(client["x"], curve: curve), value: try scalar(fields["share"], curve: curve))
    }

    /// The public key a share JSON states, in the curve's point encoding, hex.
    static func publicKey(of json: [String: Any], curve: CurveID) throws -> String {
        if json["format"] != nil { return try #require(json["publicKey"] as? String) }
        var fields = lowercased(json)
        if let pubkey = fields["pubkey"] as? [String: Any] { fields = lowercased(pubkey) }
        let xText = try #require(fields["x"] as? String)
        let yText = try #require(fields["y"] as? String)
        let x = try #require(DecimalText.bigEndian(xText))
        let y = try #require(DecimalText.bigEndian(yText))
        switch curve {
        case .secp256k1:
            return Hex.encode([0x02 | (y[31] & 1)] + x)
        case .ed25519:
            var encoded = Array(y.reversed())
            encoded[31] |= (x[31] & 1) << 7
            return Hex.encode(encoded)
        }
    }

    /// Recombines shares with ShareMath and returns the public key of the result.
    static func combinedPublicKey(_ shares: [FixtureShare], curve: CurveID) throws -> String {
        func on<C: Curve>(_: C.Type) throws -> String {
            let parsed = try shares.map { share in
                Share<C>(
                    identifier: try Scalar<C>(decoding: share.identifier), value: try Scalar<C>(decoding: share.value))
            }
            return Hex.encode(C.baseMultiply(try Shamir<C>.combine(parsed, threshold: 2)).encoded)
        }
        switch curve {
        case .secp256k1: return try on(Secp256k1.self)
        case .ed25519: return try on(Ed25519.self)
        }
    }

    func publicShareHex(curve: CurveID) throws -> String {
        switch curve {
        case .secp256k1: return Hex.encode(Secp256k1.baseMultiply(try Scalar(decoding: value)).encoded)
        case .ed25519: return Hex.encode(Ed25519.baseMultiply(try Scalar(decoding: value)).encoded)
        }
    }

    private static func lowercased(_ json: [String: Any]) -> [String: Any] {
        Dictionary(json.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// A decimal string in the curve's scalar encoding (ed25519: little-endian).
    private static func scalar(_ value: Any?, curve: CurveID) throws -> [UInt8] {
        let text = try #require(value as? String)
        let bytes = try #require(DecimalText.bigEndian(text))
        return curve == .ed25519 ? bytes.reversed() : bytes
    }
}

/// Decimal big-integer strings, as Portal writes scalars and coordinates.
enum DecimalText {
    /// The value as 32 big-endian bytes; nil for a non-digit or a value of 2^256 or more.
    static func bigEndian(_ text: String) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for digit in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            var carry = UInt32(digit - UInt8(ascii: "0"))
            for index in stride(from: 31, through: 0, by: -1) {
                let value = UInt32(bytes[index]) * 10 + carry
                bytes[index] = UInt8(truncatingIfNeeded: value)
                carry = value >> 8
            }
            guard carry == 0 else { return nil }
        }
        return bytes
    }

    /// The decimal string of a big-endian integer.
    static func text(bigEndian bytes: [UInt8]) -> String {
        var remaining = bytes
        var digits: [UInt8] = []
        while remaining.contains(where: { $0 != 0 }) {
            var remainder: UInt32 = 0
            for index in remaining.indices {
                let value = remainder << 8 | UInt32(remaining[index])
                remaining[index] = UInt8(value / 10)
                remainder = value % 10
            }
            digits.append(UInt8(remainder) + UInt8(ascii: "0"))
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }
}

// MARK: - Vaults for tests

/// What `list --json` and `audit --json` show: equal snapshots mean a command changed nothing visible.
struct VaultSnapshot: Equatable, CustomStringConvertible {
    let list: String
    let audit: String
    var description: String { "list:\n\(list)\naudit:\n\(audit)" }
}

/// A vault in its own scratch directory; `run` passes `--vault` and an environment free of the caller's
/// sharevault variables.
final class TestVault {
    let scratch: ScratchDirectory
    var path: String { scratch.path("vault.db") }
    var keyPath: String { path + ".key" }

    /// The sharevault variables a developer's shell may set, emptied (an empty value counts as unset).
    static let quietEnvironment = [
        "SHAREVAULT_VAULT": "", "SHAREVAULT_PASSPHRASE": "", "SHAREVAULT_BACKUP_PASSWORD": "",
        "SHAREVAULT_LOG_LEVEL": "",
    ]

    init() throws { scratch = try ScratchDirectory() }

    /// A new vault made with `sharevault init`.
    static func initialized(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> TestVault {
        let vault = try TestVault()
        let result = try vault.run(["init"] + arguments, environment: environment)
        #expect(result.status == 0, "init: \(result.stderr)")
        return vault
    }

    /// Runs `sharevault arguments... --vault PATH` (without `--vault` when `vault` is false).
    func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], vault: Bool = true
    ) throws -> CommandResult {
        try Sharevault.run(
            arguments + (vault ? ["--vault", path] : []), in: scratch.url, stdin: stdin,
            environment: Self.quietEnvironment.merging(environment) { _, new in new })
    }

    /// Runs the command with `--json`, expects status 0 and returns the parsed output.
    func json(_ arguments: [String], environment: [String: String] = [:]) throws -> Any {
        let result = try run(arguments + ["--json"], environment: environment)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    func snapshot() throws -> VaultSnapshot {
        let list = try run(["list", "--json"])
        let audit = try run(["audit", "--json"])
        #expect(list.status == 0 && audit.status == 0, "\(list.stderr) \(audit.stderr)")
        return VaultSnapshot(list: list.stdout, audit: audit.stdout)
    }

    /// Sets a file's permission bits.
    func chmod(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

/// A vault with one good fixture ingested, made once per test run; each test works on its own copy.
final class TemplateVault: Sendable {
    let directory: String
    let snapshot: VaultSnapshot

    static let shared: Result<TemplateVault, any Error> = Result { try TemplateVault() }

    private init() throws {
        let vault = try TestVault()
        for arguments in [["init"], ["ingest", "custodian", IngestFixtureTests.good[0].bodyPath]] {
            let result = try vault.run(arguments)
            guard result.status == 0 else { throw TemplateError(message: "\(arguments): \(result.stderr)") }
        }
        snapshot = try vault.snapshot()
        // Keep the files past the scratch directory's life: move them to a folder removed at exit.
        let keep = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sharevault-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
        for name in ["vault.db", "vault.db.key"] {
            try FileManager.default.copyItem(
                atPath: vault.scratch.path(name), toPath: keep.appendingPathComponent(name).path)
        }
        directory = keep.path
        TemplateCleanup.register(directory)
    }

    /// A copy of the template vault and key in a new scratch directory.
    func copy() throws -> TestVault {
        let vault = try TestVault()
        for name in ["vault.db", "vault.db.key"] {
            try FileManager.default.copyItem(
                atPath: (directory as NSString).appendingPathComponent(name), toPath: vault.scratch.path(name))
            try vault.chmod(vault.scratch.path(name), 0o600)
        }
        return vault
    }
}

struct TemplateError: Error, CustomStringConvertible {
    let message: String
    var description: String { "the template vault could not be made: \(message)" }
}

/// Removes the template vault's folder when the test process exits.
enum TemplateCleanup {
    nonisolated(unsafe) static var directory: String?

    static func register(_ path: String) {
        directory = path
        atexit {
            if let directory = TemplateCleanup.directory { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
}
