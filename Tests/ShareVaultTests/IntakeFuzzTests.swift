import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// The parsers of outside input, fuzzed from real payloads: every good webhook fixture and Portal's client
/// plaintext, mutated (bytes flipped, cut short, spliced, a share field renamed in another case or given
/// twice). Whatever comes in is read or refused with a `DocumentError` or a `VaultError`, never a crash; and
/// a refused input names no secret of the payload it came from.
@Suite struct IntakeFuzzTests {
    static let good = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/webhooks/good")

    static let bodies: [[UInt8]] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: good.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.contains(".client-") && !$0.hasPrefix("portal.") }.sorted()
            .compactMap { try? [UInt8](Data(contentsOf: good.appendingPathComponent($0))) }
    }()

    static let plaintext =
        (try? [UInt8](Data(contentsOf: good.appendingPathComponent("portal.client-plaintext.json")))) ?? []

    /// One random change to a payload.
    static func mutate(_ input: [UInt8], random: inout SplitMix) -> [UInt8] {
        var bytes = input
        guard !bytes.isEmpty else { return bytes }
        let at = Int(random.next() % UInt64(bytes.count))
        switch random.next() % 6 {
        case 0: bytes[at] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
        case 1: bytes = Array(bytes[..<at])
        case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
        case 3: bytes[at] = Array(#"{}[]:,"\0123456789-e"#.utf8)[Int(random.next() % 20)]
        case 4:
            // A digit changed inside the document (a share, a coordinate or an identifier, as it lands).
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            if let index = digits.isEmpty ? nil : digits[Int(random.next() % UInt64(digits.count))] {
                bytes[index] = 0x30 + UInt8(random.next() % 10)
            }
        default:
            // A field of the share string given again in capitals: `\"share\":` becomes `\"SHARE\":"1",\"share\":`.
            let text = String(decoding: bytes, as: UTF8.self)
            if let range = text.range(of: #"\"share\":"#) {
                return Array(text.replacingCharacters(in: range, with: #"\"SHARE\":\"1\",\"share\":"#).utf8)
            }
        }
        return bytes
    }

    /// What the intake does with a body, short of storing it: parse the body, find the share's curve and layout,
    /// and read and check the share on that curve.
    static func intake(_ body: [UInt8]) throws {
        _ = try Vault.readCustodianWebhook(Data(body))
    }

    @Test func theGoodBodiesPassUnchanged() throws {
        #expect(Self.bodies.count >= 9)
        for body in Self.bodies { try Self.intake(body) }
    }

    @Test func mutatedWebhookBodiesAreReadOrRefusedCleanly() async {
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let original = Self.bodies[Int(random.next() % UInt64(Self.bodies.count))]
            var body = original
            for _ in 0..<(1 + random.next() % 3) { body = Self.mutate(body, random: &random) }
            do {
                try Self.intake(body)
            } catch let error as DocumentError {
                Self.expectNoSecret(of: original, in: error.description)
            } catch let error as VaultError {
                Self.expectNoSecret(of: original, in: error.description)
            } catch {
                Issue.record("an error of an unexpected type: \(type(of: error))")
            }
        }
    }

    @Test func mutatedClientPlaintextsAreReadOrRefusedCleanly() async {
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            var plaintext = Self.plaintext
            for _ in 0..<(1 + random.next() % 3) { plaintext = Self.mutate(plaintext, random: &random) }
            do {
                _ = try ClientPlaintext.share(Data(plaintext), as: Secp256k1.self)
                _ = try ClientPlaintext.share(Data(plaintext), as: Ed25519.self)
            } catch {
                Self.expectNoSecret(of: Self.plaintext, in: String(describing: error))
            }
        }
    }

    /// No decimal run of 40 digits or more from the payload (shares, Paillier primes) appears in a message.
    static func expectNoSecret(of payload: [UInt8], in message: String) {
        let text = String(decoding: payload, as: UTF8.self)
        let runs = text.split { !$0.isNumber }.filter { $0.count >= 40 }
        for run in runs where message.contains(run) {
            Issue.record("a message quotes a value of the payload: \(message.prefix(200))")
        }
    }
}
