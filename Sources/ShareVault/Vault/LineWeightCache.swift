import ShareMath
import Synchronization

/// The public weights of the line through two holders' shares, kept once computed: every pair of a vault made
/// by `create` (or by one provider) has the same two identifiers, and each weight costs an inversion.
///
/// For shares at `x_c` (client) and `x_s` (custodian): the line's slope is `(s_c − s_s)·slope`, and its value
/// at zero is `s_s + (s_s − s_c)·keyOffset`.
final class LineWeightCache: Sendable {
    static let capacity = 1024
    private let table = Mutex<[[UInt8]: [[UInt8]]]>([:])

    struct Weights<C: Curve> {
        /// `1/(x_c − x_s)`.
        let slope: Scalar<C>
        /// `x_s/(x_c − x_s)`.
        let keyOffset: Scalar<C>
    }

    func weights<C: Curve>(client: Scalar<C>, custodian: Scalar<C>) -> Weights<C> {
        let key = Array(C.id.rawValue.utf8) + client.encodedPublicly + custodian.encodedPublicly
        if let cached = table.withLock({ $0[key] }) {
            return Weights(
                slope: Scalar(bytes: SecureBytes(copying: cached[0])),
                keyOffset: Scalar(bytes: SecureBytes(copying: cached[1])))
        }
        let slope = C.inverse(client - custodian)
        let weights = Weights(slope: slope, keyOffset: custodian * slope)
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[key] = [weights.slope.encodedPublicly, weights.keyOffset.encodedPublicly]
        }
        return weights
    }
}
