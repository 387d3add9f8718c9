import ArgumentParser
import Foundation
import ShareMath
import ShareVault

/// Where a new officers' quorum's share files go and how each is protected: `init --key-shares`, `rekey
/// --new-key-shares` and `key reshare` deal one.
struct OfficerDealOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The directory the officers' share files are written to (NAME.share, mode 0600).", valueName: "dir"))
    var officerDir: String?

    @Option(
        name: .customLong("officer"),
        help: ArgumentHelp(
            "An officer's name (repeat once per share, in order; default officer-1, officer-2, ...).", valueName: "name"
        ))
    var officers: [String] = []

    @Option(
        name: .customLong("officer-passphrase-file"),
        help: ArgumentHelp(
            "A file holding an officer's passphrase, which wraps their share with Argon2id (repeat once per officer, in order).",
            valueName: "file"))
    var passphraseFiles: [String] = []

    @Option(
        name: .customLong("officer-recipient"),
        help: ArgumentHelp(
            "A file holding an officer's X25519 public key (64 hex digits): their share is sealed to it (repeat once per officer, in order).",
            valueName: "file"))
    var recipientFiles: [String] = []

    /// Whether any of these options was given.
    var isUsed: Bool { officerDir != nil || !officers.isEmpty || !passphraseFiles.isEmpty || !recipientFiles.isEmpty }

    /// The quorum of `count` officers these options deal: names, directory and wraps, checked (the threshold is
    /// `KeyQuorum.deal`'s to check).
    func deal(count: Int, flag: String) throws -> (
        officers: [String], directory: String, wraps: [OfficerShareWrap]?
    ) {
        guard let officerDir else { throw ValidationError("\(flag) needs --officer-dir DIR for the officers' files") }
        let names = officers.isEmpty ? (1...max(1, count)).map { "officer-\($0)" } : officers
        guard names.count == count else {
            throw ValidationError("\(names.count) --officer names for \(count) shares: give one per share")
        }
        guard passphraseFiles.isEmpty || recipientFiles.isEmpty else {
            throw ValidationError("give --officer-passphrase-file or --officer-recipient, not both")
        }
        var wraps: [OfficerShareWrap]?
        if !passphraseFiles.isEmpty {
            guard passphraseFiles.count == count else {
                throw ValidationError(
                    "\(passphraseFiles.count) --officer-passphrase-file for \(count) officers: give one each")
            }
            wraps = try passphraseFiles.map { file in
                let passphrase = try Secrets.read(file: file)
                guard !passphrase.withUnsafeBytes({ $0.allSatisfy { $0 == 0x0a || $0 == 0x0d } }) else {
                    throw ValidationError("\(file): empty passphrase file")
                }
                return .passphrase(passphrase)
            }
        } else if !recipientFiles.isEmpty {
            guard recipientFiles.count == count else {
                throw ValidationError(
                    "\(recipientFiles.count) --officer-recipient for \(count) officers: give one each")
            }
            wraps = try recipientFiles.map { file in
                let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)
                guard let key = try? Hex.decode(text), key.count == 32 else {
                    throw ValidationError("\(file): not an X25519 public key (64 hex digits)")
                }
                return .recipient(publicKey: key)
            }
        }
        return (names, officerDir, wraps)
    }
}
