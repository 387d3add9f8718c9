/// Shamir secret sharing over a prime field: split, combine and re-share, written once for every field.
public enum Shamir<F: PrimeField> {
    /// The largest share count, as for one-byte identifiers.
    public static var maximumCount: Int { 255 }

    /// Checks `2 <= threshold <= count <= 255`.
    public static func checkThreshold(_ threshold: Int, count: Int) throws(ShareMathError) {
        guard threshold >= 2, threshold <= count, count <= maximumCount else {
            throw .invalidThreshold(threshold: threshold, count: count)
        }
    }

    /// Checks that identifiers are nonzero and pairwise distinct.
    public static func checkIdentifiers(_ identifiers: [F.Element]) throws(ShareMathError) {
        for (index, identifier) in identifiers.enumerated() {
            if F.isZero(identifier) { throw .zeroScalar }
            for other in identifiers[..<index] where F.isEqual(other, identifier) {
                throw .duplicateIdentifier
            }
        }
    }

    /// The default identifiers 1, 2, ..., count.
    public static func defaultIdentifiers(count: Int) -> [F.Element] {
        (1...count).map { F.element(UInt64($0)) }
    }

    /// Splits `secret` into shares at `identifiers`, any `threshold` of which give it back.
    ///
    /// - Returns: The polynomial (its coefficients are secret; callers commit to them) and the shares.
    public static func split(
        secret: F.Element, threshold: Int, identifiers: [F.Element], randomness: () -> F.Element = F.random
    ) throws(ShareMathError) -> (polynomial: Polynomial<F>, shares: [Share<F>]) {
        try checkThreshold(threshold, count: identifiers.count)
        try checkIdentifiers(identifiers)
        let polynomial = Polynomial<F>(constant: secret, degree: threshold - 1, randomness: randomness)
        let shares = identifiers.map { Share<F>(identifier: $0, value: polynomial.evaluate(at: $0)) }
        return (polynomial, shares)
    }

    /// Interpolates the secret from shares. With fewer than the threshold the result is meaningless,
    /// which is why callers pass the threshold they know.
    public static func combine(_ shares: [Share<F>], threshold: Int) throws(ShareMathError) -> F.Element {
        guard !shares.isEmpty, shares.count >= threshold else {
            throw .tooFewShares(needed: threshold, got: shares.count)
        }
        try checkIdentifiers(shares.map(\.identifier))
        return Lagrange<F>.interpolateAtZero(shares.map { ($0.identifier, $0.value) })
    }

    /// Re-shares from exactly `threshold` old shares to new identifiers and a new threshold, without
    /// forming the secret: holder `i` deals `λ_i·s_i` on a fresh polynomial, and each new share is the sum
    /// of what it receives.
    ///
    /// - Returns: Each old holder's polynomial (in the order of `shares`) and the new shares.
    public static func reshare(
        _ shares: [Share<F>], threshold: Int, to identifiers: [F.Element], newThreshold: Int,
        randomness: () -> F.Element = F.random
    ) throws(ShareMathError) -> (polynomials: [Polynomial<F>], shares: [Share<F>]) {
        guard threshold >= 1, shares.count >= threshold else {
            throw .tooFewShares(needed: threshold, got: shares.count)
        }
        try checkThreshold(newThreshold, count: identifiers.count)
        try checkIdentifiers(identifiers)
        let holders = Array(shares.prefix(threshold))
        try checkIdentifiers(holders.map(\.identifier))
        let weights = Lagrange<F>.coefficients(for: holders.map(\.identifier))
        let polynomials = zip(holders, weights).map { holder, weight in
            Polynomial<F>(
                constant: F.multiply(weight, holder.value), degree: newThreshold - 1, randomness: randomness)
        }
        let newShares = identifiers.map { identifier in
            let received = polynomials.map { $0.evaluate(at: identifier) }
            return Share<F>(identifier: identifier, value: received.dropFirst().reduce(received[0], F.add))
        }
        return (polynomials, newShares)
    }
}
