import Foundation
import ShareMath
import Testing

@testable import ShareVault

/// Client backup ciphertexts and the vault key file: round trips, and every way they must refuse.
@Suite struct SealingTests {
    let method = try! BackupMethod(parsing: "GDRIVE-SECP256K1")

    @Test func clientBackupsOpenOnlyForTheirOwnRecordAndKey() throws {
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes(copying: Array("{\"share\":\"secret\"}".utf8))
        let sealed = ClientBackupCiphertext.seal(
            plaintext, key: key, keySource: .storedKey, clientId: "alice", method: method)
        let parsed = try ClientBackupCiphertext(text: sealed.text)
        #expect(parsed == sealed)
        #expect(try parsed.open(key: key, clientId: "alice", method: method) == plaintext)
        // Moved to another client or method, or opened with another key: refused.
        #expect(throws: SealingError.authenticationFailed) {
            try parsed.open(key: key, clientId: "bob", method: method)
        }
        #expect(throws: SealingError.authenticationFailed) {
            try parsed.open(key: key, clientId: "alice", method: try BackupMethod(parsing: "ICLOUD-SECP256K1"))
        }
        #expect(throws: SealingError.authenticationFailed) {
            try parsed.open(key: SecureBytes.random(count: 32), clientId: "alice", method: method)
        }
        // Any flipped bit of the sealed part is caught.
        var bytes = [UInt8](Data(base64Encoded: sealed.text)!)
        for index in stride(from: 6, to: bytes.count, by: 7) {
            bytes[index] ^= 0x01
            let tampered = try ClientBackupCiphertext(text: Data(bytes).base64EncodedString())
            #expect(throws: SealingError.authenticationFailed) {
                try tampered.open(key: key, clientId: "alice", method: method)
            }
            bytes[index] ^= 0x01
        }
    }

    @Test func passwordBackupsCarryTheirArgon2idParameters() throws {
        let store = PasswordKeyStore(password: SecureBytes(copying: Array("hunter2".utf8)))
        let (key, source) = try store.makeKey(clientId: "alice", method: method)
        let sealed = ClientBackupCiphertext.seal(
            SecureBytes(copying: [1, 2, 3]), key: key, keySource: source, clientId: "alice", method: method)
        let parsed = try ClientBackupCiphertext(text: sealed.text)
        let again = try store.key(clientId: "alice", method: method, source: parsed.keySource)
        #expect(try parsed.open(key: again, clientId: "alice", method: method) == SecureBytes(copying: [1, 2, 3]))
        let wrong = try PasswordKeyStore(password: SecureBytes(copying: Array("hunter3".utf8)))
            .key(clientId: "alice", method: method, source: parsed.keySource)
        #expect(throws: SealingError.authenticationFailed) {
            try parsed.open(key: wrong, clientId: "alice", method: method)
        }
    }

    static func encoded(_ header: String, _ count: Int) -> String {
        let bytes: [UInt8] = Array(header.utf8) + [UInt8](repeating: 7, count: count)
        return Data(bytes).base64EncodedString()
    }

    static let malformedCiphertexts: [(String, String)] = [
        ("", "empty"),
        ("not base64 at all!", "base64"),
        (encoded("XXXX\u{1}\u{0}", 48), "bad magic"),
        (encoded("SVCB\u{3}\u{0}", 48), "unsupported format version 3"),
        (encoded("SVCB\u{1}\u{9}", 48), "unknown key source 9"),
        (encoded("SVCB\u{1}\u{0}", 40), "truncated"),
        (encoded("SVCB\u{1}\u{1}", 20), "truncated"),
        (String(repeating: "A", count: 70_000), "too large"),
    ]

    @Test(arguments: malformedCiphertexts)
    func malformedCiphertextsAreRefusedWithoutAKey(text: String, message: String) {
        #expect {
            _ = try ClientBackupCiphertext(text: text)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }

    @Test func vaultKeyFilesRoundTripPlainAndWrapped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("plain.key").path
        let key = try VaultKeyFile.create(at: plain, passphrase: nil)
        #expect(try VaultKeyFile.load(at: plain, passphrase: { nil }) == key)
        #expect(throws: VaultError.keyFileExists(path: plain)) {
            _ = try VaultKeyFile.create(at: plain, passphrase: nil)
        }

        let wrapped = directory.appendingPathComponent("wrapped.key").path
        let passphrase = SecureBytes(copying: Array("a long passphrase".utf8))
        let wrappedKey = try VaultKeyFile.create(at: wrapped, passphrase: passphrase)
        #expect(try VaultKeyFile.load(at: wrapped, passphrase: { passphrase }) == wrappedKey)
        #expect(throws: VaultError.passphraseRequired(path: wrapped)) {
            _ = try VaultKeyFile.load(at: wrapped, passphrase: { nil })
        }
        #expect(throws: VaultError.wrongPassphrase(path: wrapped)) {
            _ = try VaultKeyFile.load(at: wrapped, passphrase: { SecureBytes(copying: Array("wrong".utf8)) })
        }
        let text = try String(contentsOfFile: wrapped, encoding: .utf8)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("key ") })
        #expect(text.contains("argon2id "))
        for path in [plain, wrapped] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        #expect(VaultKeyFile.checkValue(of: key) != VaultKeyFile.checkValue(of: wrappedKey))
    }

    @Test func decimalIntegersConvertExactlyAndRefuseOverflow() {
        #expect(DecimalInteger.bigEndian("0") == [UInt8](repeating: 0, count: 32))
        #expect(DecimalInteger.bigEndian("258")?.suffix(2) == [1, 2])
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935"  // 2^256 - 1
        #expect(DecimalInteger.bigEndian(max) == [UInt8](repeating: 0xff, count: 32))
        #expect(
            DecimalInteger.bigEndian("115792089237316195423570985008687907853269984665640564039457584007913129639936")
                == nil)
        #expect(DecimalInteger.bigEndian("") == nil)
        #expect(DecimalInteger.bigEndian("-1") == nil)
        #expect(DecimalInteger.bigEndian("12ab") == nil)
        #expect(DecimalInteger.bigEndian(" 1") == nil)
    }

    @Test(
        arguments: [
            ("GDRIVE", "GDRIVE", nil),
            ("gdrive-secp256k1", "gdrive", CurveID.secp256k1),
            ("PASSKEY-ed25519", "PASSKEY", CurveID.ed25519),
            ("MY_METHOD2", "MY_METHOD2", nil),
            ("custom:Vault v2", "custom:Vault v2", nil),
            ("GDRIVE-P256", "GDRIVE-P256", nil),
            ("-SECP256K1", "-SECP256K1", nil),
        ] as [(String, String, CurveID?)])
    func backupMethodsParse(text: String, name: String, curve: CurveID?) throws {
        let method = try BackupMethod(parsing: text)
        #expect(method.name == name)
        #expect(method.curve == curve)
    }

    @Test(arguments: ["", "GDRIVE\u{7}", "GDRIVE\n", "GDRÏVE", "\u{7f}", String(repeating: "A", count: 65)])
    func badBackupMethodsAreRefused(text: String) {
        #expect(throws: VaultError.invalidMethod(text)) { _ = try BackupMethod(parsing: text) }
    }
}
