import ShareMath

/// A walk through the share math on one curve: split, verify, combine, re-share and combine again.
public enum ShareMathDemo {
    /// One step's outcome, for printing.
    public struct Step: Sendable, Encodable {
        public let curve: CurveID
        public let step: String
        public let passed: Bool
    }

    /// Runs the walk on `curve`; every step reports whether its check held.
    public static func run(curve: CurveID) throws -> [Step] {
        switch curve {
        case .secp256k1: return try run(Secp256k1.self)
        case .ed25519: return try run(Ed25519.self)
        }
    }

    private static func run<C: Curve>(_ curve: C.Type) throws -> [Step] {
        var steps: [Step] = []
        func record(_ step: String, _ passed: Bool) { steps.append(Step(curve: C.id, step: step, passed: passed)) }

        let secret = Scalar<C>.random()
        let dealing = try Dealing<C>.split(secret: secret, threshold: 2, count: 3)
        record("split a fresh key 2-of-3, public key \(dealing.publicKey)", dealing.publicKey == C.baseMultiply(secret))
        record(
            "every share verifies against the Feldman commitments",
            dealing.shares.allSatisfy(dealing.commitments.verify))
        let pair = [dealing.shares[2], dealing.shares[0]]
        record("shares 3 and 1 combine to the key", try Shamir<C>.combine(pair, threshold: 2) == secret)
        let publicShares = pair.map { (identifier: $0.identifier, point: C.baseMultiply($0.value)) }
        record(
            "their public shares interpolate to the public key",
            Lagrange<C>.interpolateAtZero(publicShares: publicShares) == dealing.publicKey)
        let reshared = try Dealing<C>.reshare(
            pair, threshold: 2, publicKey: dealing.publicKey, to: Shamir<C>.defaultIdentifiers(count: 5),
            newThreshold: 3)
        record(
            "re-shared 2-of-3 to 3-of-5 without forming the key; same public key",
            reshared.publicKey == dealing.publicKey)
        record(
            "the new shares verify against the new commitments", reshared.shares.allSatisfy(reshared.commitments.verify)
        )
        let three = [reshared.shares[4], reshared.shares[1], reshared.shares[3]]
        record("new shares 5, 2 and 4 combine to the same key", try Shamir<C>.combine(three, threshold: 3) == secret)
        return steps
    }
}
