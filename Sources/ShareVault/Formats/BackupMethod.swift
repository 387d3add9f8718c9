import ShareMath

/// A backup method as the provider names it (`GDRIVE`, `ICLOUD`, `PASSWORD`, `PASSKEY`, `CUSTOM`, `FIREBASE`,
/// `UNKNOWN`, or any name that comes later), optionally with the curve as a webhook may add it:
/// `GDRIVE-SECP256K1`. The name is kept exactly as sent; only a recognised curve suffix is split off.
public struct BackupMethod: Hashable, Sendable, Encodable, CustomStringConvertible {
    /// The longest method name accepted, in characters.
    public static let maximumLength = 64
    /// What a webhook with no `backupMethod` is stored under, as Portal's own example server does.
    public static let unknown = BackupMethod(name: "UNKNOWN", curve: nil)

    /// The method's name as sent, without a curve suffix: 1 to 64 printable ASCII characters.
    public let name: String
    /// The curve named by a suffix, if any.
    public let curve: CurveID?

    public init(name: String, curve: CurveID?) {
        self.name = name
        self.curve = curve
    }

    /// Parses `NAME` or `NAME-SECP256K1` / `NAME-ED25519` (the suffix in any case). Any printable ASCII name of
    /// up to 64 characters is a method: a refused webhook fails a user's backup, so names are not second-guessed.
    public init(parsing text: String) throws(VaultError) {
        guard !text.isEmpty, text.utf8.count <= Self.maximumLength,
            text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f })
        else {
            throw .invalidMethod(text)
        }
        var name = text
        var curve: CurveID?
        for candidate in CurveID.allCases {
            let suffix = "-" + candidate.rawValue
            if text.count > suffix.count, text.lowercased().hasSuffix(suffix) {
                name = String(text.dropLast(suffix.count))
                curve = candidate
            }
        }
        self.init(name: name, curve: curve)
    }

    /// The method on a given curve.
    public func on(_ curve: CurveID) -> BackupMethod { BackupMethod(name: name, curve: curve) }

    /// The method without its curve.
    public var withoutCurve: BackupMethod { BackupMethod(name: name, curve: nil) }

    /// `NAME-CURVE` when the curve is known, as webhooks name it.
    public var description: String { curve.map { "\(name)-\($0.rawValue.uppercased())" } ?? name }

    /// Encoded as `description`: the name, with the curve suffix when the curve is known.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Whether keys for this method come from a password (Argon2id) rather than a key store.
    public var usesPassword: Bool { name.uppercased() == "PASSWORD" }
}

/// Client ids: 1 to 128 printable ASCII characters, no spaces.
public enum ClientID {
    public static func validate(_ id: String) throws(VaultError) {
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .invalidClientId(id)
        }
    }
}
