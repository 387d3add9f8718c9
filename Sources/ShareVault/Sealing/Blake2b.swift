internal import CSodium

/// BLAKE2b-256 (libsodium `crypto_generichash`), for the audit chain and key-store file names.
public enum Blake2b {
    /// The hash of the parts, each prefixed with its length so that boundaries cannot shift.
    public static func hash(_ parts: [[UInt8]], key: [UInt8] = []) -> [UInt8] {
        var message: [UInt8] = []
        for part in parts {
            withUnsafeBytes(of: UInt64(part.count).bigEndian) { message.append(contentsOf: $0) }
            message.append(contentsOf: part)
        }
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&out, 32, message, UInt64(message.count), key.isEmpty ? nil : key, key.count)
        return out
    }
}
