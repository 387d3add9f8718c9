import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// Deep verification passes a completed pair as soon as it opens, skipping the structural checks: the deep
/// check compares every stored point with one computed from the shares. The law: with one random corruption
/// of a stored pair, that shortcut's verdict equals the full account (structural checks, then the deep one),
/// and a pair the shortcut passes is one the full account passes. The same holds for pairs in Portal's
/// layouts (flat custodian JSON with partial public keys, `MpcShare` client halves). At the public and
/// custodian levels, which need no client key, a corruption is found exactly when it touches what that
/// level reads.
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
        /// Passes the custodian level: harmless, or only the client half changed (the custodian level reads
        /// the ciphertext's header alone, and another pair's parses). The commitments are public material
        /// the custodian level does not compare with the sealed share, so dropping them passes too.
        var passesCustodianLevel: Bool { harmless || self == .cipherTextOfAnotherPair }
        /// Passes the public level: also a sealed share damaged or bound to another client, which only the
        /// vault key can tell.
        var passesPublicLevel: Bool {
            passesCustodianLevel || self == .sealedShareBitFlipped || self == .clientIdOfAnotherPair
        }
        var description: String { "\(Self.allCases.firstIndex(of: self)!)" }
    }

    /// One way to corrupt a stored Portal-layout pair. Such a pair has no commitments but stores Portal's
    /// client partial public key (`partnerPublicShare`) and the client's identifier (`partnerIdentifier`).
    enum PortalCorruption: Int, CaseIterable, CustomStringConvertible {
        case none
        case publicKeyBitFlipped, publicKeyOtherPoint, publicKeyOffSubgroupOrUncompressed
        case publicShareBitFlipped, publicShareOfAnotherPair, publicShareOffSubgroupOrUncompressed
        case identifierBitFlipped, identifierIsThePartners, identifiersSwapped
        case partnerIdentifierOutOfRange, partnerIdentifierOtherValue
        case partnerPublicShareBitFlipped, partnerPublicShareOfAnotherPair, partnerPublicShareOtherPoint
        case partnerPublicShareOffSubgroupOrUncompressed, partnerPublicShareDropped, commitmentsAdded
        case sealedShareBitFlipped, custodianRecordOfAnotherPair
        case cipherTextMissing, cipherTextOfAnotherPair, cipherTextSealedBitFlipped
        case notCompleted, clientIdOfAnotherPair, backupSharePairIdChanged

        /// Only a sound pair passes deep: every stored value is checked against the opened halves.
        /// Dropping the stored partner public share is what a pair stored before release 2 looks like: sound.
        var harmless: Bool { self == .none || self == .partnerPublicShareDropped }
        /// Passes the custodian level: the pair untouched, or only its client ciphertext's sealed part
        /// (another client's ciphertext, or a bit flipped after the header). Dropping the stored partner
        /// public share does not pass: the sealed custodian JSON states `clientPartialPubKey`, and
        /// `openCustodian` requires the stored one to equal it.
        var passesCustodianLevel: Bool {
            harmless || self == .cipherTextOfAnotherPair || self == .cipherTextSealedBitFlipped
        }
        /// Passes the public level: also what only the vault key can tell (a damaged or misbound sealed share,
        /// the partner public share dropped, which only removes a public check).
        var passesPublicLevel: Bool {
            passesCustodianLevel || self == .sealedShareBitFlipped || self == .clientIdOfAnotherPair
                || self == .partnerPublicShareDropped || self == .backupSharePairIdChanged
        }
        var description: String { "portal \(Self.allCases.firstIndex(of: self)!)" }
    }

    /// A vault of a few wallets on each curve, made once for every check.
    final class Sample: Sendable {
        let directory: String
        let vault: Vault
        let stores: BackupKeyStores
        let pairs: [StoredPair]
        /// Pairs made in Portal's layouts (`create --layout portal`), for clients `p-1`...`p-3`.
        let portalPairs: [StoredPair]

        init() async throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent("sv-shortcut-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            vault = try await Vault.create(at: directory + "/v.db")
            let keyStore = try DirectoryKeyStore(directory: directory + "/cloud", create: true)
            stores = BackupKeyStores(directory: keyStore, password: nil)
            _ = try await vault.create(
                clientIds: (1...3).map { "w-\($0)" }, curves: CurveID.allCases,
                methods: [try BackupMethod(parsing: "GDRIVE")],
                keyStores: stores)
            _ = try await vault.create(
                clientIds: (1...3).map { "p-\($0)" }, curves: CurveID.allCases,
                methods: [try BackupMethod(parsing: "GDRIVE")],
                keyStores: stores, layout: .portal)
            let all = try await vault.store.livePairs(after: 0, limit: 100, clientId: nil)
            pairs = all.filter { $0.identity.clientId.hasPrefix("w-") }
            portalPairs = all.filter { $0.identity.clientId.hasPrefix("p-") }
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Made once for every test of the suite.
    static let sample = Task { try await Sample() }

    @Test func soundPairsPassBothWays() async throws {
        let sample = try await Self.sample.value
        #expect(sample.pairs.count == 6)
        #expect(sample.portalPairs.count == 6)
        for pair in sample.pairs + sample.portalPairs {
            #expect(sample.vault.problems(pair, level: .deep, keyStores: sample.stores).isEmpty)
            #expect(sample.vault.fullAccount(pair, level: .deep, keyStores: sample.stores).isEmpty)
        }
        // Portal pairs store what their layout states, and no commitments.
        for pair in sample.portalPairs {
            #expect(pair.custodian.layout == .portalCustodian)
            #expect(pair.custodian.commitments == nil)
            #expect(pair.custodian.partnerPublicShare != nil && pair.custodian.partnerIdentifier != nil)
            #expect(pair.custodian.backupSharePairId != nil)
        }
        // One ciphertext per client and method, serving both curves.
        for pairs in [sample.pairs, sample.portalPairs] {
            let byClient = Dictionary(grouping: pairs, by: \.identity.clientId)
            for (_, own) in byClient {
                #expect(
                    own.count == 2 && own[0].cipherText == own[1].cipherText
                        && own[0].clientCiphertextId == own[1].clientCiphertextId)
            }
        }
    }

    @Test func theShortcutAgreesWithTheFullAccountOnEveryCorruption() async throws {
        let sample = try await Self.sample.value
        await Self.checkTheShortcut(Corruption.self, on: sample.pairs, in: sample, count: 200)
    }

    @Test func theShortcutAgreesWithTheFullAccountOnEveryCorruptionOfAPortalPair() async throws {
        let sample = try await Self.sample.value
        await Self.checkTheShortcut(PortalCorruption.self, on: sample.portalPairs, in: sample, count: 250)
    }

    /// Without client keys: the public and custodian levels find a corruption exactly when it touches what
    /// they read, and `problems` (whose shortcut is for the deep level only) equals the full account.
    @Test func theLowerLevelsFindExactlyWhatTheyRead() async throws {
        let sample = try await Self.sample.value
        await Self.checkTheLowerLevels(Corruption.self, on: sample.pairs, in: sample)
        await Self.checkTheLowerLevels(PortalCorruption.self, on: sample.portalPairs, in: sample)
    }

    /// The deep shortcut's law over random corruptions of kind `K`: it reports what the full account reports,
    /// and nothing exactly for the harmless ones.
    static func checkTheShortcut<K: PairCorruption>(
        _ kind: K.Type, on pairs: [StoredPair], in sample: Sample, count: Int
    ) async {
        await propertyCheck(
            count: count, input: Gen.int(in: 0..<K.allCases.count), Gen.int(in: 0..<pairs.count), Gen.int(in: 0..<1024)
        ) { kind, index, random in
            let corruption = K.allCases[kind]
            let pair = try K.corrupt(pairs[index], with: corruption, others: pairs, random: random)
            let problems = sample.vault.problems(pair, level: .deep, keyStores: sample.stores)
            #expect(
                problems == sample.vault.fullAccount(pair, level: .deep, keyStores: sample.stores),
                "corruption \(corruption)")
            #expect(problems.isEmpty == corruption.harmless, "corruption \(corruption): \(problems)")
        }
    }

    /// The public and custodian levels' law over random corruptions of kind `K`.
    static func checkTheLowerLevels<K: PairCorruption>(_ kind: K.Type, on pairs: [StoredPair], in sample: Sample) async
    {
        await propertyCheck(
            count: 250, input: Gen.int(in: 0..<K.allCases.count), Gen.int(in: 0..<pairs.count), Gen.int(in: 0..<1024)
        ) { kind, index, random in
            let corruption = K.allCases[kind]
            let pair = try K.corrupt(pairs[index], with: corruption, others: pairs, random: random)
            for (level, passes) in [
                (VerificationLevel.public, corruption.passesPublicLevel), (.custodian, corruption.passesCustodianLevel),
            ] {
                let problems = sample.vault.fullAccount(pair, level: level, keyStores: nil)
                #expect(problems == sample.vault.problems(pair, level: level, keyStores: nil), "\(level) \(corruption)")
                #expect(problems.isEmpty == passes, "\(level) \(corruption): \(problems)")
                #expect(problems.allSatisfy { $0.level <= level }, "\(level) \(corruption): \(problems)")
            }
        }
    }

    /// The problems some Portal corruptions must be named by, worked out from `PairCheck`.
    @Test func portalCorruptionsAreNamed() async throws {
        let sample = try await Self.sample.value
        let expected: [(PortalCorruption, VerificationLevel, [PairProblem])] = [
            (.partnerPublicShareDropped, .public, []),
            (.partnerPublicShareDropped, .custodian, []),
            (.partnerPublicShareDropped, .deep, []),
            (.partnerPublicShareOtherPoint, .public, [.partialKeysDisagree]),
            (.partnerPublicShareOtherPoint, .custodian, [.partialKeysDisagree, .custodianShareMismatch]),
            (.partnerPublicShareOffSubgroupOrUncompressed, .deep, [.invalidPublicMaterial]),
            (.identifierIsThePartners, .deep, [.invalidPublicMaterial]),
            (.identifiersSwapped, .custodian, [.partialKeysDisagree, .custodianShareMismatch]),
            (.partnerIdentifierOtherValue, .custodian, [.partialKeysDisagree, .custodianShareMismatch]),
            (.commitmentsAdded, .public, [.commitmentsDisagree]),
            (.sealedShareBitFlipped, .custodian, [.custodianShareUnreadable]),
            (.clientIdOfAnotherPair, .deep, [.custodianShareUnreadable]),
            (.cipherTextMissing, .deep, [.noClientBackup]),
            (.cipherTextOfAnotherPair, .custodian, []),
            (.cipherTextOfAnotherPair, .deep, [.clientShareUndecryptable]),
            (.cipherTextSealedBitFlipped, .deep, [.clientShareUndecryptable]),
            (.notCompleted, .deep, [.incomplete]),
            (.backupSharePairIdChanged, .public, []),
            (.backupSharePairIdChanged, .custodian, [.custodianShareMismatch]),
        ]
        for (corruption, level, problems) in expected {
            for (index, original) in sample.portalPairs.enumerated() {
                let pair = try Self.corrupt(original, with: corruption, others: sample.portalPairs, random: index * 37)
                let stores = level == .deep ? sample.stores : nil
                #expect(
                    sample.vault.fullAccount(pair, level: level, keyStores: stores) == problems,
                    "\(corruption) at \(level)")
                #expect(
                    sample.vault.problems(pair, level: level, keyStores: stores) == problems,
                    "\(corruption) at \(level)")
            }
        }
    }

    static func corrupt(_ original: StoredPair, with corruption: PortalCorruption, others: [StoredPair], random: Int)
        throws -> StoredPair
    {
        var pair = original
        let curve = pair.identity.curve
        let other = others.first { $0.identity.curve == curve && $0.identity.pairId != pair.identity.pairId }!
        // Pairs of one client on both curves share a ciphertext: another client's is another ciphertext.
        let otherClient = others.first { $0.identity.clientId != pair.identity.clientId }!
        func flip(_ bytes: inout [UInt8]) { bytes[random % bytes.count] ^= UInt8(1 << (random % 8)) }
        let partnerShare = pair.custodian.partnerPublicShare!
        let partnerIdentifier = pair.custodian.partnerIdentifier!
        switch corruption {
        case .none: break
        case .publicKeyBitFlipped: flip(&pair.publicKey)
        case .publicKeyOtherPoint: pair.publicKey = randomPoint(on: curve)
        case .publicKeyOffSubgroupOrUncompressed:
            pair.publicKey = try offSubgroupOrUncompressed(pair.publicKey, on: curve)
        case .publicShareBitFlipped: flip(&pair.custodian.publicShare)
        case .publicShareOfAnotherPair: pair.custodian.publicShare = other.custodian.publicShare
        case .publicShareOffSubgroupOrUncompressed:
            pair.custodian.publicShare = try offSubgroupOrUncompressed(pair.custodian.publicShare, on: curve)
        case .identifierBitFlipped: flip(&pair.custodian.identifier)
        case .identifierIsThePartners: pair.custodian.identifier = partnerIdentifier
        case .identifiersSwapped:
            (pair.custodian.identifier, pair.custodian.partnerIdentifier) = (
                partnerIdentifier, pair.custodian.identifier
            )
        case .partnerIdentifierOutOfRange: pair.custodian.partnerIdentifier = [UInt8](repeating: 0xff, count: 32)
        case .partnerIdentifierOtherValue:
            switch curve {
            case .secp256k1: pair.custodian.partnerIdentifier = Secp256k1.element(3).encodedPublicly
            case .ed25519: pair.custodian.partnerIdentifier = Ed25519.element(3).encodedPublicly
            }
        case .partnerPublicShareBitFlipped:
            var flipped = partnerShare
            flip(&flipped)
            pair.custodian.partnerPublicShare = flipped
        case .partnerPublicShareOfAnotherPair: pair.custodian.partnerPublicShare = other.custodian.partnerPublicShare
        case .partnerPublicShareOtherPoint: pair.custodian.partnerPublicShare = randomPoint(on: curve)
        case .partnerPublicShareOffSubgroupOrUncompressed:
            pair.custodian.partnerPublicShare = try offSubgroupOrUncompressed(partnerShare, on: curve)
        case .partnerPublicShareDropped: pair.custodian.partnerPublicShare = nil
        case .commitmentsAdded: pair.custodian.commitments = [pair.publicKey, randomPoint(on: curve)]
        case .sealedShareBitFlipped: flip(&pair.custodian.sealedShare)
        case .custodianRecordOfAnotherPair: pair.custodian = other.custodian
        case .cipherTextMissing: pair.cipherText = nil
        case .cipherTextOfAnotherPair: pair.cipherText = otherClient.cipherText
        case .cipherTextSealedBitFlipped:
            // A bit of the sealed part (after the 6-byte header of a stored-key ciphertext) flipped.
            let text = try #require(pair.cipherText)
            var bytes = [UInt8](try #require(Data(base64Encoded: text)))
            bytes[6 + random % (bytes.count - 6)] ^= UInt8(1 << (random % 8))
            pair.cipherText = Data(bytes).base64EncodedString()
        case .notCompleted: pair.identity.status = .storedClientBackupShareKey
        case .clientIdOfAnotherPair: pair.identity.clientId = other.identity.clientId
        case .backupSharePairIdChanged: pair.custodian.backupSharePairId = "cl" + String(repeating: "x", count: 23)
        }
        return pair
    }

    static func corrupt(_ original: StoredPair, with corruption: Corruption, others: [StoredPair], random: Int) throws
        -> StoredPair
    {
        var pair = original
        let curve = pair.identity.curve
        let other = others.first { $0.identity.curve == curve && $0.identity.pairId != pair.identity.pairId }!
        // Pairs of one client on both curves share a ciphertext: another client's is another ciphertext.
        let otherClient = others.first { $0.identity.clientId != pair.identity.clientId }!
        func flip(_ bytes: inout [UInt8]) { bytes[random % bytes.count] ^= UInt8(1 << (random % 8)) }
        let commitments = pair.custodian.commitments!
        switch corruption {
        case .none: break
        case .commitmentsDropped: pair.custodian.commitments = nil
        case .publicKeyBitFlipped: flip(&pair.publicKey)
        case .publicKeyOtherPoint: pair.publicKey = randomPoint(on: curve)
        case .publicKeyOffSubgroupOrUncompressed:
            pair.publicKey = try offSubgroupOrUncompressed(pair.publicKey, on: curve)
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
        case .cipherTextOfAnotherPair: pair.cipherText = otherClient.cipherText
        case .notCompleted: pair.identity.status = .storedClientBackupShareKey
        case .clientIdOfAnotherPair: pair.identity.clientId = other.identity.clientId
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

/// A way to corrupt a stored pair, and which verification levels a pair so corrupted still passes.
protocol PairCorruption: CaseIterable, CustomStringConvertible, Sendable where AllCases == [Self] {
    var harmless: Bool { get }
    var passesCustodianLevel: Bool { get }
    var passesPublicLevel: Bool { get }
    static func corrupt(_ pair: StoredPair, with corruption: Self, others: [StoredPair], random: Int) throws
        -> StoredPair
}

extension DeepCheckShortcutTests.Corruption: PairCorruption {
    static func corrupt(_ pair: StoredPair, with corruption: Self, others: [StoredPair], random: Int) throws
        -> StoredPair
    {
        try DeepCheckShortcutTests.corrupt(pair, with: corruption, others: others, random: random)
    }
}

extension DeepCheckShortcutTests.PortalCorruption: PairCorruption {
    static func corrupt(_ pair: StoredPair, with corruption: Self, others: [StoredPair], random: Int) throws
        -> StoredPair
    {
        try DeepCheckShortcutTests.corrupt(pair, with: corruption, others: others, random: random)
    }
}
