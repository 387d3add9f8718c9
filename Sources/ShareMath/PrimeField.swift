/// Arithmetic in a prime field: the home of secrets, shares, identifiers and polynomial coefficients.
///
/// The Shamir and Lagrange code is written once against this protocol, so it runs unchanged on the
/// curves' scalar fields and on a toy field small enough to enumerate in tests.
public protocol PrimeField: Sendable {
    associatedtype Element: Sendable

    static func add(_ a: Element, _ b: Element) -> Element
    static func subtract(_ a: Element, _ b: Element) -> Element
    static func multiply(_ a: Element, _ b: Element) -> Element
    /// The multiplicative inverse; `a` must be nonzero (a programmer error otherwise).
    static func inverse(_ a: Element) -> Element
    /// Equality, in constant time where elements can be secret.
    static func isEqual(_ a: Element, _ b: Element) -> Bool
    static func isZero(_ a: Element) -> Bool
    /// The element for a small integer, as used for default identifiers 1, 2, 3...
    static func element(_ value: UInt64) -> Element
    /// A uniformly random nonzero element from a cryptographic source.
    static func random() -> Element
}
