/// The curves the toolkit supports, by the names used in documents and on the command line.
public enum CurveID: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case secp256k1
    case ed25519

    public var description: String { rawValue }
}

/// A prime-order group with its scalar field and its standard encodings (RFC 9591, section 6).
///
/// Code above this protocol (Shamir, Feldman, Lagrange, re-sharing) is written once for both curves.
public protocol Curve: PrimeField where Element == Scalar<Self> {
    static var id: CurveID { get }
    /// Bytes in an encoded scalar (32 for both curves).
    static var scalarLength: Int { get }
    /// Bytes in an encoded point (33 compressed SEC1 for secp256k1, 32 for ed25519).
    static var pointLength: Int { get }

    /// Decodes a scalar, refusing wrong lengths, values >= the group order and zero.
    static func decodeScalar(_ bytes: some Collection<UInt8>) throws(ShareMathError) -> Scalar<Self>
    /// Decodes a point, refusing encodings off the curve, non-canonical, the identity and (ed25519)
    /// points outside the prime-order subgroup.
    static func decodePoint(_ bytes: some Collection<UInt8>) throws(ShareMathError) -> Point<Self>
    /// The canonical encoding; the identity encodes as SEC1's `00` or ed25519's `01 00..00`.
    static func encodePoint(_ point: Point<Self>) -> [UInt8]

    static var identity: Point<Self> { get }
    /// `s·G` for the standard generator.
    static func baseMultiply(_ s: Scalar<Self>) -> Point<Self>
    static func multiply(_ p: Point<Self>, _ s: Scalar<Self>) -> Point<Self>
    static func add(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self>
    /// `p − q`.
    static func subtract(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self>
    static func isEqual(_ p: Point<Self>, _ q: Point<Self>) -> Bool
}

extension Curve {
    /// The sum of many points (the identity for none).
    public static func sum(_ points: [Point<Self>]) -> Point<Self> {
        points.reduce(identity) { add($0, $1) }
    }
}

/// A scalar of curve `C`'s group order, held in libsodium's guarded memory.
///
/// Shares and secrets are scalars, so every scalar is treated as a secret: it prints as redacted, compares
/// in constant time, and its bytes leave only through the explicit export paths in this package.
public struct Scalar<C: Curve>: Sendable, Equatable, CustomStringConvertible {
    package let bytes: SecureBytes

    package init(bytes: SecureBytes) {
        precondition(bytes.count == C.scalarLength)
        self.bytes = bytes
    }

    /// Decodes the curve's scalar encoding (see `Curve.decodeScalar`).
    public init(decoding encoded: some Collection<UInt8>) throws(ShareMathError) {
        self = try C.decodeScalar(encoded)
    }

    /// A uniformly random nonzero scalar.
    public static func random() -> Scalar<C> { C.random() }

    public var isZero: Bool { bytes.isZero }

    /// The canonical encoding, for the package's export paths (share documents, eject) only.
    package func withEncoding<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBytes(body)
    }

    public static func == (lhs: Scalar<C>, rhs: Scalar<C>) -> Bool { C.isEqual(lhs, rhs) }
    public static func + (lhs: Scalar<C>, rhs: Scalar<C>) -> Scalar<C> { C.add(lhs, rhs) }
    public static func - (lhs: Scalar<C>, rhs: Scalar<C>) -> Scalar<C> { C.subtract(lhs, rhs) }
    public static func * (lhs: Scalar<C>, rhs: Scalar<C>) -> Scalar<C> { C.multiply(lhs, rhs) }

    public var description: String { "Scalar<\(C.id)>(redacted)" }
}

/// A point of curve `C`'s prime-order group (or the identity, which only arithmetic can produce).
public struct Point<C: Curve>: Sendable, Equatable, CustomStringConvertible {
    /// The backend's representation: libsecp256k1's 64-byte `secp256k1_pubkey` (empty for the identity),
    /// or the 32-byte ed25519 encoding.
    package let raw: [UInt8]

    package init(raw: [UInt8]) { self.raw = raw }

    /// Decodes the curve's point encoding (see `Curve.decodePoint`).
    public init(decoding encoded: some Collection<UInt8>) throws(ShareMathError) {
        self = try C.decodePoint(encoded)
    }

    /// The canonical encoding (33-byte compressed SEC1, or 32-byte RFC 8032).
    public var encoded: [UInt8] { C.encodePoint(self) }
    public var isIdentity: Bool { self == C.identity }

    public static func == (lhs: Point<C>, rhs: Point<C>) -> Bool { C.isEqual(lhs, rhs) }
    public static func + (lhs: Point<C>, rhs: Point<C>) -> Point<C> { C.add(lhs, rhs) }
    public static func - (lhs: Point<C>, rhs: Point<C>) -> Point<C> { C.subtract(lhs, rhs) }
    public static func * (lhs: Point<C>, rhs: Scalar<C>) -> Point<C> { C.multiply(lhs, rhs) }

    public var description: String { Hex.encode(encoded) }
}
