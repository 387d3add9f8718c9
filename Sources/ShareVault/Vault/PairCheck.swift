import Foundation
import ShareMath

/// How far a verification goes (DESIGN section 3): each level runs the ones before it.
public enum VerificationLevel: String, Sendable, Encodable, CodingKeyRepresentable, CaseIterable, Comparable {
    /// Nothing secret: stored public material decodes and agrees with the wallet's key.
    case `public`
    /// With the vault key: every custodian half opened and checked against its public material.
    case custodian
    /// With the client halves' keys too: both halves opened and checked against each other.
    case deep

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .public: return 0
        case .custodian: return 1
        case .deep: return 2
        }
    }

    /// This level and the ones below it, in order.
    public var levelsRun: [VerificationLevel] { Self.allCases.filter { $0 <= self } }
}

/// Why a backup pair failed a check; the raw value is what reports and the vault record.
public enum PairProblem: String, Error, Sendable, Encodable, CodingKeyRepresentable, CaseIterable,
    CustomStringConvertible
{
    // Public: no secret needed.
    case incomplete = "incomplete"
    case invalidPublicMaterial = "invalid-public-material"
    case commitmentsDisagree = "commitments-disagree"
    case partialKeysDisagree = "partial-keys-do-not-interpolate"
    case noClientBackup = "no-client-backup"
    case ciphertextHeader = "ciphertext-header"
    // Custodian: the vault key opens the custodian half.
    case custodianShareUnreadable = "custodian-share-unreadable"
    case custodianShareMismatch = "custodian-share-mismatch"
    // Deep: both halves opened.
    case clientKeyMissing = "client-key-missing"
    case clientKeyRefused = "client-key-file-refused"
    case clientDecryptFailed = "client-decrypt-failed"
    case clientShareUndecryptable = "client-share-undecryptable"
    case clientShareUnparseable = "client-share-unparseable"
    case clientShareWrongWallet = "client-share-wrong-wallet"
    case clientShareMismatch = "client-share-mismatch"
    case pairDoesNotInterpolate = "pair-does-not-interpolate"
    // Drill.
    case signatureRejected = "signature-rejected"

    /// The level whose check finds this problem (drill failures count as deep).
    public var level: VerificationLevel {
        switch self {
        case .incomplete, .invalidPublicMaterial, .commitmentsDisagree, .partialKeysDisagree, .noClientBackup,
            .ciphertextHeader:
            return .public
        case .custodianShareUnreadable, .custodianShareMismatch:
            return .custodian
        default:
            return .deep
        }
    }

    public var description: String {
        switch self {
        case .incomplete: return "the pair is not completed"
        case .invalidPublicMaterial: return "stored public material does not decode on the wallet's curve"
        case .commitmentsDisagree:
            return "the custodian share's commitments do not give its public share or the wallet's key"
        case .partialKeysDisagree: return "the two partial public keys do not interpolate to the wallet's key"
        case .noClientBackup: return "no client backup share is stored"
        case .ciphertextHeader: return "the client ciphertext claims sharevault's format but its header does not parse"
        case .custodianShareUnreadable:
            return
                "the sealed custodian share does not open with the vault key (tampered, or moved from another record)"
        case .custodianShareMismatch:
            return "the custodian share does not match its stored public material or the wallet"
        case .clientKeyMissing:
            return "no key for this client half: no key file in the key store, no password for a PASSWORD pair "
                + "(--password-file), and no decrypt command"
        case .clientKeyRefused:
            return "the key store's file for this client half is refused: readable by group or others, or unreadable"
        case .clientDecryptFailed: return "the decrypt command failed, timed out or printed nothing usable"
        case .clientShareUndecryptable:
            return "the client share does not decrypt: wrong key or password, or a tampered or swapped ciphertext"
        case .clientShareUnparseable:
            return "the decrypted client half is not a share in any accepted layout (or has a nonzero Rank)"
        case .clientShareWrongWallet: return "the client share belongs to another wallet"
        case .clientShareMismatch:
            return "the client share does not match its partial public key or the custodian half's identifiers"
        case .pairDoesNotInterpolate: return "the two halves do not interpolate to the wallet's public key"
        case .signatureRejected: return "the drill's signature was rejected by the curve's verifier"
        }
    }
}

/// A pair with both halves opened: the secrets, read on the wallet's curve, and the wallet's key they give.
struct OpenedPair<C: Curve> {
    let stored: StoredPair
    /// The wallet's key as computed from the shares (equal to the stored one, or the pair would not open).
    let publicKey: Point<C>
    let client: ShareReading<C>
    let custodian: ShareReading<C>

    var shares: [Share<C>] { [client.share, custodian.share] }
}

extension BackupKeyStores {
    /// Whether any key store was given (a decrypt command aside).
    var hasKeyStore: Bool { directory != nil || password != nil }
}

extension Vault {
    /// The public level's checks: status, encodings, commitments or partial public keys, the ciphertext's header.
    static func structuralProblems(_ pair: StoredPair) -> [PairProblem] {
        switch pair.identity.curve {
        case .secp256k1: return structuralProblems(pair, on: Secp256k1.self)
        case .ed25519: return structuralProblems(pair, on: Ed25519.self)
        }
    }

    private static func structuralProblems<C: Curve>(_ pair: StoredPair, on curve: C.Type) -> [PairProblem] {
        var problems: [PairProblem] = []
        if !pair.identity.status.isCompleted { problems.append(.incomplete) }
        guard let publicKey = try? Point<C>(decoding: pair.publicKey),
            let identifier = try? Scalar<C>(decoding: pair.custodian.identifier),
            let publicShare = try? Point<C>(decoding: pair.custodian.publicShare),
            partnerIdentifierDecodes(pair, on: curve)
        else {
            return problems + [.invalidPublicMaterial]
        }
        if let encoded = pair.custodian.commitments {
            let points = encoded.compactMap { try? Point<C>(decoding: $0) }
            if points.count != encoded.count || points.isEmpty {
                problems.append(.invalidPublicMaterial)
            } else {
                let commitments = Commitments(points: points)
                if commitments.publicKey != publicKey || commitments.publicShare(at: identifier) != publicShare {
                    problems.append(.commitmentsDisagree)
                }
            }
        }
        if let encoded = pair.custodian.partnerPublicShare {
            // Portal's partial public keys: weighted by their Lagrange coefficients, they sum to the key.
            guard let partner = pair.custodian.partnerIdentifier.flatMap({ try? Scalar<C>(decoding: $0) }),
                let partnerShare = try? Point<C>(decoding: encoded), partner != identifier
            else {
                return problems + [.invalidPublicMaterial]
            }
            let key = Lagrange<C>.interpolateAtZero(publicShares: [(identifier, publicShare), (partner, partnerShare)])
            if key != publicKey { problems.append(.partialKeysDisagree) }
        }
        if let cipherText = pair.cipherText {
            do {
                _ = try ClientBackupCiphertext.readIfClaimed(cipherText)
            } catch {
                problems.append(.ciphertextHeader)
            }
        } else {
            problems.append(.noClientBackup)
        }
        return problems
    }

    private static func partnerIdentifierDecodes<C: Curve>(_ pair: StoredPair, on curve: C.Type) -> Bool {
        pair.custodian.partnerIdentifier.map { (try? Scalar<C>(decoding: $0)) != nil } ?? true
    }

    /// The custodian level: opens the sealed custodian half with the vault key and checks it against every
    /// public value stored for it (`share·G` against its public share, identifiers, key, Portal's partial keys
    /// and pair id).
    func openCustodian<C: Curve>(_ pair: StoredPair, on curve: C.Type) throws(PairProblem) -> (
        ShareReading<C>, Point<C>
    ) {
        guard let custodianText = try? openCustodianShare(pair) else { throw .custodianShareUnreadable }
        guard let custodian = try? ShareParser.read(custodianText, as: C.self) else {
            throw .custodianShareMismatch
        }
        let publicShare = C.baseMultiply(custodian.share.value)
        let stored = pair.custodian
        guard custodian.publicKey == pair.publicKey, publicShare.encoded == stored.publicShare,
            custodian.share.identifier.encodedPublicly == stored.identifier,
            custodian.publicShare.map({ $0 == stored.publicShare }) ?? true,
            custodian.partnerIdentifier.map({ $0.encodedPublicly == stored.partnerIdentifier }) ?? true,
            // Stored before release 2 had these columns, a pair has them empty: compared where stored.
            stored.partnerPublicShare.map({ $0 == custodian.partnerPublicShare }) ?? true,
            stored.backupSharePairId.map({ $0 == custodian.backupSharePairId }) ?? true
        else { throw .custodianShareMismatch }
        return (custodian, publicShare)
    }

    /// Opens both halves of a pair and checks them against each other and every public value stored for it.
    ///
    /// No stored point is decoded: each is compared, as bytes, with the canonical encoding of a point computed
    /// from the shares, which proves it valid too. With `s_c, s_s` the shares at `x_c, x_s`, the line through
    /// them has slope `a = (s_c − s_s)/(x_c − x_s)` and gives the wallet's key at zero, so the checks are
    /// `s_s·G` = the custodian's public share, `s_s·G + (s_s − s_c)·x_s/(x_c − x_s)·G` = the wallet's key,
    /// where commitments are stored `a·G` = the second one (the first being the key), and where Portal's
    /// partial public keys are stored `s_c·G` = the client's. The key itself is never formed.
    func openPair<C: Curve>(_ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores) throws(PairProblem)
        -> OpenedPair<C>
    {
        let (custodian, custodianPublicShare) = try openCustodian(pair, on: curve)
        let plaintext = try clientPlaintext(pair, curve: C.id, keyStores: keyStores)
        guard let client = try? ClientPlaintext.share(plaintext, as: C.self) else {
            throw .clientShareUnparseable
        }
        guard client.publicKey == pair.publicKey else { throw .clientShareWrongWallet }
        guard client.share.identifier != custodian.share.identifier else { throw .pairDoesNotInterpolate }
        // Each Portal half names the other's identifier (`bks`, `clientBk`): they must agree.
        if let named = client.partnerIdentifier, named != custodian.share.identifier { throw .clientShareMismatch }
        if let named = custodian.partnerIdentifier, named != client.share.identifier { throw .clientShareMismatch }
        if let stored = pair.custodian.partnerIdentifier, stored != client.share.identifier.encodedPublicly {
            throw .clientShareMismatch
        }

        let line = lineWeights.weights(client: client.share.identifier, custodian: custodian.share.identifier)
        let publicKey = C.add(
            custodianPublicShare, C.baseMultiply((custodian.share.value - client.share.value) * line.keyOffset))
        guard publicKey.encoded == pair.publicKey else { throw .pairDoesNotInterpolate }
        if let commitments = pair.custodian.commitments {
            let slope = (client.share.value - custodian.share.value) * line.slope
            guard commitments.count == 2, commitments[0] == pair.publicKey, !slope.isZero,
                C.baseMultiply(slope).encoded == commitments[1]
            else { throw .commitmentsDisagree }
        }
        // Portal's partial public keys of the client, as either half states them, are its share times G.
        if client.layout == .portalClient || pair.custodian.partnerPublicShare != nil {
            let stated = [client.publicShare, pair.custodian.partnerPublicShare].compactMap { $0 }
            if !stated.isEmpty {
                let clientPublicShare = C.baseMultiply(client.share.value).encoded
                guard stated.allSatisfy({ $0 == clientPublicShare }) else { throw .clientShareMismatch }
            }
            if let statedServer = client.partnerPublicShare, statedServer != pair.custodian.publicShare {
                throw .clientShareMismatch
            }
        }
        return OpenedPair(stored: pair, publicKey: publicKey, client: client, custodian: custodian)
    }

    /// The client half's plaintext: sharevault's own ciphertexts open with a key store (or the password), any
    /// other format through the decrypt command, which also takes our own when no key store was given.
    private func clientPlaintext(
        _ pair: StoredPair, curve: CurveID, keyStores: BackupKeyStores
    ) throws(PairProblem) -> SecureBytes {
        guard let cipherText = pair.cipherText else { throw .noClientBackup }
        let method = pair.identity.method.on(curve)
        // The header is read once: one that claims our format must parse, whoever opens the ciphertext.
        let ours: ClientBackupCiphertext?
        do {
            ours = try ClientBackupCiphertext.readIfClaimed(cipherText)
        } catch {
            throw .ciphertextHeader
        }
        if let parsed = ours, keyStores.hasKeyStore || keyStores.decryptCommand == nil {
            let clientKey: SecureBytes
            do {
                clientKey = try keyStores.store(for: method).key(
                    clientId: pair.identity.clientId, method: parsed.keyMethod(method), source: parsed.keySource)
            } catch let error as SecretFileError {
                if case .missing = error { throw .clientKeyMissing }
                throw .clientKeyRefused
            } catch {
                throw .clientKeyMissing
            }
            guard let plaintext = try? parsed.open(key: clientKey, clientId: pair.identity.clientId, method: method)
            else {
                throw .clientShareUndecryptable
            }
            return plaintext
        }
        guard let command = keyStores.decryptCommand else { throw .clientKeyMissing }
        do {
            return try command.decrypt(
                clientId: pair.identity.clientId, method: pair.identity.method, cipherText: cipherText)
        } catch {
            throw .clientDecryptFailed
        }
    }

    /// Every problem a pair has at `level`: the public ones, then the custodian half's, then (with `keyStores`)
    /// the first deep one.
    ///
    /// The deep check compares every stored point with one it computes, which proves what the public checks
    /// prove, so a completed pair that opens needs no more; any other pair gets the full account.
    func problems(_ pair: StoredPair, level: VerificationLevel, keyStores: BackupKeyStores?) -> [PairProblem] {
        if level == .deep, let keyStores, pair.identity.status.isCompleted, opens(pair, keyStores: keyStores) {
            return []
        }
        return fullAccount(pair, level: level, keyStores: keyStores)
    }

    /// The public checks, then each level's in turn as far as `level` and the earlier findings allow: what
    /// `problems` reports, and what its shortcut for sound pairs must agree with.
    func fullAccount(_ pair: StoredPair, level: VerificationLevel, keyStores: BackupKeyStores?) -> [PairProblem] {
        var problems = Self.structuralProblems(pair)
        guard level >= .custodian, !problems.contains(.invalidPublicMaterial) else { return problems }
        do {
            switch pair.identity.curve {
            case .secp256k1: _ = try openCustodian(pair, on: Secp256k1.self)
            case .ed25519: _ = try openCustodian(pair, on: Ed25519.self)
            }
        } catch {
            return problems + [error]
        }
        guard level == .deep, let keyStores, problems.allSatisfy({ $0 == .incomplete }), pair.cipherText != nil else {
            return problems
        }
        do {
            switch pair.identity.curve {
            case .secp256k1: _ = try openPair(pair, on: Secp256k1.self, keyStores: keyStores)
            case .ed25519: _ = try openPair(pair, on: Ed25519.self, keyStores: keyStores)
            }
        } catch {
            problems.append(error)
        }
        return problems
    }

    private func opens(_ pair: StoredPair, keyStores: BackupKeyStores) -> Bool {
        switch pair.identity.curve {
        case .secp256k1: return (try? openSoundPair(pair, on: Secp256k1.self, keyStores: keyStores)) != nil
        case .ed25519: return (try? openSoundPair(pair, on: Ed25519.self, keyStores: keyStores)) != nil
        }
    }

    /// `openPair` after the one structural check no computed point covers, the partner identifier's: a pair
    /// this opens passes the structural checks too (status aside).
    func openSoundPair<C: Curve>(_ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores) throws(PairProblem)
        -> OpenedPair<C>
    {
        guard Self.partnerIdentifierDecodes(pair, on: curve) else { throw .invalidPublicMaterial }
        return try openPair(pair, on: curve, keyStores: keyStores)
    }
}
