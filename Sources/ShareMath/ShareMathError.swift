/// Everything the share math refuses, each case saying what was wrong.
public enum ShareMathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An encoding had the wrong number of bytes.
    case wrongLength(expected: Int, actual: Int)
    /// Text that should have been lowercase or uppercase hex was not.
    case invalidHex
    /// A scalar encoding is not below the group order.
    case scalarOutOfRange
    /// A zero scalar where a key, share or identifier is expected.
    case zeroScalar
    /// A point encoding does not name a point on the curve.
    case pointNotOnCurve
    /// A point encoding is not in the curve's canonical form.
    case nonCanonicalPoint
    /// The identity (point at infinity), or another point of small order.
    case identityPoint
    /// An ed25519 point outside the prime-order subgroup (it has a torsion component).
    case pointNotInPrimeOrderSubgroup
    /// Threshold and share count outside 2 <= t <= n <= 255.
    case invalidThreshold(threshold: Int, count: Int)
    /// Two shares or identifiers are the same.
    case duplicateIdentifier
    /// Fewer shares than the threshold.
    case tooFewShares(needed: Int, got: Int)
    /// The shares given for one operation do not agree with each other.
    case inconsistentShares(String)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual):
            return "wrong length: expected \(expected) bytes, got \(actual)"
        case .invalidHex:
            return "not valid hex"
        case .scalarOutOfRange:
            return "scalar out of range (not below the group order)"
        case .zeroScalar:
            return "zero scalar where a nonzero key, share or identifier is required"
        case .pointNotOnCurve:
            return "point is not on the curve"
        case .nonCanonicalPoint:
            return "point encoding is not canonical"
        case .identityPoint:
            return "point is the identity or of small order"
        case .pointNotInPrimeOrderSubgroup:
            return "point is outside the prime-order subgroup"
        case .invalidThreshold(let threshold, let count):
            return "invalid threshold \(threshold) of \(count): need 2 <= threshold <= count <= 255"
        case .duplicateIdentifier:
            return "duplicate share identifier"
        case .tooFewShares(let needed, let got):
            return "too few shares: need \(needed), got \(got)"
        case .inconsistentShares(let why):
            return "inconsistent shares: \(why)"
        }
    }
}
