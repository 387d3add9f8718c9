/// One Shamir share `(i, f(i))` of a secret over field `F`.
public struct Share<F: PrimeField>: Sendable {
    /// The nonzero identifier `i` (Portal calls it `bk`); public.
    public let identifier: F.Element
    /// The share value `s_i = f(i)`; secret.
    public let value: F.Element

    public init(identifier: F.Element, value: F.Element) {
        self.identifier = identifier
        self.value = value
    }
}

extension Share: CustomStringConvertible {
    public var description: String { "Share(redacted)" }
}
