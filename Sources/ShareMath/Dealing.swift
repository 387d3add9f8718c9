/// A verifiable sharing of one key on curve `C`: the shares, the Feldman commitments and the threshold.
public struct Dealing<C: Curve>: Sendable {
    public let shares: [Share<C>]
    public let commitments: Commitments<C>

    /// The group public key `X`.
    public var publicKey: Point<C> { commitments.publicKey }
    public var threshold: Int { commitments.threshold }

    /// Splits `secret` into shares at `identifiers` (default 1...count), with commitments.
    public static func split(
        secret: Scalar<C>, threshold: Int, identifiers: [Scalar<C>]
    ) throws(ShareMathError) -> Dealing {
        if secret.isZero { throw .zeroScalar }
        let (polynomial, shares) = try Shamir<C>.split(secret: secret, threshold: threshold, identifiers: identifiers)
        return Dealing(shares: shares, commitments: Commitments(committingTo: polynomial))
    }

    /// Splits `secret` into `count` shares at identifiers 1...count.
    public static func split(secret: Scalar<C>, threshold: Int, count: Int) throws(ShareMathError) -> Dealing {
        try Shamir<C>.checkThreshold(threshold, count: count)
        return try split(secret: secret, threshold: threshold, identifiers: Shamir<C>.defaultIdentifiers(count: count))
    }

    /// Re-shares `threshold` shares of the key `publicKey` to new identifiers and a new threshold,
    /// never forming the key.
    ///
    /// - Throws: `ShareMathError.inconsistentShares` when the new shares do not interpolate to `publicKey`
    ///   (a wrong or corrupted old share), before the caller can store anything.
    public static func reshare(
        _ shares: [Share<C>], threshold: Int, publicKey: Point<C>,
        to identifiers: [Scalar<C>], newThreshold: Int
    ) throws(ShareMathError) -> Dealing {
        let (polynomials, newShares) = try Shamir<C>.reshare(
            shares, threshold: threshold, to: identifiers, newThreshold: newThreshold)
        let commitments = Commitments(summing: polynomials.map(Commitments.init(committingTo:)))
        guard commitments.publicKey == publicKey else {
            throw .inconsistentShares("the re-shared key does not match the public key")
        }
        return Dealing(shares: newShares, commitments: commitments)
    }

    /// Refreshes: new shares at the same identifiers, with the same key and threshold.
    public static func refresh(
        _ shares: [Share<C>], threshold: Int, publicKey: Point<C>
    ) throws(ShareMathError) -> Dealing {
        try reshare(
            shares, threshold: threshold, publicKey: publicKey,
            to: shares.map(\.identifier), newThreshold: threshold)
    }
}
