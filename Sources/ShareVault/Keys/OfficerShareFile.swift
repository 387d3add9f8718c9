import Foundation
import ShareMath

/// How an officer's share is protected in its file.
package enum OfficerShareWrap {
    /// In clear hex: the file's mode 0600 is all that guards it.
    case none
    /// Under the officer's passphrase: Argon2id, then XChaCha20-Poly1305.
    case passphrase(SecureBytes)
    /// Sealed (libsodium sealed box) to the officer's X25519 public key (32 bytes).
    case recipient(publicKey: [UInt8])
}

/// One officer's key share file: text, mode 0600, never replacing a file.
///
/// ```
/// sharevault officer share v1
/// officer alice
/// identifier 2
/// threshold 3 of 5
/// quorum 0123456789abcdef
/// share <64 hex digits>                                   (clear), or
/// argon2id <salt> <opslimit> <memlimit> / wrapped <hex>   (passphrase), or
/// recipient <public key hex> / sealed <hex>               (sealed to the officer's X25519 key)
/// ```
///
/// The first five lines are public. A passphrase-wrapped share binds them as associated data; a sealed one seals
/// their digest with the share. So an edited public line is refused when the share is opened, and a clear file's
/// edits are caught by the quorum's Feldman check.
package enum OfficerShareFile {
    static let header = "sharevault officer share v1"
    static let wrapLabel = "sharevault officer share wrap v1\n"
    /// The largest file read: a share file is a few hundred bytes.
    static let sizeLimit = 4096

    // MARK: Writing

    /// Writes one officer's file (mode 0600, fsynced; an existing file is never replaced).
    ///
    /// - Parameters:
    ///   - share: A share of `quorum` (checked first: a file that would not unlock is never written).
    ///   - wrap: How the share is protected in the file.
    ///   - kdf: The Argon2id parameters for `.passphrase` (fresh, libsodium's interactive cost, unless a test says).
    /// - Throws: `VaultError.fileExists`, `.fileUnwritable`, `.keyShareNotOfQuorum`,
    ///   `SealingError.unusableRecipientKey` for a recipient key that cannot be sealed to.
    package static func write(
        _ share: OfficerShare, quorum: KeyQuorum, wrap: OfficerShareWrap, to path: String,
        kdf: Argon2id = .fresh()
    ) throws {
        try quorum.check(share)
        let publicLines = publicText(
            officer: share.officer, identifier: share.identifier, threshold: quorum.threshold,
            count: quorum.officers.count, fingerprint: quorum.fingerprint)
        switch wrap {
        case .none:
            // The share's hex is assembled in guarded memory, never in a plain String.
            let prefix = Array((publicLines + "share ").utf8)
            let digits = share.value.value.withEncoding { Hex.encodeSecret($0) }
            let contents = SecureBytes.filled(count: prefix.count + digits.count + 1) { buffer in
                buffer.copyBytes(from: prefix)
                digits.withUnsafeBytes {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[prefix.count..<(prefix.count + $0.count)])
                        .copyMemory(from: $0)
                }
                buffer[buffer.count - 1] = UInt8(ascii: "\n")
            }
            try contents.withUnsafeBytes { (bytes) throws(VaultError) in
                try PrivateFile.create(at: path, contents: bytes, alreadyExists: .fileExists(path: path))
            }
        case .passphrase(let passphrase):
            let wrappingKey = try kdf.deriveKey(from: passphrase)
            let sealed = XChaCha20Poly1305.seal(
                share.value.value.bytes, key: wrappingKey, associatedData: associatedData(publicLines))
            let text =
                publicLines + "argon2id \(Hex.encode(kdf.salt)) \(kdf.operationsLimit) \(kdf.memoryLimit)\n"
                + "wrapped \(Hex.encode(sealed))\n"
            try create(text, at: path)
        case .recipient(let publicKey):
            let plaintext = SecureBytes.filled(count: 64) { buffer in
                buffer.copyBytes(from: digest(publicLines))
                share.value.value.withEncoding {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[32...]).copyMemory(from: $0)
                }
            }
            let sealed = try SealedBox.seal(plaintext, to: publicKey)
            try create(publicLines + "recipient \(Hex.encode(publicKey))\nsealed \(Hex.encode(sealed))\n", at: path)
        }
    }

    /// The five public lines, each ending in a newline.
    private static func publicText(officer: String, identifier: Int, threshold: Int, count: Int, fingerprint: String)
        -> String
    {
        "\(header)\nofficer \(officer)\nidentifier \(identifier)\nthreshold \(threshold) of \(count)\n"
            + "quorum \(fingerprint)\n"
    }

    /// The passphrase wrap's associated data: a label and the public lines, so they cannot be edited unnoticed.
    private static func associatedData(_ publicLines: String) -> [UInt8] { Array((wrapLabel + publicLines).utf8) }

    /// What a sealed share carries besides its value: the digest of the public lines.
    private static func digest(_ publicLines: String) -> [UInt8] { Blake2b.hash([associatedData(publicLines)]) }

    private static func create(_ text: String, at path: String) throws {
        try Array(text.utf8).withUnsafeBytes { bytes in
            try PrivateFile.create(at: path, contents: bytes, alreadyExists: .fileExists(path: path))
        }
    }

    // MARK: Reading

    /// Reads one officer's file.
    ///
    /// - Parameters:
    ///   - passphrase: Asked only when the file is passphrase-wrapped.
    ///   - secretKey: The officer's X25519 secret key (32 bytes), asked only when the share is sealed.
    /// - Throws: `VaultError.keyShareMissing`, `.keyShareMalformed` (naming the line), `.keySharePassphraseRequired`,
    ///   `.keyShareWrongPassphrase`, `.keyShareSecretKeyRequired`, `.keyShareWrongSecretKey`; `SecretFileError` for
    ///   a file others may read or that cannot be read. Every error names `path`; none quotes the file.
    /// A share file's public lines: whose share it is, and of which dealing.
    package struct Header: Sendable, Equatable {
        package let officer: String
        package let identifier: Int
        package let threshold: Int
        package let count: Int
        /// The fingerprint of the dealing it belongs to (`KeyQuorum.fingerprint`).
        package let fingerprint: String
    }

    /// Reads only a share file's public lines (no passphrase or secret key needed): enough to tell a file of a
    /// given dealing from one that was replaced, emptied or is another's.
    package static func header(at path: String) throws -> Header {
        try parseHeader(Lines(contents: try contents(at: path), path: path))
    }

    package static func read(
        at path: String, passphrase: () throws -> SecureBytes?, secretKey: () throws -> SecureBytes?
    ) throws -> OfficerShare {
        try read(contents: try contents(at: path), path: path, passphrase: passphrase, secretKey: secretKey)
    }

    /// The file's bytes, read into guarded memory within the size limit.
    private static func contents(at path: String) throws -> SecureBytes {
        let contents: SecureBytes
        switch Result(catching: { () throws(SecretFileError) in
            try SecretFile.readBytes(at: path, limit: sizeLimit)
        }) {
        case .success(let bytes): contents = bytes
        case .failure(.missing): throw VaultError.keyShareMissing(path: path)
        case .failure(.tooLarge):
            throw VaultError.keyShareMalformed(path: path, reason: "larger than \(sizeLimit) bytes")
        case .failure(.invalidContents(_, let reason)): throw VaultError.keyShareMalformed(path: path, reason: reason)
        case .failure(let error): throw error
        }
        return contents
    }

    /// The five public lines, checked: the header, the officer's name, the identifier within the count, the
    /// threshold and the dealing's fingerprint.
    private static func parseHeader(_ file: Lines) throws(VaultError) -> Header {
        guard file.count >= 1, file.isExactly(0, header) else {
            throw file.malformed(0, "missing the \"\(header)\" header")
        }
        guard let officerField = file.field(1, "officer"), OfficerName.isValid(officerField) else {
            throw file.malformed(1, "expected \"officer NAME\", the name 1 to 64 characters of A-Z a-z 0-9 . _ -")
        }
        guard let identifierField = file.field(2, "identifier"), let identifier = decimal(identifierField) else {
            throw file.malformed(2, "expected \"identifier K\"")
        }
        guard let thresholdFields = file.field(3, "threshold")?.split(separator: " ", omittingEmptySubsequences: false),
            thresholdFields.count == 3, thresholdFields[1] == "of", let threshold = decimal(thresholdFields[0]),
            let count = decimal(thresholdFields[2]), threshold >= 2, threshold <= count,
            count <= OfficerName.maximumOfficers
        else {
            throw file.malformed(3, "expected \"threshold T of N\" with 2 <= T <= N <= \(OfficerName.maximumOfficers)")
        }
        guard identifier >= 1, identifier <= count else {
            throw file.malformed(2, "the identifier must be 1 to the officer count, \(count)")
        }
        guard let fingerprint = file.field(4, "quorum"), fingerprint.utf8.count == 16,
            (try? Hex.decode(fingerprint)).map(Hex.encode) == fingerprint
        else {
            throw file.malformed(4, "expected \"quorum FINGERPRINT\", 16 lowercase hex digits")
        }
        return Header(
            officer: officerField, identifier: identifier, threshold: threshold, count: count, fingerprint: fingerprint)
    }

    /// Reads a share file's contents (`path` only names it and labels the share).
    package static func read(
        contents: SecureBytes, path: String, passphrase: () throws -> SecureBytes?,
        secretKey: () throws -> SecureBytes?
    ) throws -> OfficerShare {
        let file = Lines(contents: contents, path: path)
        let header = try parseHeader(file)
        let (officerField, identifier, fingerprint) = (header.officer, header.identifier, header.fingerprint)
        let publicLines = publicText(
            officer: officerField, identifier: identifier, threshold: header.threshold, count: header.count,
            fingerprint: fingerprint)
        let value: Scalar<Secp256k1>
        if file.starts(5, with: "share") {
            guard file.count <= 6 else { throw file.malformed(6, "unexpected line after the share") }
            value = try file.secretScalar(5, after: "share")
        } else if let kdfField = file.field(5, "argon2id") {
            guard file.count <= 7 else { throw file.malformed(7, "unexpected line after the wrapped share") }
            let kdfFields = kdfField.split(separator: " ", omittingEmptySubsequences: false)
            guard kdfFields.count == 3, let salt = try? Hex.decode(kdfFields[0]), let ops = UInt64(kdfFields[1]),
                let mem = UInt64(kdfFields[2])
            else {
                throw file.malformed(5, "expected \"argon2id SALT OPSLIMIT MEMLIMIT\"")
            }
            let kdf = Argon2id(salt: salt, operationsLimit: ops, memoryLimit: mem)
            guard kdf.isWithinLimits else { throw file.malformed(5, "Argon2id cost out of range") }
            guard let wrappedField = file.field(6, "wrapped"), let wrapped = try? Hex.decode(wrappedField),
                wrapped.count == XChaCha20Poly1305.nonceLength + 32 + XChaCha20Poly1305.tagLength
            else {
                throw file.malformed(6, "expected \"wrapped HEX\", a wrapped 32-byte share")
            }
            guard let secret = try passphrase() else { throw VaultError.keySharePassphraseRequired(path: path) }
            let wrappingKey = try kdf.deriveKey(from: secret)
            guard
                let opened = try? XChaCha20Poly1305.open(
                    wrapped, key: wrappingKey, associatedData: associatedData(publicLines))
            else {
                throw VaultError.keyShareWrongPassphrase(path: path)
            }
            value = try scalar(opened, file: file, line: 6)
        } else if let recipientField = file.field(5, "recipient") {
            guard file.count <= 7 else { throw file.malformed(7, "unexpected line after the sealed share") }
            guard let recipient = try? Hex.decode(recipientField), recipient.count == SealedBox.publicKeyLength else {
                throw file.malformed(5, "expected \"recipient PUBLICKEY\", 64 hex digits")
            }
            guard let sealedField = file.field(6, "sealed"), let sealed = try? Hex.decode(sealedField),
                sealed.count == 64 + SealedBox.overhead
            else {
                throw file.malformed(6, "expected \"sealed HEX\", a sealed 64-byte share")
            }
            guard let key = try secretKey() else { throw VaultError.keyShareSecretKeyRequired(path: path) }
            guard key.count == 32, let opened = try? SealedBox.open(sealed, publicKey: recipient, secretKey: key)
            else {
                throw VaultError.keyShareWrongSecretKey(path: path)
            }
            guard opened.count == 64 else { throw file.malformed(6, "the sealed share is not 64 bytes") }
            let bound = opened.withUnsafeBytes { Array($0[..<32]) }
            guard bound == digest(publicLines) else {
                throw file.malformed(6, "the public lines were changed after the share was sealed")
            }
            value = try opened.withUnsafeBytes { (bytes) throws in
                try scalar(SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[32...])), file: file, line: 6)
            }
        } else {
            throw file.malformed(5, "expected \"share HEX\", \"argon2id ...\" or \"recipient ...\"")
        }
        return OfficerShare(
            officer: officerField, identifier: identifier, quorumFingerprint: fingerprint, label: path, value: value)
    }

    /// A share value from 32 bytes in guarded memory.
    private static func scalar(_ bytes: SecureBytes, file: Lines, line: Int) throws(VaultError) -> Scalar<Secp256k1> {
        do {
            return try bytes.withUnsafeBytes { (raw) throws(ShareMathError) in try Secp256k1.decodeScalar(raw) }
        } catch {
            throw file.malformed(line, "the share is not a secp256k1 scalar (\(error))")
        }
    }

    /// A decimal integer of at most three digits without sign or leading zero (identifiers and counts).
    private static func decimal(_ text: some StringProtocol) -> Int? {
        guard (1...3).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            text.utf8.first != 0x30
        else { return nil }
        return Int(text)
    }

    /// A share file's lines as ranges into its guarded contents: a line is copied out as text only after its
    /// keyword says it is public, so a share's hex never lands in a `String`.
    private struct Lines {
        let contents: SecureBytes
        let path: String
        let ranges: [Range<Int>]

        init(contents: SecureBytes, path: String) {
            self.contents = contents
            self.path = path
            ranges = contents.withUnsafeBytes { bytes in
                var ranges: [Range<Int>] = []
                var start = 0
                for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                    ranges.append(start..<index)
                    start = index + 1
                }
                if start < bytes.count { ranges.append(start..<bytes.count) }
                return ranges
            }
        }

        var count: Int { ranges.count }

        /// The error for line `index` (0-based; messages count from 1).
        func malformed(_ index: Int, _ reason: String) -> VaultError {
            .keyShareMalformed(path: path, reason: "line \(index + 1): \(reason)")
        }

        /// Whether line `index` is exactly `text`.
        func isExactly(_ index: Int, _ text: String) -> Bool {
            index < count && contents.withUnsafeBytes { $0[ranges[index]].elementsEqual(text.utf8) }
        }

        /// Whether line `index` starts with `keyword` and a space.
        func starts(_ index: Int, with keyword: String) -> Bool {
            index < count && contents.withUnsafeBytes { $0[ranges[index]].starts(with: Array((keyword + " ").utf8)) }
        }

        /// The text after `keyword` and a space on line `index`, when the line has that keyword (a public line).
        func field(_ index: Int, _ keyword: String) -> String? {
            guard starts(index, with: keyword) else { return nil }
            let start = ranges[index].lowerBound + keyword.utf8.count + 1
            return contents.withUnsafeBytes {
                String(decoding: UnsafeRawBufferPointer(rebasing: $0[start..<ranges[index].upperBound]), as: UTF8.self)
            }
        }

        /// The scalar whose hex follows `keyword` on line `index`, decoded in guarded memory.
        func secretScalar(_ index: Int, after keyword: String) throws(VaultError) -> Scalar<Secp256k1> {
            let digits = (ranges[index].lowerBound + keyword.utf8.count + 1)..<ranges[index].upperBound
            let bytes: SecureBytes? = contents.withUnsafeBytes { bytes in
                guard digits.count == 64 else { return nil }
                return try? Hex.decodeSecret(ascii: UnsafeRawBufferPointer(rebasing: bytes[digits]))
            }
            guard let bytes else { throw malformed(index, "the share is not 64 hex digits") }
            return try OfficerShareFile.scalar(bytes, file: self, line: index)
        }
    }
}
