/// A polynomial `f(z) = a_0 + a_1·z + ... + a_{t-1}·z^{t-1}` over a prime field; `a_0` is the shared secret.
public struct Polynomial<F: PrimeField>: Sendable {
    /// Coefficients from the constant term up.
    public let coefficients: [F.Element]

    public init(coefficients: [F.Element]) {
        precondition(!coefficients.isEmpty, "a polynomial needs at least its constant term")
        self.coefficients = coefficients
    }

    /// A polynomial with the given constant term and `degree` further coefficients from `randomness`.
    public init(constant: F.Element, degree: Int, randomness: () -> F.Element = F.random) {
        precondition(degree >= 0)
        coefficients = [constant] + (0..<degree).map { _ in randomness() }
    }

    public var degree: Int { coefficients.count - 1 }
    public var constant: F.Element { coefficients[0] }

    /// `f(x)` by Horner's rule.
    public func evaluate(at x: F.Element) -> F.Element {
        var accumulator = coefficients[coefficients.count - 1]
        for coefficient in coefficients.dropLast().reversed() {
            accumulator = F.add(F.multiply(accumulator, x), coefficient)
        }
        return accumulator
    }
}
