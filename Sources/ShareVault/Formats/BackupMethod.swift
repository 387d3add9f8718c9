import ShareMath

/// A backup method (`GDRIVE`, `ICLOUD`, `PASSWORD`, `PASSKEY`, `CUSTOM`, `FIREBASE`, or any other name),
/// optionally with the curve as a webhook names it: `GDRIVE-SECP256K1`.
public struct BackupMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method's name, uppercase: letters, digits and underscores, at most 32 characters.
    public let name: String
    /// The curve named by a suffix, if any.
    public let curve: CurveID?

    public init(name: String, curve: CurveID?) {
        self.name = name
        self.curve = curve
    }

    /// Parses `NAME` or `NAME-SECP256K1` / `NAME-ED25519` (any case).
    public init(parsing text: String) throws(VaultError) {
        let upper = text.uppercased()
        var name = upper
        var curve: CurveID?
        for candidate in CurveID.allCases {
            let suffix = "-" + candidate.rawValue.uppercased()
            if upper.hasSuffix(suffix) {
                name = String(upper.dropLast(suffix.count))
                curve = candidate
            }
        }
        let allowed = name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard !name.isEmpty, name.count <= 32, allowed, let first = name.unicodeScalars.first, ("A"..."Z").contains(first)
        else {
            throw .invalidMethod(text)
        }
        self.init(name: name, curve: curve)
    }

    /// The method on a given curve.
    public func on(_ curve: CurveID) -> BackupMethod { BackupMethod(name: name, curve: curve) }

    /// `NAME-CURVE` when the curve is known, as webhooks name it.
    public var description: String { curve.map { "\(name)-\($0.rawValue.uppercased())" } ?? name }

    /// Whether keys for this method come from a password (Argon2id) rather than a key store.
    public var usesPassword: Bool { name == "PASSWORD" }
}

/// Client ids: 1 to 128 printable ASCII characters, no spaces.
public enum ClientID {
    public static func validate(_ id: String) throws(VaultError) {
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .invalidClientId(id)
        }
    }
}
