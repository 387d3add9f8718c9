/// Feldman commitments `C_j = a_j·G` to a sharing polynomial's coefficients: anyone can check a share
/// against them without any secret, and `C_0` is the group public key.
public struct Commitments<C: Curve>: Sendable, Equatable {
    /// `C_0, C_1, ..., C_{t-1}`.
    public let points: [Point<C>]

    /// Commitments as read from a document; there must be at least one.
    public init(points: [Point<C>]) {
        precondition(!points.isEmpty, "commitments need at least C_0")
        self.points = points
    }

    /// Commits to every coefficient of `polynomial`.
    public init(committingTo polynomial: Polynomial<C>) {
        self.points = polynomial.coefficients.map(C.baseMultiply)
    }

    /// The sum, coefficient by coefficient, of several holders' commitments (re-sharing).
    public init(summing parts: [Commitments<C>]) {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.points.count == parts[0].points.count })
        self.points = (0..<parts[0].points.count).map { index in C.sum(parts.map { $0.points[index] }) }
    }

    /// The group public key `X = C_0`.
    public var publicKey: Point<C> { points[0] }
    /// The threshold `t`, one more than the polynomial's degree.
    public var threshold: Int { points.count }

    /// `S_i = Σ C_j·i^j`, by Horner's rule in the exponent: the public share the identifier must have.
    public func publicShare(at identifier: Scalar<C>) -> Point<C> {
        var accumulator = points[points.count - 1]
        for commitment in points.dropLast().reversed() {
            accumulator = C.add(C.multiply(accumulator, identifier), commitment)
        }
        return accumulator
    }

    /// Whether `share.value·G` equals the public share the commitments give its identifier.
    public func verify(_ share: Share<C>) -> Bool {
        C.baseMultiply(share.value) == publicShare(at: share.identifier)
    }
}

extension Lagrange where F: Curve {
    /// `Σ λ_i·S_i`: the public key from public shares, without any secret (Lagrange in the exponent).
    public static func interpolateAtZero(publicShares: [(identifier: Scalar<F>, point: Point<F>)]) -> Point<F> {
        let weights = coefficients(for: publicShares.map(\.identifier))
        return F.sum(zip(weights, publicShares).map { weight, share in F.multiply(share.point, weight) })
    }
}
