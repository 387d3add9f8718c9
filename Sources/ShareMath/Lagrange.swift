/// Lagrange interpolation at zero over a prime field.
public enum Lagrange<F: PrimeField> {
    /// `λ_i = Π_{j≠i} x_j / (x_j - x_i)`: the weight of the share at `x_i` in `f(0)`.
    ///
    /// The identifiers must be distinct and nonzero (a programmer error otherwise: check with
    /// `Shamir.checkIdentifiers` first).
    public static func coefficient(for x: F.Element, among identifiers: [F.Element]) -> F.Element {
        var numerator = F.element(1)
        var denominator = F.element(1)
        var found = false
        for other in identifiers {
            if F.isEqual(other, x) {
                found = true
                continue
            }
            numerator = F.multiply(numerator, other)
            denominator = F.multiply(denominator, F.subtract(other, x))
        }
        precondition(found, "identifier is not among the identifiers")
        return F.multiply(numerator, F.inverse(denominator))
    }

    /// All the coefficients for a set of identifiers, in order.
    public static func coefficients(for identifiers: [F.Element]) -> [F.Element] {
        identifiers.map { coefficient(for: $0, among: identifiers) }
    }

    /// `f(0)` from points `(x_i, f(x_i))`.
    public static func interpolateAtZero(_ points: [(x: F.Element, y: F.Element)]) -> F.Element {
        let weights = coefficients(for: points.map(\.x))
        var sum = F.multiply(weights[0], points[0].y)
        for index in 1..<points.count {
            sum = F.add(sum, F.multiply(weights[index], points[index].y))
        }
        return sum
    }
}
