internal import CSodium
import ShareMath

/// The key that seals the audit chain (DESIGN section 8), derived from the vault key with libsodium's BLAKE2b key
/// derivation under its own context, so that write access to the database alone cannot rewrite history: every
/// event written with the vault key carries a MAC over the chain's hash up to it, and an exported head carries a
/// MAC over the event count and hash.
///
/// It also carries the vault key's public check value, so that storage can tell that the key belongs to the vault
/// before anything is written with it.
package struct AuditKey: Sendable {
    private let secret: SecureBytes
    /// The vault key's check value (public; stored in the vault).
    package let vaultKeyCheck: String
    /// The key file the vault key came from, named when it does not belong to the vault.
    package let keyFile: String

    static let context = Array("svaudit1".utf8)
    static let linkLabel = Array("sharevault audit link v1".utf8)
    static let headLabel = Array("sharevault audit head v1".utf8)

    package init(vaultKey: SecureBytes, keyFile: String) {
        precondition(vaultKey.count == 32, "a vault key is 32 bytes")
        secret = SecureBytes.filled(count: 32) { out in
            let status = vaultKey.withUnsafeBytes { master in
                Self.context.withUnsafeBytes { context in
                    crypto_kdf_derive_from_key(out.uint8, 32, 1, context.cChars, master.uint8)
                }
            }
            precondition(status == 0, "crypto_kdf_derive_from_key refused its parameters")
        }
        vaultKeyCheck = VaultKeyFile.checkValue(of: vaultKey)
        self.keyFile = keyFile
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
