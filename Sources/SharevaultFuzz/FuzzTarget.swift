import BigInt
import Foundation
import ShareMath
import ShareVault

/// Every parser of outside input, as a fuzz target: the bytes are read as sharevault reads them from the world.
/// A refusal (any thrown error) is a correct answer; a crash, a sanitizer report or a broken law (`require`) is a
/// finding. Where a reader has a law (a round trip, agreement with an independent implementation), it is checked.
enum FuzzTarget: String, CaseIterable {
    /// A custodian webhook body, read and checked as the intake does before storing: both share layouts.
    case webhook
    /// A share given on its own (Portal's custodian or client layout, or a native document), on its own curve.
    case share
    /// Native share documents as `shares verify` and `combine` read them: one, an array, or one per line.
    case shareDocuments = "share-documents"
    /// A client backup ciphertext's text: sharevault's own header, or an opaque text kept byte for byte.
    case clientCiphertext = "client-ciphertext"
    /// What a client ciphertext opens to: Portal's two-curve wrapper, a bare MpcShare (JSON or base64), a native document.
    case clientPlaintext = "client-plaintext"
    /// The app's upload body: `{"cipherText": ...}` or the bare text.
    case appUpload = "app-upload"
    /// A vault key file (bare or passphrase-wrapped; no passphrase is given, so no Argon2id runs).
    case vaultKeyFile = "vault-key-file"
    /// An officer's key share file (in the clear, passphrase-wrapped or sealed; no passphrase or secret key is
    /// given, so no Argon2id runs), and officers' files pasted one after another as `serve` reads them.
    case officerShareFile = "officer-share-file"
    /// Decimal and hex scalars, cross-checked against BigInt and each curve's order.
    case scalars
    /// An exported audit head.
    case auditHead = "audit-head"
    /// The strict JSON reader under every document above.
    case strictJSON = "strict-json"
    /// A backup method name, as a webhook or the CLI gives it.
    case backupMethod = "backup-method"

    /// Reads one input; traps when a law fails.
    func run(_ data: Data) {
        switch self {
        case .webhook:
            _ = try? Vault.readCustodianWebhook(data)
        case .share:
            guard let inspected = try? ShareParser.inspect(data, stated: nil) else { return }
            switch inspected.curve {
            case .secp256k1: _ = try? ParsedShare(reading: ShareParser.read(inspected, as: Secp256k1.self))
            case .ed25519: _ = try? ParsedShare(reading: ShareParser.read(inspected, as: Ed25519.self))
            }
        case .shareDocuments:
            _ = try? AnyShareDocument.decodeAll(data)
        case .clientCiphertext:
            let text = String(decoding: data, as: UTF8.self)
            guard (try? ClientCiphertextText.validate(text)) != nil,
                let parsed = try? ClientBackupCiphertext.readIfClaimed(text)
            else { return }
            // What is read writes back to a text that reads the same.
            Self.require(
                try? ClientBackupCiphertext(text: parsed.text) == parsed, "a ciphertext's text does not round-trip")
        case .clientPlaintext:
            if let reading = try? ClientPlaintext.share(data, as: Secp256k1.self) {
                _ = try? ParsedShare(reading: reading)
            }
            if let reading = try? ClientPlaintext.share(data, as: Ed25519.self) {
                _ = try? ParsedShare(reading: reading)
            }
        case .appUpload:
            guard let text = try? Vault.uploadedCipherText(data), (try? ClientCiphertextText.validate(text)) != nil
            else { return }
            _ = try? ClientBackupCiphertext.readIfClaimed(text)
        case .vaultKeyFile:
            guard !data.isEmpty else { return }
            let contents = SecureBytes(copying: data)
            if let key = try? VaultKeyFile.read(contents: contents, path: "fuzz", passphrase: { nil }) {
                Self.require(key.count == 32, "a vault key is 32 bytes")
            }
        case .officerShareFile:
            guard !data.isEmpty else { return }
            let contents = SecureBytes(copying: data)
            if let share = try? OfficerShareFile.read(
                contents: contents, path: "fuzz", passphrase: { nil }, secretKey: { nil })
            {
                Self.require((1...255).contains(share.identifier), "an officer share's identifier is 1...255")
                Self.require(OfficerName.isValid(share.officer), "an officer share names a valid officer")
            }
        case .scalars:
            Self.checkScalars(String(decoding: data, as: UTF8.self))
        case .auditHead:
            guard let head = try? AuditHead(document: data) else { return }
            Self.require(
                try? AuditHead(document: Data(head.document.utf8)) == head, "an audit head does not round-trip")
        case .strictJSON:
            _ = try? StrictJSON.parse(data)
        case .backupMethod:
            guard let method = try? BackupMethod(parsing: String(decoding: data, as: UTF8.self)) else { return }
            Self.require(
                method.name.utf8.count <= BackupMethod.maximumLength, "a method name over the limit was accepted")
            Self.require(try? BackupMethod(parsing: method.description) == method, "a method does not round-trip")
        }
    }

    static let secp256k1Order = BigUInt("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", radix: 16)!
    static let ed25519Order = (BigUInt(1) << 252) + BigUInt("27742317777372353535851937790883648493", radix: 10)!

    /// Decimal text (Portal's scalars) agrees with BigInt; hex text round-trips; a 32-byte value is a scalar of a
    /// curve exactly when it is nonzero and below the curve's order.
    static func checkScalars(_ text: String) {
        let decimal = DecimalInteger.bigEndian(text)
        let digitsOnly = !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
        let expected =
            digitsOnly && text.utf8.count <= 100
            ? BigUInt(text, radix: 10).flatMap { $0.bitWidth <= 256 ? $0 : nil } : nil
        require((decimal.map { BigUInt(Data($0)) }) == expected, "decimal reading disagrees with BigInt")
        if let decimal {
            let value = BigUInt(Data(decimal))
            let secret = Array(text.utf8).withUnsafeBytes { DecimalInteger.secretBigEndian(digits: $0) }
            require(secret.map { $0.withUnsafeBytes { Array($0) } } == decimal, "the secret decimal reader disagrees")
            let accepted = (try? Scalar<Secp256k1>(decoding: decimal)) != nil
            require(accepted == (value != 0 && value < secp256k1Order), "secp256k1 scalar range disagrees")
            let littleEndian = Array(decimal.reversed())
            let acceptedEd = (try? Scalar<Ed25519>(decoding: littleEndian)) != nil
            require(acceptedEd == (value != 0 && value < ed25519Order), "ed25519 scalar range disagrees")
        }
        if let bytes = try? Hex.decode(text) {
            require(Hex.encode(bytes) == text.lowercased(), "hex does not round-trip")
        }
    }

    /// A law of the reader did not hold: a finding.
    static func require(_ condition: Bool?, _ law: String) {
        if condition != true { fatalError("law broken: \(law)") }
    }
}
