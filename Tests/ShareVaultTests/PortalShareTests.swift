import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// Portal's layouts as `PortalShareWriter` writes them and `ShareParser` reads them, on both curves: every stated
/// value comes back; each checked field, corrupted, is named by the error; the client plaintext's four forms
/// give the same share; and backup method names parse by their laws.
@Suite struct PortalShareTests {
    /// A random 2-of-2 pair on `C`, with random identifiers (Portal's `bk`s are arbitrary scalars).
    struct RandomPair<C: Curve> {
        let pair: PortalShareWriter.Pair<C>
        let dealing: Dealing<C>

        init() throws {
            let identifiers = [Scalar<C>.random(), Scalar<C>.random()]
            dealing = try Dealing<C>.split(secret: .random(), threshold: 2, identifiers: identifiers)
            pair = PortalShareWriter.Pair(
                clientId: "client-\(UUID().uuidString)", backupSharePairId: PortalShareWriter.pairId(),
                signingSharePairId: PortalShareWriter.pairId(), publicKey: dealing.publicKey, client: dealing.shares[0],
                custodian: dealing.shares[1])
        }

        var custodianJSON: String { PortalShareWriter.custodianJSON(pair).text }
        var clientJSON: String { PortalShareWriter.clientJSON(pair).text }
    }

    /// The field a document error names.
    static func field(_ error: DocumentError) -> String? {
        switch error {
        case .missingField(let field), .ambiguousField(let field): return field
        case .wrongType(let field, _), .invalidField(let field, _), .outOfRange(let field, _): return field
        default: return nil
        }
    }

    /// The field named by the error `body` throws, or nil when it throws none.
    static func failingField(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as DocumentError {
            return field(error) ?? "\(error)"
        } catch {
            return "not a DocumentError: \(error)"
        }
    }

    /// A JSON document edited as Foundation objects and written back.
    static func edited(_ json: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func randomPointCoordinates<C: Curve>(_: C.Type) -> (x: String, y: String) {
        PortalShareWriter.coordinates(C.baseMultiply(.random()))
    }

    // MARK: Reading what the writer writes

    @Test func theCustodianJSONReadsBackOnBothCurves() async {
        await propertyCheck(count: 20, input: Gen.bool) { onEd25519 in
            if onEd25519 {
                try Self.custodianReadsBack(Ed25519.self)
            } else {
                try Self.custodianReadsBack(Secp256k1.self)
            }
        }
    }

    static func custodianReadsBack<C: Curve>(_: C.Type) throws {
        let random = try RandomPair<C>()
        let parsed = try ShareParser.parse(Data(random.custodianJSON.utf8), as: C.self)
        #expect(parsed.layout == .portalCustodian)
        #expect(parsed.threshold == 2)
        #expect(parsed.share.identifier == random.dealing.shares[1].identifier)
        #expect(parsed.share.value == random.dealing.shares[1].value)
        #expect(parsed.publicKey == random.dealing.publicKey)
        #expect(parsed.partnerIdentifier == random.dealing.shares[0].identifier)
        #expect(parsed.partnerPublicShare == C.baseMultiply(random.dealing.shares[0].value))
        #expect(parsed.backupSharePairId == random.pair.backupSharePairId)
        #expect(parsed.commitments == nil)

        let client = try ShareParser.parse(Data(random.clientJSON.utf8), as: C.self)
        #expect(client.layout == .portalClient)
        #expect(client.share.identifier == random.dealing.shares[0].identifier)
        #expect(client.share.value == random.dealing.shares[0].value)
        #expect(client.publicKey == random.dealing.publicKey)
        #expect(client.partnerIdentifier == random.dealing.shares[1].identifier)
        #expect(client.partnerPublicShare == C.baseMultiply(random.dealing.shares[1].value))
        #expect(client.backupSharePairId == random.pair.backupSharePairId)

        // The two halves interpolate to the key.
        #expect(
            try Shamir<C>.combine([parsed.share, client.share], threshold: 2)
                == Shamir<C>.combine(random.dealing.shares, threshold: 2))
    }

    @Test func theCurveIsFoundFromThePoint() async {
        await propertyCheck(count: 20, input: Gen.bool, Gen.bool) { onEd25519, statedWrong in
            if onEd25519 {
                try Self.curveIsFound(Ed25519.self, stated: statedWrong ? .secp256k1 : nil)
            } else {
                try Self.curveIsFound(Secp256k1.self, stated: statedWrong ? .ed25519 : nil)
            }
        }
    }

    static func curveIsFound<C: Curve>(_: C.Type, stated: CurveID?) throws {
        let random = try RandomPair<C>()
        let custodian = try ShareParser.layoutAndCurve(of: Data(random.custodianJSON.utf8), stated: stated)
        #expect(custodian.0 == .portalCustodian && custodian.1 == C.id)
        let client = try ShareParser.layoutAndCurve(of: Data(random.clientJSON.utf8), stated: stated)
        #expect(client.0 == .portalClient && client.1 == C.id)
        // Without `pubkey`, the server's partial public key shows the curve.
        let withoutKey = try Self.edited(random.clientJSON) { $0["pubkey"] = nil }
        let fromPartial = try ShareParser.layoutAndCurve(of: withoutKey, stated: stated)
        #expect(fromPartial.0 == .portalClient && fromPartial.1 == C.id)
    }

    @Test func aPointOnNeitherCurveIsNamedUnlessACurveIsStated() throws {
        let random = try RandomPair<Secp256k1>()
        let offCurve = try Self.edited(random.custodianJSON) {
            $0["x"] = "1"
            $0["y"] = "1"
        }
        #expect(Self.failingField { _ = try ShareParser.layoutAndCurve(of: offCurve, stated: nil) } == "x, y")
        #expect(try ShareParser.layoutAndCurve(of: offCurve, stated: .ed25519).1 == .ed25519)
        // The parse on the stated curve then names the point.
        #expect(Self.failingField { _ = try ShareParser.parse(offCurve, as: Ed25519.self) } == "x, y")
        #expect(Self.failingField { _ = try ShareParser.parse(offCurve, as: Secp256k1.self) } == "x, y")
    }

    // MARK: Corruptions, each named by its field

    @Test(arguments: CurveID.allCases)
    func eachCheckedCustodianFieldIsNamedWhenWrong(curve: CurveID) throws {
        switch curve {
        case .secp256k1: try Self.custodianCorruptions(Secp256k1.self)
        case .ed25519: try Self.custodianCorruptions(Ed25519.self)
        }
    }

    static func custodianCorruptions<C: Curve>(_: C.Type) throws {
        let random = try RandomPair<C>()
        func parse(_ data: Data) -> String? { failingField { _ = try ShareParser.parse(data, as: C.self) } }
        #expect(parse(Data(random.custodianJSON.utf8)) == nil)

        let server = randomPointCoordinates(C.self)
        #expect(
            parse(
                try edited(random.custodianJSON) {
                    $0["serverPartialPubKey_x"] = server.x
                    $0["serverPartialPubKey_y"] = server.y
                }) == "serverPartialPubKey_x, serverPartialPubKey_y")

        let client = randomPointCoordinates(C.self)
        #expect(
            parse(
                try edited(random.custodianJSON) {
                    $0["clientPartialPubKey_x"] = client.x
                    $0["clientPartialPubKey_y"] = client.y
                }) == "clientPartialPubKey_x, clientPartialPubKey_y")

        // Swapped identifiers: share·G still matches, but the partial keys no longer interpolate to the key.
        #expect(
            parse(
                try edited(random.custodianJSON) {
                    let clientBk = $0["clientBk"]
                    $0["clientBk"] = $0["serverBk"]
                    $0["serverBk"] = clientBk
                }) == "clientPartialPubKey_x, clientPartialPubKey_y")

        // Another key.
        let key = randomPointCoordinates(C.self)
        #expect(
            parse(
                try edited(random.custodianJSON) {
                    $0["x"] = key.x
                    $0["y"] = key.y
                }) == "clientPartialPubKey_x, clientPartialPubKey_y")

        #expect(parse(try edited(random.custodianJSON) { $0["serverBk"] = $0["clientBk"] }) == "serverBk")
        #expect(parse(try edited(random.custodianJSON) { $0["share"] = nil }) == "share")
        #expect(parse(try edited(random.custodianJSON) { $0["clientBk"] = nil }) == "clientBk")
        #expect(parse(try edited(random.custodianJSON) { $0["share"] = "12x" }) == "share")
        #expect(parse(try edited(random.custodianJSON) { $0["share"] = ["1"] }) == "share")
        #expect(parse(try edited(random.custodianJSON) { $0["backupSharePairId"] = 7 }) == "backupSharePairId")

        // A key given twice, in the same or another case, is refused naming both spellings.
        let text = random.custodianJSON
        let twice = "{\"SHARE\":\"1\"," + text.dropFirst()
        #expect(parse(Data(twice.utf8)) == "SHARE\" and \"share")
        let again = "{\"serverBk\":\"1\"," + text.dropFirst()
        #expect(parse(Data(again.utf8)) == "serverBk")
        #expect(
            failingField { _ = try ShareParser.layoutAndCurve(of: Data(twice.utf8), stated: nil) }
                == "SHARE\" and \"share")
    }

    @Test(arguments: CurveID.allCases)
    func eachCheckedClientFieldIsNamedWhenWrong(curve: CurveID) throws {
        switch curve {
        case .secp256k1: try Self.clientCorruptions(Secp256k1.self)
        case .ed25519: try Self.clientCorruptions(Ed25519.self)
        }
    }

    static func clientCorruptions<C: Curve>(_: C.Type) throws {
        let random = try RandomPair<C>()
        func parse(_ data: Data) -> String? { failingField { _ = try ShareParser.parse(data, as: C.self) } }
        func bks(_ edit: @escaping (inout [String: Any], inout [String: Any]) -> Void) throws -> Data {
            try edited(random.clientJSON) { object in
                var bks = object["bks"] as! [String: Any]
                var client = bks["client"] as! [String: Any]
                var server = bks["server"] as! [String: Any]
                edit(&client, &server)
                bks["client"] = client
                bks["server"] = server
                object["bks"] = bks
            }
        }
        #expect(parse(Data(random.clientJSON.utf8)) == nil)

        // Rank: 0 as a number or a string is read; anything else is refused by name.
        #expect(parse(try bks { client, _ in client["Rank"] = 1 }) == "bks.client.Rank")
        #expect(parse(try bks { _, server in server["Rank"] = 1 }) == "bks.server.Rank")
        #expect(parse(try bks { client, _ in client["Rank"] = "2" }) == "bks.client.Rank")
        #expect(parse(try bks { client, _ in client["Rank"] = "x" }) == "bks.client.Rank")
        #expect(parse(try bks { client, server in (client["Rank"], server["Rank"]) = ("0", "0") }) == nil)
        #expect(parse(try bks { client, server in (client["Rank"], server["Rank"]) = (nil, nil) }) == nil)
        #expect(parse(try bks { client, server in server["X"] = client["X"] }) == "bks.client.X")

        func partial(_ name: String, _ edit: @escaping (inout [String: Any]) -> Void) throws -> Data {
            try edited(random.clientJSON) { object in
                var partial = object["partialPubkey"] as! [String: Any]
                edit(&partial)
                object["partialPubkey"] = nil
                object[name] = partial
            }
        }
        let other = randomPointCoordinates(C.self)
        for name in ["partialPubkey", "partialPublicKey"] {
            #expect(parse(try partial(name) { _ in }) == nil, "\(name)")
            #expect(
                parse(try partial(name) { $0["client"] = ["X": other.x, "Y": other.y] })
                    == "\(name).client.X, \(name).client.Y")
            #expect(
                parse(try partial(name) { $0["server"] = ["X": other.x, "Y": other.y] })
                    == "\(name).server.X, \(name).server.Y")
        }
        let key = randomPointCoordinates(C.self)
        #expect(
            parse(try edited(random.clientJSON) { $0["pubkey"] = ["X": key.x, "Y": key.y] })
                == "partialPubkey.server.X, partialPubkey.server.Y")
        #expect(
            parse(
                try edited(random.clientJSON) {
                    $0["pubkey"] = nil
                    $0["partialPubkey"] = nil
                }) == "pubkey")

        // A key given twice, here inside `bks.client`.
        let text = random.clientJSON
        let nested = text.replacingOccurrences(
            of: "\"client\":{\"Rank\":0,", with: "\"client\":{\"Rank\":0,\"rank\":0,")
        #expect(nested != text)
        #expect(parse(Data(nested.utf8)) == "Rank\" and \"rank")
    }

    @Test(arguments: CurveID.allCases)
    func theKeyIsComputedFromThePartialKeysWhenPubkeyIsLeftOut(curve: CurveID) throws {
        switch curve {
        case .secp256k1: try Self.keyFromPartialKeys(Secp256k1.self)
        case .ed25519: try Self.keyFromPartialKeys(Ed25519.self)
        }
    }

    static func keyFromPartialKeys<C: Curve>(_: C.Type) throws {
        for name in ["partialPubkey", "partialPublicKey"] {
            let random = try RandomPair<C>()
            let data = try edited(random.clientJSON) { object in
                object["pubkey"] = nil
                object[name] = object.removeValue(forKey: "partialPubkey")
            }
            let parsed = try ShareParser.parse(data, as: C.self)
            #expect(parsed.publicKey == random.dealing.publicKey, "\(name)")
            #expect(parsed.share.value == random.dealing.shares[0].value)
        }
    }

    // MARK: The client plaintext's forms

    @Test func everyClientPlaintextFormGivesTheSameShare() async {
        await propertyCheck(count: 10, input: Gen.bool) { onEd25519 in
            if onEd25519 { try Self.plaintextForms(Ed25519.self) } else { try Self.plaintextForms(Secp256k1.self) }
        }
    }

    static func unpaddedBase64(_ text: String) -> String {
        String(Data(text.utf8).base64EncodedString().reversed().drop { $0 == "=" }.reversed())
    }

    static func plaintextForms<C: Curve>(_: C.Type) throws {
        let random = try RandomPair<C>()
        let otherCurve: CurveID = C.id == .secp256k1 ? .ed25519 : .secp256k1
        let mpcShare = random.clientJSON
        let native = ShareDocument.documents(for: random.dealing)[0].exportJSON().text
        let forms: [(String, String)] = [
            (
                "wrapper",
                PortalShareWriter.plaintext([
                    (otherCurve, "other", "{}".secure), (C.id, random.pair.backupSharePairId, mpcShare.secure),
                ]).text
            ),
            ("wrapper of base64", PortalShareWriter.plaintext([(C.id, "id", unpaddedBase64(mpcShare).secure)]).text),
            ("wrapper of a native document", PortalShareWriter.plaintext([(C.id, "id", native.secure)]).text),
            ("MpcShare", mpcShare),
            ("MpcShare with whitespace", "\n  " + mpcShare + "\n"),
            ("unpadded base64", unpaddedBase64(mpcShare)),
            ("padded base64", Data(mpcShare.utf8).base64EncodedString()),
            ("native document", native),
        ]
        for (name, plaintext) in forms {
            let reading = try ClientPlaintext.share(Data(plaintext.utf8), as: C.self)
            #expect(reading.share.identifier == random.dealing.shares[0].identifier, "\(name)")
            #expect(reading.share.value == random.dealing.shares[0].value, "\(name)")
            #expect(reading.publicKey == random.dealing.publicKey.encoded, "\(name)")
        }

        // A wrapper without this curve's entry, or whose share is not a string, is named.
        let onlyOther = PortalShareWriter.plaintext([(otherCurve, "other", "{}".secure)]).text
        #expect(throws: DocumentError.missingField(ClientPlaintext.wrapperKey(C.id))) {
            try ClientPlaintext.share(Data(onlyOther.utf8), as: C.self)
        }
        let notString = "{\"\(ClientPlaintext.wrapperKey(C.id))\":{\"id\":\"x\",\"share\":{}}}"
        #expect(
            throws: DocumentError.wrongType(field: "\(ClientPlaintext.wrapperKey(C.id)).share", expected: "a string")
        ) {
            try ClientPlaintext.share(Data(notString.utf8), as: C.self)
        }
        // Base64 of base64 is not read (one level only), nor is text that is neither.
        #expect(throws: DocumentError.self) {
            try ClientPlaintext.share(Data(unpaddedBase64(unpaddedBase64(mpcShare)).utf8), as: C.self)
        }
        #expect(throws: DocumentError.self) { try ClientPlaintext.share(Data("not a share".utf8), as: C.self) }
        // The wrapper's key in two cases is refused.
        let twice =
            "{\"\(ClientPlaintext.wrapperKey(C.id))\":{\"share\":\"{}\"},\"\(C.id.rawValue)\":{\"share\":\"{}\"}}"
        #expect(throws: DocumentError.ambiguousField("\(ClientPlaintext.wrapperKey(C.id))\" and \"\(C.id.rawValue)")) {
            try ClientPlaintext.share(Data(twice.utf8), as: C.self)
        }
    }

    // MARK: Backup methods

    /// Printable ASCII, 1 to `count` characters.
    static func printable(_ random: inout SplitMix, count: ClosedRange<Int>) -> String {
        let length = count.lowerBound + Int(random.next() % UInt64(count.count))
        return String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(0x20 + random.next() % 0x5F))) })
    }

    @Test func anyPrintableASCIIMethodNameRoundTrips() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let text = Self.printable(&random, count: 1...64)
            let method = try BackupMethod(parsing: text)
            let suffix = CurveID.allCases.first {
                text.count > $0.rawValue.count + 1 && text.lowercased().hasSuffix("-" + $0.rawValue)
            }
            #expect(method.curve == suffix, "\(text)")
            #expect(method.name == (suffix.map { String(text.dropLast($0.rawValue.count + 1)) } ?? text), "\(text)")
            #expect(method.description.lowercased() == text.lowercased())
            #expect(try BackupMethod(parsing: method.description) == method)
        }
    }

    @Test func aCurveSuffixInAnyCaseIsSplitOff() async {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.bool) { seed, onEd25519 in
            var random = SplitMix(seed: seed)
            let curve: CurveID = onEd25519 ? .ed25519 : .secp256k1
            let name = Self.printable(&random, count: 1...(64 - curve.rawValue.count - 1))
            guard !CurveID.allCases.contains(where: { name.lowercased().hasSuffix("-" + $0.rawValue) }) else { return }
            let suffix = "-" + String(curve.rawValue.map { random.next() % 2 == 0 ? Character($0.uppercased()) : $0 })
            let method = try BackupMethod(parsing: name + suffix)
            #expect(method.name == name)
            #expect(method.curve == curve)
            #expect(method.description == name + "-" + curve.rawValue.uppercased())
            #expect(method.withoutCurve == BackupMethod(name: name, curve: nil))
            #expect(try BackupMethod(parsing: name) == method.withoutCurve)
        }
    }

    @Test func emptyOverlongAndNonPrintableMethodsAreRefused() async throws {
        #expect(throws: VaultError.invalidMethod("")) { try BackupMethod(parsing: "") }
        let longest = String(repeating: "A", count: 64)
        #expect(try BackupMethod(parsing: longest).name == longest)
        #expect(throws: VaultError.invalidMethod(longest + "B")) { try BackupMethod(parsing: longest + "B") }
        // Only the suffix alone is a name, not a curve.
        #expect(try BackupMethod(parsing: "-ed25519") == BackupMethod(name: "-ed25519", curve: nil))
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            var text = Array(Self.printable(&random, count: 1...64).unicodeScalars)
            let bad: [Unicode.Scalar] = [
                "\u{0}", "\u{9}", "\n", "\u{1F}", "\u{7F}", "\u{80}", "\u{E9}", "\u{2028}", "\u{1F600}",
            ]
            text.insert(bad[Int(random.next() % UInt64(bad.count))], at: Int(random.next() % UInt64(text.count + 1)))
            let string = String(String.UnicodeScalarView(text))
            #expect(throws: VaultError.invalidMethod(string)) { try BackupMethod(parsing: string) }
            // Too long: 65 or more printable characters.
            let long = Self.printable(&random, count: 65...80)
            #expect(throws: VaultError.invalidMethod(long)) { try BackupMethod(parsing: long) }
        }
    }
}

/// The client plaintext's base64 form is decoded by libsodium into guarded memory: it must agree with Foundation's
/// decoder on every length, padded or not, with surrounding whitespace, and refuse what is not base64.
@Suite struct ClientPlaintextBase64Tests {
    @Test func libsodiumsDecodingAgreesWithFoundationOnRandomData() {
        var generator = SystemRandomNumberGenerator()
        for length in 1...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let padded = Data(bytes).base64EncodedString()
            let unpadded = String(padded.prefix { $0 != "=" })
            for text in [padded, unpadded, " \(unpadded)\n", "\t\(padded)\r\n"] {
                let decoded = Array(text.utf8).withUnsafeBytes { ClientPlaintext.unpaddedBase64($0) }
                #expect(decoded?.withUnsafeBytes { Array($0) } == bytes, "\(length): \(text)")
            }
        }
    }

    @Test(arguments: ["", "   ", "=", "a", "ab=c", "abc==", "abcd=", "ab$c", "YWJj=", "YQ==="])
    func whatIsNotBase64IsRefused(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { ClientPlaintext.unpaddedBase64($0) } == nil, "\(text)")
    }
}
