import ShareMath
import Synchronization

/// Lagrange weights of identifier pairs, kept once computed: every pair of a vault made by `create` (or by
/// one provider) shares the same two identifiers, and on secp256k1 each weight costs an inversion by
/// exponentiation. Identifiers and their weights are public.
final class LagrangeCache: Sendable {
    static let capacity = 1024
    private let table = Mutex<[[UInt8]: [[UInt8]]]>([:])

    /// The weights for `identifiers`, in order.
    func weights<C: Curve>(for identifiers: [Scalar<C>]) -> [Scalar<C>] {
        let key = Array(C.id.rawValue.utf8) + identifiers.flatMap(\.encodedPublicly)
        if let cached = table.withLock({ $0[key] }) {
            return cached.map { Scalar<C>(bytes: SecureBytes(copying: $0)) }
        }
        let weights = Lagrange<C>.coefficients(for: identifiers)
        let encoded = weights.map(\.encodedPublicly)
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[key] = encoded
        }
        return weights
    }
}
