import Foundation
import ShareMath

/// A share document with the place it came from (a file name, `file#2` for the second in a file).
public struct LabeledShareDocument: Sendable {
    public let label: String
    public let document: AnyShareDocument

    public init(label: String, document: AnyShareDocument) {
        self.label = label
        self.document = document
    }
}

/// Why a set of share documents cannot be combined.
public enum ShareSetError: Error, Equatable, Sendable, CustomStringConvertible {
    case noShares
    case mixedCurves(first: String, other: String)
    case mismatchedPublicKeys(first: String, other: String)
    case differentDealings(first: String, other: String)
    case duplicateIdentifier(first: String, other: String)
    case tooFewShares(needed: Int, got: Int)
    /// A share fails its own checks: a verification failure (exit status 1), not bad syntax.
    case invalidShare(label: String, problems: [ShareProblem])

    public var description: String {
        switch self {
        case .noShares:
            return "no shares given"
        case .mixedCurves(let first, let other):
            return "\(other): curve differs from \(first)'s; shares of mixed curves cannot be combined"
        case .mismatchedPublicKeys(let first, let other):
            return "\(other): public key differs from \(first)'s"
        case .differentDealings(let first, let other):
            return "\(other): commitments differ from \(first)'s (shares from different dealings)"
        case .duplicateIdentifier(let first, let other):
            return "\(other): duplicate identifier (same as \(first))"
        case .tooFewShares(let needed, let got):
            return "too few shares: threshold is \(needed), got \(got)"
        case .invalidShare(let label, let problems):
            return "\(label): " + problems.map(\.description).joined(separator: "; ")
        }
    }
}

/// The share math on its own, over share documents: split, combine and verify, for ceremonies and checks.
public enum ShareCeremony {
    /// Splits a secret (a fresh random one unless given, in the curve's scalar encoding) into share documents.
    public static func split(
        curve: CurveID, threshold: Int, count: Int, secret: SecureBytes? = nil
    ) throws(ShareMathError) -> [AnyShareDocument] {
        switch curve {
        case .secp256k1:
            return try split(Secp256k1.self, threshold: threshold, count: count, secret: secret).map { .secp256k1($0) }
        case .ed25519:
            return try split(Ed25519.self, threshold: threshold, count: count, secret: secret).map { .ed25519($0) }
        }
    }

    static func split<C: Curve>(
        _ curve: C.Type, threshold: Int, count: Int, secret: SecureBytes?
    ) throws(ShareMathError) -> [ShareDocument<C>] {
        try Shamir<C>.checkThreshold(threshold, count: count)
        let key: Scalar<C>
        if let secret {
            key = try secret.withUnsafeBytes { (bytes) throws(ShareMathError) in try Scalar<C>(decoding: bytes) }
        } else {
            key = .random()
        }
        return ShareDocument.documents(for: try Dealing.split(secret: key, threshold: threshold, count: count))
    }

    /// What combining found.
    public struct Combination: Sendable {
        public let curve: CurveID
        public let threshold: Int
        public let sharesUsed: Int
        /// The public key's canonical encoding.
        public let publicKey: [UInt8]
        /// The secret's canonical encoding, only when asked for.
        public let secret: SecureBytes?
    }

    /// Interpolates the secret from documents of one dealing and checks it against the public key.
    ///
    /// - Throws: `ShareSetError` for mixed curves, mismatched keys or dealings, duplicates, too few
    ///   shares, or a share that fails its commitments.
    public static func combine(
        _ documents: [LabeledShareDocument], revealSecret: Bool
    ) throws(ShareSetError) -> Combination {
        guard let first = documents.first else { throw .noShares }
        for other in documents.dropFirst() where other.document.curve != first.document.curve {
            throw .mixedCurves(first: first.label, other: other.label)
        }
        switch first.document.curve {
        case .secp256k1: return try combine(Secp256k1.self, documents, revealSecret: revealSecret)
        case .ed25519: return try combine(Ed25519.self, documents, revealSecret: revealSecret)
        }
    }

    private static func combine<C: Curve>(
        _ curve: C.Type, _ labeled: [LabeledShareDocument], revealSecret: Bool
    ) throws(ShareSetError) -> Combination {
        var documents: [ShareDocument<C>] = []
        for item in labeled {
            // `combine` checked that every document is on the first one's curve.
            guard let document = item.document.on(C.self) else {
                throw .mixedCurves(first: labeled[0].label, other: item.label)
            }
            documents.append(document)
        }
        let first = documents[0]
        for (index, document) in documents.enumerated() {
            let label = labeled[index].label
            if document.publicKey != first.publicKey {
                throw .mismatchedPublicKeys(first: labeled[0].label, other: label)
            }
            if document.commitments != first.commitments || document.threshold != first.threshold {
                throw .differentDealings(first: labeled[0].label, other: label)
            }
            if let earlier = documents[..<index].firstIndex(where: { $0.share.identifier == document.share.identifier })
            {
                throw .duplicateIdentifier(first: labeled[earlier].label, other: label)
            }
        }
        guard documents.count >= first.threshold else {
            throw .tooFewShares(needed: first.threshold, got: documents.count)
        }
        for (index, document) in documents.enumerated() {
            let problems = document.problems()
            if !problems.isEmpty { throw .invalidShare(label: labeled[index].label, problems: problems) }
        }
        let secret: Scalar<C>
        do {
            secret = try Shamir<C>.combine(documents.map(\.share), threshold: first.threshold)
        } catch {
            throw .tooFewShares(needed: first.threshold, got: documents.count)
        }
        // Shares that verify against one set of commitments cannot disagree; checked anyway, as eject will.
        guard C.baseMultiply(secret) == first.publicKey else {
            throw .invalidShare(label: labeled[0].label, problems: [.notOnCommittedPolynomial])
        }
        return Combination(
            curve: C.id, threshold: first.threshold, sharesUsed: documents.count, publicKey: first.publicKey.encoded,
            secret: revealSecret ? secret.bytes : nil)
    }

    /// One document's verification outcome.
    public struct Verification: Sendable {
        public let label: String
        public let curve: CurveID
        public let publicKey: [UInt8]
        public let problems: [ShareProblem]
        public var passed: Bool { problems.isEmpty }
    }

    /// Checks each document against its commitments, public share and public key.
    public static func verify(_ documents: [LabeledShareDocument]) -> [Verification] {
        documents.map { labeled in
            switch labeled.document {
            case .secp256k1(let document): return verification(labeled.label, document)
            case .ed25519(let document): return verification(labeled.label, document)
            }
        }
    }

    private static func verification<C: Curve>(_ label: String, _ document: ShareDocument<C>) -> Verification {
        Verification(label: label, curve: C.id, publicKey: document.publicKey.encoded, problems: document.problems())
    }
}
