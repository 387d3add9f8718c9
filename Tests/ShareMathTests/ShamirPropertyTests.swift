import PropertyBased
import ShareMath
import Testing

/// Shamir's laws on both curves: any `t` shares give the secret back (and their public shares the key),
/// `t - 1` do not.
@Suite("Shamir sharing on both curves")
struct ShamirPropertyTests {
    @Test(
        "any t of n shares, in any order, combine to the secret; their public shares to the key",
        arguments: CurveID.allCases)
    func thresholdSharesRecover(curve: CurveID) async {
        await thresholdSharesRecover(curve.type, counts: 2...7, runs: 60)
    }

    @Test("the same with up to 20 shares", arguments: CurveID.allCases)
    func thresholdSharesRecoverManyShares(curve: CurveID) async {
        await thresholdSharesRecover(curve.type, counts: 8...20, runs: 6)
    }

    @Test("t - 1 shares give neither the secret nor the key", arguments: CurveID.allCases)
    func tooFewSharesRevealNothingUseful(curve: CurveID) async {
        await tooFewSharesRevealNothingUseful(curve.type)
    }

    @Test("more than t shares combine to the secret as well", arguments: CurveID.allCases)
    func surplusShares(curve: CurveID) async {
        await surplusShares(curve.type)
    }

    @Test("split evaluates one polynomial with the secret as its constant", arguments: CurveID.allCases)
    func splitEvaluatesPolynomial(curve: CurveID) async {
        await splitEvaluatesPolynomial(curve.type)
    }

    private func thresholdSharesRecover<C: Curve>(_: C.Type, counts: ClosedRange<Int>, runs: Int) async {
        await propertyCheck(count: runs, input: ShareMathGen.sharing(counts: counts)) { sharing in
            let secret = try sharing.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: sharing.identifiers(C.self))
            #expect(dealing.shares.count == sharing.count)
            #expect(dealing.threshold == sharing.threshold)
            #expect(dealing.publicKey == C.baseMultiply(secret))

            let chosen = sharing.pick(sharing.threshold, of: dealing.shares)
            #expect(try Shamir<C>.combine(chosen, threshold: sharing.threshold) == secret)

            let publicShares = chosen.map { (identifier: $0.identifier, point: C.baseMultiply($0.value)) }
            #expect(Lagrange<C>.interpolateAtZero(publicShares: publicShares) == dealing.publicKey)
        }
    }

    private func tooFewSharesRevealNothingUseful<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 60, input: ShareMathGen.sharing(counts: 2...7)) { sharing in
            let secret = try sharing.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: sharing.identifiers(C.self))
            let chosen = sharing.pick(sharing.threshold - 1, of: dealing.shares)

            // Interpolating t - 1 points fits a polynomial of lower degree: a different constant.
            #expect(try Shamir<C>.combine(chosen, threshold: sharing.threshold - 1) != secret)
            let publicShares = chosen.map { (identifier: $0.identifier, point: C.baseMultiply($0.value)) }
            #expect(Lagrange<C>.interpolateAtZero(publicShares: publicShares) != dealing.publicKey)

            // And asked for the real threshold, combine refuses.
            #expect(throws: ShareMathError.tooFewShares(needed: sharing.threshold, got: sharing.threshold - 1)) {
                try Shamir<C>.combine(chosen, threshold: sharing.threshold)
            }
        }
    }

    private func surplusShares<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 40, input: ShareMathGen.sharing(counts: 3...7), Gen.int(in: 0...6)) {
            sharing, extra in
            let secret = try sharing.secret(C.self)
            let dealing = try Dealing<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: sharing.identifiers(C.self))
            let k = sharing.threshold + extra % (sharing.count - sharing.threshold + 1)
            #expect(try Shamir<C>.combine(sharing.pick(k, of: dealing.shares), threshold: sharing.threshold) == secret)
        }
    }

    private func splitEvaluatesPolynomial<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 30, input: ShareMathGen.sharing(counts: 2...7)) { sharing in
            let secret = try sharing.secret(C.self)
            let identifiers = sharing.identifiers(C.self)
            let (polynomial, shares) = try Shamir<C>.split(
                secret: secret, threshold: sharing.threshold, identifiers: identifiers)
            #expect(polynomial.degree == sharing.threshold - 1)
            #expect(polynomial.constant == secret)
            #expect(polynomial.evaluate(at: C.element(0)) == secret)
            for (share, identifier) in zip(shares, identifiers) {
                #expect(share.identifier == identifier)
                #expect(share.value == polynomial.evaluate(at: identifier))
            }

            // Without identifiers, a dealing uses 1, 2, ..., count.
            let dealing = try Dealing<C>.split(secret: secret, threshold: sharing.threshold, count: sharing.count)
            let expected = (1...sharing.count).map { C.element(UInt64($0)) }
            #expect(dealing.shares.map(\.identifier) == expected)
            #expect(Shamir<C>.defaultIdentifiers(count: sharing.count) == expected)
        }
    }
}

/// What split, combine and re-share refuse.
@Suite("Shamir argument checks")
struct ShamirArgumentTests {
    @Test("thresholds outside 2 <= t <= n <= 255 are refused", arguments: CurveID.allCases)
    func invalidThresholds(curve: CurveID) throws {
        try invalidThresholds(curve.type)
    }

    @Test("zero and duplicate identifiers, and a zero secret, are refused", arguments: CurveID.allCases)
    func invalidIdentifiers(curve: CurveID) throws {
        try invalidIdentifiers(curve.type)
    }

    private func invalidThresholds<C: Curve>(_: C.Type) throws {
        let secret = Scalar<C>.random()
        for (threshold, count) in [(1, 3), (0, 3), (-1, 3), (4, 3), (2, 256), (2, 1), (2, 0)] {
            #expect(throws: ShareMathError.invalidThreshold(threshold: threshold, count: count)) {
                try Dealing<C>.split(secret: secret, threshold: threshold, count: count)
            }
        }
        // 255 shares is the most, and allowed.
        #expect(try Dealing<C>.split(secret: secret, threshold: 2, count: 255).shares.count == 255)

        let shares = try Dealing<C>.split(secret: secret, threshold: 2, count: 3).shares
        #expect(throws: ShareMathError.invalidThreshold(threshold: 1, count: 3)) {
            try Shamir<C>.reshare(shares, threshold: 2, to: Shamir<C>.defaultIdentifiers(count: 3), newThreshold: 1)
        }
        #expect(throws: ShareMathError.tooFewShares(needed: 2, got: 1)) {
            try Shamir<C>.reshare(
                Array(shares.prefix(1)), threshold: 2, to: Shamir<C>.defaultIdentifiers(count: 3), newThreshold: 2)
        }
    }

    private func invalidIdentifiers<C: Curve>(_: C.Type) throws {
        let secret = Scalar<C>.random()
        let one = C.element(1)
        let two = C.element(2)
        #expect(throws: ShareMathError.zeroScalar) {
            try Dealing<C>.split(secret: secret, threshold: 2, identifiers: [one, C.element(0), two])
        }
        #expect(throws: ShareMathError.duplicateIdentifier) {
            try Dealing<C>.split(secret: secret, threshold: 2, identifiers: [one, two, C.element(1)])
        }
        #expect(throws: ShareMathError.zeroScalar) {
            try Dealing<C>.split(secret: C.element(0), threshold: 2, count: 3)
        }

        let shares = try Dealing<C>.split(secret: secret, threshold: 2, count: 3).shares
        #expect(throws: ShareMathError.duplicateIdentifier) {
            try Shamir<C>.combine([shares[0], shares[1], shares[0]], threshold: 2)
        }
        #expect(throws: ShareMathError.duplicateIdentifier) {
            try Shamir<C>.reshare([shares[1], shares[1]], threshold: 2, to: [one, two], newThreshold: 2)
        }
        #expect(throws: ShareMathError.duplicateIdentifier) {
            try Shamir<C>.reshare([shares[0], shares[1]], threshold: 2, to: [one, two, one], newThreshold: 2)
        }
    }
}
