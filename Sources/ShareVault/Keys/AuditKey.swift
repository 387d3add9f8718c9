internal import CSodium
import ShareMath

/// The key that seals the audit chain (DESIGN section 8), derived from the vault key with libsodium's BLAKE2b key
/// derivation under its own context, so that write access to the database alone cannot rewrite history: every
/// event written with the vault key carries a MAC over the chain's hash up to it, and an exported head carries a
/// MAC over the event count and hash. Each key version has its own audit key: events are sealed with the current
/// version's, and a rekey's `rekey-finished` event is the first sealed with the new one.
package struct AuditKey: Sendable {
    private let secret: SecureBytes

    static let context = Array("svaudit1".utf8)
    static let linkLabel = Array("sharevault audit link v1".utf8)
    static let headLabel = Array("sharevault audit head v1".utf8)

    /// The audit key of a vault key.
    package init(vaultKey: SecureBytes) {
        precondition(vaultKey.count == 32, "a vault key is 32 bytes")
        secret = SecureBytes.filled(count: 32) { out in
            let status = vaultKey.withUnsafeBytes { master in
                Self.context.withUnsafeBytes { context in
                    crypto_kdf_derive_from_key(out.uint8, 32, 1, context.cChars, master.uint8)
                }
            }
            precondition(status == 0, "crypto_kdf_derive_from_key refused its parameters")
        }
    }

    /// An audit key already derived (a retired version's, from the archive the current key seals).
    init(derivedKey: SecureBytes) {
        precondition(derivedKey.count == 32, "an audit key is 32 bytes")
        secret = derivedKey
    }

    /// The key's bytes, for sealing it into the archive of retired audit keys.
    func withSecret<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        secret.withUnsafeBytes(body)
    }

    /// The MAC an event carries: over the chain's hash through that event, which covers every event before it.
    func linkMAC(hash: [UInt8]) -> [UInt8] {
        Blake2b.hash([Self.linkLabel, hash], key: secret)
    }

    /// The MAC of an exported head.
    func headMAC(events: Int64, hash: [UInt8]) -> [UInt8] {
        Blake2b.hash([Self.headLabel, Array(String(events).utf8), hash], key: secret)
    }

    /// Whether `mac` is `expected`, compared in constant time.
    static func matches(_ mac: [UInt8], _ expected: [UInt8]) -> Bool {
        mac.count == expected.count && sodium_memcmp(mac, expected, mac.count) == 0
    }
}
