import BigInt
import Foundation
import PropertyBased
import Testing

@testable import ShareMath
@testable import ShareVault

/// Secrets read from documents go into guarded memory and nowhere else, and secrets written into documents are
/// laid out there: the secret members StrictJSON guards, the writer of documents holding secrets, the decimal
/// conversions of secrets, and the webhook body's share.
@Suite struct SecretMemoryTests {
    static func parse(_ text: String) throws(DocumentError) -> JSONValue { try StrictJSON.parse(Data(text.utf8)) }

    @Test func secretMembersAreReadIntoGuardedMemoryAtAnyDepthInAnyCase() throws {
        let value = try Self.parse(
            #"{"Share":"a\"b\u00e9\ud83d\ude00","outer":{"p":12345,"Q":"","pailler_P":"99","n":"7"},"#
                + #""list":[{"share":"7"}],"other":"x","share2":"no","pailler_q":{"share":"8"}}"#)
        guard case .secretString(let share)? = value["share"] else {
            Issue.record("share is not guarded: \(String(describing: value["share"]))")
            return
        }
        #expect(share.text == "a\"b\u{E9}\u{1F600}")
        guard case .secretNumber(let p)? = value["outer"]?["p"] else {
            Issue.record("p is not guarded")
            return
        }
        #expect(p.text == "12345")
        // An empty string holds nothing to guard (and SecureBytes is never empty).
        #expect(value["outer"]?["q"] == .string(""))
        guard case .secretString(let pailler)? = value["outer"]?["pailler_p"],
            case .array(let list)? = value["list"], case .secretString(let inList)? = list.first?["share"],
            case .secretString(let nested)? = value["pailler_q"]?["share"]
        else {
            Issue.record("a secret member at depth is not guarded")
            return
        }
        #expect(pailler.text == "99" && inList.text == "7" && nested.text == "8")
        // A non-secret name, even one that starts like a secret's, is a plain string; an object under a secret's
        // name stays an object.
        #expect(value["outer"]?["n"] == .string("7"))
        #expect(value["other"] == .string("x"))
        #expect(value["share2"] == .string("no"))
        #expect(value["pailler_q"]?.isObject == true)
        // Whatever lies below a secret member is guarded too: a secret in the wrong shape is still a secret.
        let deep = try Self.parse(#"{"p":["1",{"x":"2","n":3}],"share":{"v":"4"},"id":["5"]}"#)
        guard case .array(let items)? = deep["p"], case .secretString(let first)? = items.first,
            case .secretString(let x)? = items.last?["x"], case .secretNumber(let n)? = items.last?["n"],
            case .secretString(let v)? = deep["share"]?["v"]
        else {
            Issue.record("a value nested under a secret member is not guarded: \(deep)")
            return
        }
        #expect(first.text == "1" && x.text == "2" && n.text == "3" && v.text == "4")
        #expect(deep["id"] == .array([.string("5")]))
        // Printing the tree shows no secret.
        let printed = String(describing: value) + String(reflecting: value)
        for secret in ["12345", "a\\\"b", "99\""] { #expect(!printed.contains(secret), "\(secret)") }
    }

    @Test func aSecretStringIsCheckedAsStrictlyAsAnyOther() {
        let cases: [([UInt8], String)] = [
            (Array(#"{"share":"ab"#.utf8), "a string is not closed"),
            (Array(#"{"share":"a"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), "a string is not valid UTF-8"),
            (Array(#"{"share":"a\x"}"#.utf8), "a bad escape in a string"),
            (Array(#"{"share":"\ud800"}"#.utf8), "an unpaired surrogate in a string"),
            (Array(#"{"share":"a"#.utf8) + [0x01] + Array(#""}"#.utf8), "a control character inside a string"),
            (Array(#"{"share":01}"#.utf8), "not a valid number"),
        ]
        for (bytes, message) in cases {
            #expect(throws: DocumentError.self, "\(message)") { try StrictJSON.parse(Data(bytes)) }
            do {
                _ = try StrictJSON.parse(Data(bytes))
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    /// Text with everything JSON escapes (quotes, backslashes, controls), Latin-1, the BMP and beyond it.
    static let awkwardText = Gen.int(in: 0...11).array(of: 1...40).map { picks in
        String(
            String.UnicodeScalarView(
                picks.map { pick -> Unicode.Scalar in
                    [
                        "\"", "\\", "\u{0}", "\u{1F}", "\n", "/", "a", "Z", "\u{E9}", "\u{2028}", "\u{FEFF}",
                        "\u{1F600}",
                    ][
                        pick]
                }))
    }

    @Test("SecretJSON writes a secret string that StrictJSON reads back byte for byte, as Foundation reads it")
    func secretStringsRoundTrip() async {
        await propertyCheck(count: 300, input: Self.awkwardText, Self.awkwardText) { secret, visible in
            let written = SecretJSON.object([
                ("id", .string(visible)), ("share", .secretString(secret.secure)),
                ("inner", .object([("p", .secretNumber("12345".secure)), ("list", .array([.integer(-3)]))])),
            ]).encoded()
            let text = Data(written.text.utf8)
            let read = try StrictJSON.parse(text)
            guard case .secretString(let share)? = read["share"] else {
                Issue.record("share not read as a secret")
                return
            }
            #expect(share.text == secret)
            #expect(read["id"] == .string(visible))
            guard case .secretNumber(let p)? = read["inner"]?["p"] else {
                Issue.record("p not read as a secret")
                return
            }
            #expect(p.text == "12345")
            let foundation = try JSONSerialization.jsonObject(with: text) as? [String: Any]
            // Foundation on Linux drops U+FEFF inside strings; compare without it.
            func plain(_ text: String?) -> String? { text.map { $0.replacingOccurrences(of: "\u{FEFF}", with: "") } }
            #expect(plain(foundation?["share"] as? String) == plain(secret))
            #expect(plain(foundation?["id"] as? String) == plain(visible))
        }
    }

    @Test("secretDecimal agrees with BigUInt's decimal on random integers of 1 to 128 bytes")
    func secretDecimalAgreesWithBigUInt() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 1...128), Gen.int(in: 0...3)) { bytes, zeros in
            let padded = [UInt8](repeating: 0, count: zeros) + bytes
            let digits = padded.withUnsafeBytes { DecimalInteger.secretDecimal(bigEndian: $0) }
            #expect(digits.text == BigUInt(Data(padded)).description)
            if padded.count <= 32 {
                let back = digits.withUnsafeBytes { DecimalInteger.secretBigEndian(digits: $0) }
                let expected = [UInt8](repeating: 0, count: 32 - padded.count) + padded
                #expect(back.map { $0.withUnsafeBytes { Array($0) } } == expected)
            }
        }
    }

    @Test func theHexOfASecretIsLowercaseAndDecodesBack() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 1...64)) { bytes in
            let hex = bytes.withUnsafeBytes { Hex.encodeSecret($0) }
            #expect(hex.text == Hex.encode(bytes))
            #expect((try? Hex.decodeSecret(hex.text))?.withUnsafeBytes { Array($0) } == bytes)
        }
    }

    @Test func aWebhookBodysShareStaysGuardedAndIsNeverPrinted() throws {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let document = ShareDocument.documents(for: dealing)[1]
        let shareHex = document.share.value.withEncoding { Hex.encode($0) }
        let share = document.exportJSON()
        #expect(share.text.contains(shareHex))
        let body = WebhookBody.encoded(clientId: "c1", share: share, backupMethod: "GDRIVE-SECP256K1")
        let parsed = try WebhookBody.parse(Data(body.text.utf8))
        #expect(parsed.share == share)
        var dumped = ""
        dump(parsed, to: &dumped)
        for printed in [String(describing: parsed), String(reflecting: parsed), dumped] {
            #expect(!printed.contains(shareHex))
            #expect(printed.contains("c1"))
        }
    }
}

/// Native share documents, now read by StrictJSON instead of JSONDecoder, are read as liberally as before.
@Suite struct NativeDocumentReadingTests {
    static func document(replacing old: String, with new: String) throws -> Data {
        let dealing = try Dealing<Secp256k1>.split(
            secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
        let text = ShareDocument.documents(for: dealing)[0].exportJSON().text
        #expect(text.contains(old))
        return Data(text.replacingOccurrences(of: old, with: new).utf8)
    }

    @Test(arguments: ["2", "2.0", "2e0", "20e-1"])
    func aWholeThresholdHoweverWrittenIsRead(threshold: String) throws {
        let data = try Self.document(replacing: "\"threshold\":2", with: "\"threshold\":\(threshold)")
        #expect(try ShareParser.parse(data, as: Secp256k1.self).threshold == 2)
        #expect(try AnyShareDocument.decode(data).curve == .secp256k1)
    }

    @Test(arguments: ["2.5", "\"2\"", "true", "1e400", "-2"])
    func aThresholdThatIsNotAWholeNumberIsRefusedByName(threshold: String) throws {
        let data = try Self.document(replacing: "\"threshold\":2", with: "\"threshold\":\(threshold)")
        do {
            _ = try AnyShareDocument.decode(data)
            Issue.record("threshold \(threshold) was accepted")
        } catch {
            #expect("\(error)".contains("threshold"), "\(error)")
        }
    }
}
