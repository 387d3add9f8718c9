import Foundation
import ShareMath
import Testing

@testable import ShareVault

/// Vault key files as a user may hand them over: each malformed kind is refused naming what is wrong, and a bare
/// key is read without asking for a passphrase.
@Suite struct VaultKeyFileTests {
    static let hex = String(repeating: "0123456789abcdef", count: 4)
    static let salt = String(repeating: "ab", count: 16)
    static let header = "sharevault vault key v1"

    static let malformed: [(String, String)] = [
        ("key \(hex)\n", "missing the \"sharevault vault key v1\" header"),
        ("\(header)\nkey \(hex.dropLast())\n", "the key is not 64 hex digits"),
        ("\(header)\nkey \(hex.dropLast())z\n", "the key is not 64 hex digits"),
        ("\(header)\nkey \(hex)\nkey \(hex)\n", "unexpected lines"),
        ("\(header)\nkey \(hex)\nextra\n", "unexpected lines"),
        ("\(header)\n", "unexpected lines"),
        ("\(header)\nargon2id \(salt) 2 67108864\n", "unexpected lines"),
        ("\(header)\nargon2id \(salt) two 67108864\nsealed \(hex)\n", "malformed wrapped key"),
        ("\(header)\nargon2id \(salt) 16 1073741824\nsealed \(hex)\n", "Argon2id cost out of range"),
        ("\(header)\nscrypt \(salt) 2 67108864\nsealed \(hex)\n", "malformed wrapped key"),
    ]

    @Test(arguments: malformed.indices)
    func aMalformedKeyFileIsRefusedNamingWhy(index: Int) {
        let (text, reason) = Self.malformed[index]
        #expect(throws: VaultError.keyFileMalformed(path: "k", reason: reason)) {
            _ = try VaultKeyFile.read(contents: SecureBytes(copying: Array(text.utf8)), path: "k") {
                Issue.record("asked for a passphrase")
                return nil
            }
        }
    }

    @Test func aBareKeyIsReadWithoutAPassphraseAndAWrappedOneAsksForIt() throws {
        let key = try VaultKeyFile.read(
            contents: SecureBytes(copying: Array("\(Self.header)\nkey \(Self.hex)\n".utf8)), path: "k"
        ) {
            Issue.record("asked for a passphrase")
            return nil
        }
        #expect(key == (try Hex.decodeSecret(Self.hex)))
        #expect(throws: VaultError.passphraseRequired(path: "k")) {
            _ = try VaultKeyFile.read(
                contents: SecureBytes(
                    copying: Array("\(Self.header)\nargon2id \(Self.salt) 2 67108864\nsealed \(Self.hex)\n".utf8)),
                path: "k", passphrase: { nil })
        }
    }
}
