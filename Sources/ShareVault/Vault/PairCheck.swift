import Foundation
import ShareMath

/// Why a backup pair failed a check; the raw value is what reports and the vault record.
public enum PairProblem: String, Error, Sendable, CaseIterable, CustomStringConvertible {
    // Structural: no secret needed.
    case incomplete = "incomplete"
    case invalidPublicMaterial = "invalid-public-material"
    case commitmentsDisagree = "commitments-disagree"
    case noClientBackup = "no-client-backup"
    case ciphertextHeader = "ciphertext-header"
    // Deep: both halves opened.
    case custodianShareUnreadable = "custodian-share-unreadable"
    case custodianShareMismatch = "custodian-share-mismatch"
    case clientKeyMissing = "client-key-missing"
    case clientShareUndecryptable = "client-share-undecryptable"
    case clientShareUnparseable = "client-share-unparseable"
    case clientShareWrongWallet = "client-share-wrong-wallet"
    case pairDoesNotInterpolate = "pair-does-not-interpolate"
    // Drill.
    case signatureRejected = "signature-rejected"

    public var description: String {
        switch self {
        case .incomplete: return "the pair is not completed"
        case .invalidPublicMaterial: return "stored public material does not decode on the wallet's curve"
        case .commitmentsDisagree: return "the custodian share's commitments do not give its public share or the wallet's key"
        case .noClientBackup: return "no client backup share is stored"
        case .ciphertextHeader: return "the client ciphertext's header does not parse"
        case .custodianShareUnreadable: return "the sealed custodian share does not open with the vault key (tampered, or moved from another record)"
        case .custodianShareMismatch: return "the custodian share does not match its stored public share or the wallet"
        case .clientKeyMissing: return "the key store has no key for this client and method"
        case .clientShareUndecryptable: return "the client share does not decrypt: wrong key or password, or a tampered or swapped ciphertext"
        case .clientShareUnparseable: return "the decrypted client share is not a share document"
        case .clientShareWrongWallet: return "the client share belongs to another wallet"
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

extension Vault {
    /// Checks that need no secret: status, encodings, commitments, the ciphertext's header.
    static func structuralProblems(_ pair: StoredPair) -> [PairProblem] {
        switch pair.summary.curve {
        case .secp256k1: return structuralProblems(pair, on: Secp256k1.self)
        case .ed25519: return structuralProblems(pair, on: Ed25519.self)
        }
    }

    private static func structuralProblems<C: Curve>(_ pair: StoredPair, on curve: C.Type) -> [PairProblem] {
        var problems: [PairProblem] = []
        if !pair.summary.status.isCompleted { problems.append(.incomplete) }
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
        if let cipherText = pair.cipherText {
            if (try? ClientBackupCiphertext(text: cipherText)) == nil { problems.append(.ciphertextHeader) }
        } else {
            problems.append(.noClientBackup)
        }
        return problems
    }

    private static func partnerIdentifierDecodes<C: Curve>(_ pair: StoredPair, on curve: C.Type) -> Bool {
        pair.custodian.partnerIdentifier.map { (try? Scalar<C>(decoding: $0)) != nil } ?? true
    }

    /// Opens both halves of a pair and checks them against each other and every public value stored for it.
    ///
    /// No stored point is decoded: each is compared, as bytes, with the canonical encoding of a point computed
    /// from the shares, which proves it valid too. With `s_c, s_s` the shares at `x_c, x_s`, the line through
    /// them has slope `a = (s_c − s_s)/(x_c − x_s)` and gives the wallet's key at zero, so the checks are
    /// `s_s·G` = the custodian's public share, `s_s·G + (s_s − s_c)·x_s/(x_c − x_s)·G` = the wallet's key,
    /// and, where commitments are stored, `a·G` = the second one (the first being the key). Three fixed-base
    /// multiplications; the key itself is never formed, as a scalar or otherwise.
    func openPair<C: Curve>(_ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores) throws(PairProblem) -> OpenedPair<C> {
        let method = BackupMethod(name: pair.summary.method, curve: C.id)

        guard let custodianText = try? XChaCha20Poly1305.open(
            pair.custodian.sealedShare, key: key,
            associatedData: Self.custodianAssociatedData(clientId: pair.summary.clientId, method: method))
        else { throw .custodianShareUnreadable }
        guard let custodian = try? custodianText.withUnsafeBytes({ try ShareParser.read(Data($0), as: C.self) }) else {
            throw .custodianShareMismatch
        }
        let custodianPublicShare = C.baseMultiply(custodian.share.value)
        guard custodian.publicKey == pair.publicKey, custodianPublicShare.encoded == pair.custodian.publicShare,
            custodian.share.identifier.encodedPublicly == pair.custodian.identifier
        else { throw .custodianShareMismatch }

        guard let cipherText = pair.cipherText else { throw .noClientBackup }
        guard let parsed = try? ClientBackupCiphertext(text: cipherText) else { throw .ciphertextHeader }
        let clientKey: SecureBytes
        do {
            clientKey = try keyStores.store(for: method).key(
                clientId: pair.summary.clientId, method: method, source: parsed.keySource)
        } catch {
            throw .clientKeyMissing
        }
        guard let plaintext = try? parsed.open(key: clientKey, clientId: pair.summary.clientId, method: method) else {
            throw .clientShareUndecryptable
        }
        guard let client = try? plaintext.withUnsafeBytes({ try ShareParser.read(Data($0), as: C.self) }) else {
            throw .clientShareUnparseable
        }
        guard client.publicKey == pair.publicKey else { throw .clientShareWrongWallet }
        guard client.share.identifier != custodian.share.identifier else { throw .pairDoesNotInterpolate }

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
        return OpenedPair(stored: pair, publicKey: publicKey, client: client, custodian: custodian)
    }

    /// Every problem a pair has: structural ones, then (when `keyStores` is given) the first deep one.
    ///
    /// The deep check compares every stored point with one it computes, which proves what the structural
    /// checks prove, so a completed pair that opens needs no more; any other pair gets the full account.
    func problems(_ pair: StoredPair, keyStores: BackupKeyStores?) -> [PairProblem] {
        if let keyStores, pair.summary.status.isCompleted, opens(pair, keyStores: keyStores) { return [] }
        return fullAccount(pair, keyStores: keyStores)
    }

    /// The structural checks, then (when `keyStores` is given and they allow it) the deep one: what
    /// `problems` reports, and what its shortcut for sound pairs must agree with.
    func fullAccount(_ pair: StoredPair, keyStores: BackupKeyStores?) -> [PairProblem] {
        var problems = Self.structuralProblems(pair)
        guard let keyStores, problems.allSatisfy({ $0 == .incomplete }), pair.cipherText != nil else { return problems }
        do {
            switch pair.summary.curve {
            case .secp256k1: _ = try openPair(pair, on: Secp256k1.self, keyStores: keyStores)
            case .ed25519: _ = try openPair(pair, on: Ed25519.self, keyStores: keyStores)
            }
        } catch {
            problems.append(error)
        }
        return problems
    }

    private func opens(_ pair: StoredPair, keyStores: BackupKeyStores) -> Bool {
        switch pair.summary.curve {
        case .secp256k1: return (try? openSoundPair(pair, on: Secp256k1.self, keyStores: keyStores)) != nil
        case .ed25519: return (try? openSoundPair(pair, on: Ed25519.self, keyStores: keyStores)) != nil
        }
    }

    /// `openPair` after the one structural check no computed point covers, the partner identifier's: a pair
    /// this opens passes the structural checks too (status aside).
    func openSoundPair<C: Curve>(_ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores) throws(PairProblem) -> OpenedPair<C> {
        guard Self.partnerIdentifierDecodes(pair, on: curve) else { throw .invalidPublicMaterial }
        return try openPair(pair, on: curve, keyStores: keyStores)
    }
}
