import ShareMath
import Testing

/// Shamir's guarantees checked over every secret and every choice of randomness in a toy field.
///
/// The curve fields are far too large to enumerate, but `Shamir` is written once over `PrimeField`, so
/// the very code the curves run is run here on integers mod 11 (or 5), with its randomness fed from an
/// enumeration through the `randomness:` parameter.
@Suite("Exhaustive Shamir over a toy field")
struct ToyFieldExhaustiveTests {
    typealias F = ToyField<Modulus11>

    /// A closure handing out `values` in order, and a check that exactly all of them were used.
    final class Feed {
        let values: [Int]
        private(set) var used = 0
        init(_ values: [Int]) { self.values = values }
        func next() -> Int {
            defer { used += 1 }
            return values[used]
        }
        var exhausted: Bool { used == values.count }
    }

    /// For each (t-1)-subset of the shares (by index), how often each tuple of their values occurred.
    typealias Tally = [[Int]: [[Int]: Int]]

    /// Tallies the values of every (t-1)-subset of the shares over all polynomials with constant `secret`,
    /// with coefficients drawn from `coefficientChoices`; checks on the way that every t-subset recovers it.
    private func tally(secret: Int, threshold t: Int, count n: Int, coefficientChoices: [[Int]]) throws -> Tally {
        let identifiers = Shamir<F>.defaultIdentifiers(count: n)
        let smallSubsets = Enumerate.subsets(of: Array(0..<n), size: t - 1)
        let thresholdSubsets = Enumerate.subsets(of: Array(0..<n), size: t)
        var tally: Tally = [:]
        for coefficients in coefficientChoices {
            let feed = Feed(coefficients)
            let (polynomial, shares) = try Shamir<F>.split(
                secret: secret, threshold: t, identifiers: identifiers, randomness: feed.next)
            #expect(feed.exhausted)
            #expect(polynomial.coefficients == [secret] + coefficients)
            for subset in smallSubsets {
                tally[subset, default: [:]][subset.map { shares[$0].value }, default: 0] += 1
            }
            for subset in thresholdSubsets {
                #expect(try Shamir<F>.combine(subset.map { shares[$0] }, threshold: t) == secret)
            }
            #expect(try Shamir<F>.combine(shares.reversed(), threshold: t) == secret)
        }
        return tally
    }

    @Test("t - 1 shares reveal nothing: uniform, and the same for every secret (n = t + 1)", arguments: [2, 3])
    func fewerThanThresholdRevealNothing(threshold t: Int) throws {
        let p = F.p
        let n = t + 1
        let everyPolynomial = Enumerate.tuples(length: t - 1, modulus: p)
        let tuplesOfValues = Enumerate.tuples(length: t - 1, modulus: p).count
        var tallies: [Tally] = []
        for secret in 0..<p {
            let tally = try tally(secret: secret, threshold: t, count: n, coefficientChoices: everyPolynomial)
            #expect(tally.count == Enumerate.subsets(of: Array(0..<n), size: t - 1).count)
            for (subset, counts) in tally {
                // Every tuple of t - 1 values occurs, each equally often: the uniform distribution.
                #expect(counts.count == tuplesOfValues, "secret \(secret), shares \(subset)")
                #expect(Set(counts.values) == [everyPolynomial.count / tuplesOfValues], "secret \(secret)")
            }
            tallies.append(tally)
        }
        #expect(tallies.allSatisfy { $0 == tallies[0] })
    }

    /// A control that shows the tally above can fail: with the leading coefficient restricted to nonzero
    /// values (as `PrimeField.random()` draws them), one share of a 2-of-n sharing is never equal to the
    /// secret, so its distribution depends on the secret. On the curves this bias is (t - 1)/order, about
    /// 2^-252: negligible, but it is why the uniformity test enumerates all of the field.
    @Test("control: with nonzero-only coefficients, one share's distribution depends on the secret")
    func nonzeroCoefficientsLeak() throws {
        let nonzero = (1..<F.p).map { [$0] }
        let tallies = try (0..<F.p).map { secret in
            try tally(secret: secret, threshold: 2, count: 3, coefficientChoices: nonzero)
        }
        #expect(!tallies.allSatisfy { $0 == tallies[0] })
    }

    /// One exhaustive re-sharing configuration.
    struct ReshareCase: Sendable, CustomTestStringConvertible {
        let threshold: Int
        let newThreshold: Int
        let modulus: Int
        /// The secrets to try (all of them where that stays fast).
        let secrets: [Int]
        /// How many of the old polynomials (each a choice of old coefficients) to try.
        let oldPolynomials: Int

        var testDescription: String {
            "\(threshold) -> \(newThreshold) over Z/\(modulus), secrets \(secrets), \(oldPolynomials) old polynomial(s)"
        }
    }

    static let reshareCases: [ReshareCase] = [
        ReshareCase(threshold: 2, newThreshold: 2, modulus: 11, secrets: Array(0..<11), oldPolynomials: 11),
        ReshareCase(threshold: 2, newThreshold: 3, modulus: 11, secrets: [7], oldPolynomials: 1),
        ReshareCase(threshold: 3, newThreshold: 2, modulus: 11, secrets: [4], oldPolynomials: 2),
        ReshareCase(threshold: 3, newThreshold: 3, modulus: 5, secrets: [3], oldPolynomials: 1),
    ]

    @Test(
        "reshare: t' - 1 new shares are uniform whichever old shares dealt them; any t' give the secret",
        arguments: reshareCases)
    func reshareIsUniform(_ reshareCase: ReshareCase) throws {
        switch reshareCase.modulus {
        case 11: try reshareIsUniform(ToyField<Modulus11>.self, reshareCase)
        case 5: try reshareIsUniform(ToyField<Modulus5>.self, reshareCase)
        default: Issue.record("no toy field for modulus \(reshareCase.modulus)")
        }
    }

    private func reshareIsUniform<G: PrimeField>(_: G.Type, _ reshareCase: ReshareCase) throws where G.Element == Int {
        let (t, tNew, p) = (reshareCase.threshold, reshareCase.newThreshold, reshareCase.modulus)
        let n = t + 1
        let nNew = tNew + 1
        let oldIdentifiers = Shamir<G>.defaultIdentifiers(count: n)
        // New identifiers counted down from p - 1, away from the old ones where the field has room.
        let newIdentifiers = (0..<nNew).map { p - 1 - $0 }
        let everyRandomness = Enumerate.tuples(length: t * (tNew - 1), modulus: p)
        let tuplesOfValues = Enumerate.tuples(length: tNew - 1, modulus: p).count
        let holderSets = Enumerate.subsets(of: Array(0..<n), size: t)
        let newThresholdSets = Enumerate.subsets(of: Array(0..<nNew), size: tNew)

        for secret in reshareCase.secrets {
            for oldCoefficients in Enumerate.tuples(length: t - 1, modulus: p).prefix(reshareCase.oldPolynomials) {
                let oldFeed = Feed(oldCoefficients)
                let (_, oldShares) = try Shamir<G>.split(
                    secret: secret, threshold: t, identifiers: oldIdentifiers, randomness: oldFeed.next)
                var talliesByHolders: [[Int]: Int] = [:]
                var tallies: [[[Int]: Int]] = []
                for holders in holderSets {
                    talliesByHolders = [:]
                    for randomness in everyRandomness {
                        let feed = Feed(randomness)
                        let (polynomials, newShares) = try Shamir<G>.reshare(
                            holders.map { oldShares[$0] }, threshold: t, to: newIdentifiers, newThreshold: tNew,
                            randomness: feed.next)
                        #expect(feed.exhausted)
                        // The holders' constants are their weighted shares, summing to the secret.
                        #expect(polynomials.map(\.constant).reduce(0, G.add) == secret)
                        talliesByHolders[newShares.prefix(tNew - 1).map(\.value), default: 0] += 1
                        for subset in newThresholdSets {
                            #expect(try Shamir<G>.combine(subset.map { newShares[$0] }, threshold: tNew) == secret)
                        }
                    }
                    #expect(talliesByHolders.count == tuplesOfValues, "holders \(holders)")
                    #expect(
                        Set(talliesByHolders.values) == [everyRandomness.count / tuplesOfValues], "holders \(holders)")
                    tallies.append(talliesByHolders)
                }
                #expect(
                    tallies.allSatisfy { $0 == tallies[0] }, "secret \(secret), old coefficients \(oldCoefficients)")
            }
        }
    }
}
