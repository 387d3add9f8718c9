import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// Deep verification passes a completed pair as soon as it opens, skipping the structural checks: the deep
/// check compares every stored point with one computed from the shares. The law: with one random corruption
/// of a stored pair, that shortcut's verdict equals the full account (structural checks, then the deep one),
/// and a pair the shortcut passes is one the full account passes.
@Suite struct DeepCheckShortcutTests {
    /// One way to corrupt a stored pair; `harmless` ones leave a pair that must still pass.
    enum Corruption: Int, CaseIterable, CustomStringConvertible {
        case none, commitmentsDropped
        case publicKeyBitFlipped, publicKeyOtherPoint, publicKeyOffSubgroupOrUncompressed
        case publicShareBitFlipped, publicShareOfAnotherPair, publicShareOffSubgroupOrUncompressed
        case identifierBitFlipped, identifierIsThePartners, partnerIdentifierOutOfRange
        case secondCommitmentBitFlipped, secondCommitmentOffSubgroupOrUncompressed, secondCommitmentIsTheKey
        case secondCommitmentMissing, extraCommitment, firstCommitmentOtherPoint
        case sealedShareBitFlipped, custodianRecordOfAnotherPair, cipherTextMissing, cipherTextOfAnotherPair
        case notCompleted, clientIdOfAnotherPair

        var harmless: Bool { self == .none || self == .commitmentsDropped }
        var description: String { "\(Self.allCases.firstIndex(of: self)!)" }
    }

    /// A vault of a few wallets on each curve, made once for every check.
    final class Sample: Sendable {
        let directory: String
        let vault: Vault
        let stores: BackupKeyStores
        let pairs: [StoredPair]

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-shortcut-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            vault = try Vault.create(at: directory + "/v.db")
            let keyStore = try DirectoryKeyStore(directory: directory + "/cloud", create: true)
            stores = BackupKeyStores(directory: keyStore, password: nil)
            _ = try vault.create(
                clientIds: (1...3).map { "w-\($0)" }, curves: CurveID.allCases, methods: [try BackupMethod(parsing: "GDRIVE")],
                keyStores: stores)
            pairs = try vault.store.livePairs(after: 0, limit: 100, clientId: nil)
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    static let sample = Result { try Sample() }

    @Test func soundPairsPassBothWays() throws {
        let sample = try Self.sample.get()
        #expect(sample.pairs.count == 6)
        for pair in sample.pairs {
            #expect(sample.vault.problems(pair, level: .deep, keyStores: sample.stores).isEmpty)
            #expect(sample.vault.fullAccount(pair, level: .deep, keyStores: sample.stores).isEmpty)
        }
    }

    @Test func theShortcutAgreesWithTheFullAccountOnEveryCorruption() async throws {
        let sample = try Self.sample.get()
        await propertyCheck(
            count: 200, input: Gen.int(in: 0..<Corruption.allCases.count), Gen.int(in: 0..<6), Gen.int(in: 0..<1024)
        ) { kind, index, random in
            let corruption = Corruption.allCases[kind]
            let pair = try Self.corrupt(sample.pairs[index], with: corruption, others: sample.pairs, random: random)
            let problems = sample.vault.problems(pair, level: .deep, keyStores: sample.stores)
            #expect(problems == sample.vault.fullAccount(pair, level: .deep, keyStores: sample.stores), "corruption \(corruption)")
            #expect(problems.isEmpty == corruption.harmless, "corruption \(corruption): \(problems)")
        }
    }

    static func corrupt(_ original: StoredPair, with corruption: Corruption, others: [StoredPair], random: Int) throws -> StoredPair {
        var pair = original
        let curve = pair.summary.curve
        let other = others.first { $0.summary.curve == curve && $0.summary.pairId != pair.summary.pairId }!
        func flip(_ bytes: inout [UInt8]) { bytes[random % bytes.count] ^= UInt8(1 << (random % 8)) }
        let commitments = pair.custodian.commitments!
        switch corruption {
        case .none: break
        case .commitmentsDropped: pair.custodian.commitments = nil
        case .publicKeyBitFlipped: flip(&pair.publicKey)
        case .publicKeyOtherPoint: pair.publicKey = randomPoint(on: curve)
        case .publicKeyOffSubgroupOrUncompressed: pair.publicKey = try offSubgroupOrUncompressed(pair.publicKey, on: curve)
        case .publicShareBitFlipped: flip(&pair.custodian.publicShare)
        case .publicShareOfAnotherPair: pair.custodian.publicShare = other.custodian.publicShare
        case .publicShareOffSubgroupOrUncompressed:
            pair.custodian.publicShare = try offSubgroupOrUncompressed(pair.custodian.publicShare, on: curve)
        case .identifierBitFlipped: flip(&pair.custodian.identifier)
        case .identifierIsThePartners: pair.custodian.identifier = pair.custodian.partnerIdentifier!
        case .partnerIdentifierOutOfRange: pair.custodian.partnerIdentifier = [UInt8](repeating: 0xff, count: 32)
        case .secondCommitmentBitFlipped:
            var second = commitments[1]
            flip(&second)
            pair.custodian.commitments = [commitments[0], second]
        case .secondCommitmentOffSubgroupOrUncompressed:
            pair.custodian.commitments = [commitments[0], try offSubgroupOrUncompressed(commitments[1], on: curve)]
        case .secondCommitmentIsTheKey: pair.custodian.commitments = [commitments[0], commitments[0]]
        case .secondCommitmentMissing: pair.custodian.commitments = [commitments[0]]
        case .extraCommitment: pair.custodian.commitments = commitments + [randomPoint(on: curve)]
        case .firstCommitmentOtherPoint: pair.custodian.commitments = [randomPoint(on: curve), commitments[1]]
        case .sealedShareBitFlipped: flip(&pair.custodian.sealedShare)
        case .custodianRecordOfAnotherPair: pair.custodian = other.custodian
        case .cipherTextMissing: pair.cipherText = nil
        case .cipherTextOfAnotherPair: pair.cipherText = other.cipherText
        case .notCompleted: pair.summary.status = .storedClientBackupShareKey
        case .clientIdOfAnotherPair: pair.summary.clientId = other.summary.clientId
        }
        return pair
    }

    static func randomPoint(on curve: CurveID) -> [UInt8] {
        switch curve {
        case .secp256k1: return Secp256k1.baseMultiply(.random()).encoded
        case .ed25519: return Ed25519.baseMultiply(.random()).encoded
        }
    }

    /// The same point with a small-order component added (ed25519, whose cofactor is 8), or in its 65-byte
    /// uncompressed form (secp256k1, which has no small subgroup): no longer an accepted encoding either way.
    static func offSubgroupOrUncompressed(_ encoding: [UInt8], on curve: CurveID) throws -> [UInt8] {
        switch curve {
        case .secp256k1:
            return try #require(Secp256k1.uncompressedEncoding(try Point<Secp256k1>(decoding: encoding)))
        case .ed25519:
            // (0, −1), of order 2: y = p − 1 little-endian, x's parity bit clear.
            let orderTwo = Point<Ed25519>(raw: [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f])
            return Ed25519.add(try Point<Ed25519>(decoding: encoding), orderTwo).encoded
        }
    }
}
