import Synchronization

/// Point encodings that already passed decoding, so that public points met again (a wallet's key, its
/// commitments, which every check of every pair decodes) skip the curve checks, the costliest of which is
/// ed25519's subgroup check. Keyed by the exact bytes; bounded; holds public material only.
final class ValidatedPoints: Sendable {
    static let secp256k1 = ValidatedPoints()
    static let ed25519 = ValidatedPoints()
    static let capacity = 16_384

    private let table = Mutex<[[UInt8]: [UInt8]]>([:])

    /// The backend representation for an encoding seen before.
    func lookup(_ encoding: [UInt8]) -> [UInt8]? {
        table.withLock { $0[encoding] }
    }

    func remember(_ encoding: [UInt8], raw: [UInt8]) {
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[encoding] = raw
        }
    }
}
