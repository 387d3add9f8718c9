import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// The vault key split among officers: any threshold of shares unlocks it, fewer are refused saying how many more,
/// and a wrong, corrupted, foreign or superseded share file is named by its path, with no secret in any message.
@Suite struct KeyQuorumTests {
    typealias Scratch = VaultStoreTests.Scratch

    static let officers = ["alice", "bob", "carol", "dave", "officer-5"]

    /// Argon2id at libsodium's minimum cost, within `isWithinLimits`: the wrap's logic without its expense.
    static func cheapKDF() -> Argon2id {
        Argon2id(
            salt: (0..<Argon2id.saltLength).map { _ in UInt8.random(in: 0...255) }, operationsLimit: 1,
            memoryLimit: 8192)
    }

    /// The share's value in hex, to look for in files and messages.
    static func hex(_ share: OfficerShare) -> String { share.value.value.withEncoding { Hex.encode($0) } }

    /// All subsets of `items` with exactly `size` elements.
    static func subsets<T>(_ items: [T], size: Int) -> [[T]] {
        if size == 0 { return [[]] }
        guard items.count >= size, let first = items.first else { return [] }
        let rest = Array(items.dropFirst())
        return subsets(rest, size: size - 1).map { [first] + $0 } + subsets(rest, size: size)
    }

    static func refusal(_ body: () throws -> Void) -> (any Error)? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: Unlocking

    @Test func everyThreeOfFiveUnlocksTheDealtKeyAndTwoAreTooFew() throws {
        let (quorum, shares, vaultKey) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        #expect(vaultKey.count == 32)
        #expect(quorum.threshold == 3 && quorum.officers == Self.officers && quorum.commitments.count == 3)
        for size in 3...5 {
            for subset in Self.subsets(shares, size: size) {
                #expect(try quorum.unlock(subset) == vaultKey)
                #expect(try quorum.unlock(subset.reversed()) == vaultKey)
            }
        }
        for size in 0...2 {
            for subset in Self.subsets(shares, size: size) {
                let error = #expect(throws: VaultError.keySharesTooFew(needed: 3, given: size)) {
                    try quorum.unlock(subset)
                }
                #expect(error?.description.contains(": \(3 - size) more needed") == true)
                #expect(error?.isEnvironmentFault == true)
            }
        }
        let (_, _, otherKey) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        #expect(otherKey != vaultKey)
    }

    @Test func anyThresholdOfAnyQuorumUnlocksAndFewerAreRefused() async {
        await propertyCheck(count: 25, input: Gen.int(in: 2...7), Gen.int(in: 0...5), Gen.int(in: 0...127)) {
            count, extra, mask in
            let threshold = 2 + extra % (count - 1)
            let names = (1...count).map { "officer-\($0)" }
            let (quorum, shares, vaultKey) = try KeyQuorum.deal(threshold: threshold, officers: names)
            let chosen = shares.indices.filter { mask & (1 << $0) != 0 }.map { shares[$0] }.shuffled()
            if chosen.count >= threshold {
                #expect(try quorum.unlock(chosen) == vaultKey)
            } else {
                #expect(throws: VaultError.keySharesTooFew(needed: threshold, given: chosen.count)) {
                    try quorum.unlock(chosen)
                }
            }
        }
    }

    @Test func aShareGivenTwiceIsNamedWithItsTwin() throws {
        let (quorum, shares, _) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        #expect(throws: VaultError.keyShareDuplicate(path: "bob", other: "bob")) {
            try quorum.unlock([shares[1], shares[0], shares[1]])
        }
    }

    @Test func anAlteredShareIsNamedByTheCheck() throws {
        let (quorum, shares, _) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        for share in shares { try quorum.check(share) }
        let share = shares[2]
        let altered = OfficerShare(
            officer: share.officer, identifier: share.identifier, quorumFingerprint: share.quorumFingerprint,
            label: "altered", value: share.value.value + Secp256k1.element(1))
        let swapped = OfficerShare(
            officer: "dave", identifier: 3, quorumFingerprint: share.quorumFingerprint, label: "swapped",
            value: share.value.value)
        let moved = OfficerShare(
            officer: "dave", identifier: 4, quorumFingerprint: share.quorumFingerprint, label: "moved",
            value: share.value.value)
        let outside = OfficerShare(
            officer: "eve", identifier: 6, quorumFingerprint: share.quorumFingerprint, label: "outside",
            value: share.value.value)
        for bad in [altered, swapped, moved, outside] {
            let error = Self.refusal { try quorum.check(bad) }
            guard case .keyShareNotOfQuorum(let path, _) = error as? VaultError else {
                Issue.record("\(bad.label): \(String(describing: error))")
                continue
            }
            #expect(path == bad.label)
            let unlockError = Self.refusal { _ = try quorum.unlock([shares[0], bad, shares[4]]) }
            #expect(unlockError as? VaultError == error as? VaultError)
        }
    }

    // MARK: Re-sharing

    @Test func reshareKeepsTheKeyAndRetiresTheOldShares() throws {
        let (quorum, shares, vaultKey) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        let newOfficers = ["frank", "grace", "heidi"]
        let old = Array(shares.shuffled().prefix(3))
        let (newQuorum, newShares) = try quorum.reshare(old, threshold: 2, officers: newOfficers)
        #expect(newQuorum.threshold == 2 && newQuorum.officers == newOfficers && newShares.count == 3)
        #expect(newQuorum.commitments[0] == quorum.commitments[0])
        #expect(newQuorum.fingerprint != quorum.fingerprint)
        for pair in Self.subsets(newShares, size: 2) { #expect(try newQuorum.unlock(pair) == vaultKey) }
        #expect(throws: VaultError.keySharesTooFew(needed: 2, given: 1)) { try newQuorum.unlock([newShares[0]]) }
        for share in shares {
            let error = Self.refusal { try newQuorum.check(share) }
            guard case .keyShareNotOfQuorum(let path, _) = error as? VaultError else {
                Issue.record("an old share passed the new record's check: \(String(describing: error))")
                continue
            }
            #expect(path == share.label)
        }
        for share in newShares { #expect(throws: VaultError.self) { try quorum.check(share) } }
        // The same officers re-shared: the old shares at the same identifiers still fail (another dealing).
        let (sameOfficers, refreshed) = try quorum.reshare(shares, threshold: 3, officers: Self.officers)
        #expect(try sameOfficers.unlock(Array(refreshed.prefix(3))) == vaultKey)
        #expect(throws: VaultError.self) { try sameOfficers.check(shares[0]) }
        // Too few old shares, or a bad one, and nothing is dealt.
        #expect(throws: VaultError.keySharesTooFew(needed: 3, given: 2)) {
            _ = try quorum.reshare(Array(shares.prefix(2)), threshold: 2, officers: newOfficers)
        }
        #expect(throws: VaultError.self) {
            _ = try quorum.reshare([shares[0], shares[1], newShares[2]], threshold: 2, officers: newOfficers)
        }
    }

    // MARK: Names and thresholds

    @Test func badNamesAndThresholdsAreInputErrors() throws {
        let cases: [(Int, [String], VaultError)] = [
            (2, ["alice", ""], .invalidOfficerName("")),
            (2, ["alice", "bob smith"], .invalidOfficerName("bob smith")),
            (2, ["alice", String(repeating: "a", count: 65)], .invalidOfficerName(String(repeating: "a", count: 65))),
            (2, ["alice", "bob/"], .invalidOfficerName("bob/")),
            (2, ["alice", "ålice"], .invalidOfficerName("ålice")),
            (2, ["alice", "alice"], .duplicateOfficerName("alice")),
            (1, ["alice", "bob"], .invalidKeyQuorum(threshold: 1, count: 2)),
            (3, ["alice", "bob"], .invalidKeyQuorum(threshold: 3, count: 2)),
            (2, (1...256).map { "o\($0)" }, .invalidKeyQuorum(threshold: 2, count: 256)),
        ]
        for (threshold, names, expected) in cases {
            #expect(throws: expected) { _ = try KeyQuorum.deal(threshold: threshold, officers: names) }
            #expect(!expected.isEnvironmentFault)
        }
        let longest = String(repeating: "Az0._-", count: 10) + "abcd"
        #expect(try KeyQuorum.deal(threshold: 2, officers: [longest, "b"]).quorum.officers[0] == longest)
    }

    // MARK: The stored record

    @Test func theRecordRoundTripsAndADamagedOneIsRefused() throws {
        let (quorum, _, _) = try KeyQuorum.deal(threshold: 3, officers: Self.officers)
        let text = quorum.storedText
        let parsed = try KeyQuorum(stored: text)
        #expect(parsed == quorum)
        #expect(parsed.storedText == text)
        #expect(parsed.fingerprint == quorum.fingerprint && quorum.fingerprint.utf8.count == 16)
        #expect(!text.contains(" ") && !text.contains("\n"))
        let commitments = quorum.commitments.map { Hex.encode($0) }
        let offCurve = "02" + String(repeating: "ff", count: 32)
        let damaged = [
            "",
            "not json",
            "[]",
            text.replacingOccurrences(of: "\"threshold\":3", with: "\"threshold\":6"),
            text.replacingOccurrences(of: "\"threshold\":3", with: "\"threshold\":2"),
            text.replacingOccurrences(of: "\"threshold\":3", with: "\"threshold\":\"3\""),
            text.replacingOccurrences(of: commitments[1], with: offCurve),
            text.replacingOccurrences(of: commitments[1], with: "04" + commitments[1].dropFirst(2)),
            text.replacingOccurrences(of: commitments[2], with: commitments[2].uppercased()),
            text.replacingOccurrences(of: "\"bob\"", with: "\"alice\""),
            text.replacingOccurrences(of: "\"bob\"", with: "\"bob bob\""),
            text.replacingOccurrences(of: "\"version\":1", with: "\"version\":2"),
            text.replacingOccurrences(of: "\"version\":1", with: "\"version\":1,\"extra\":0"),
            text.replacingOccurrences(of: "\"version\":1", with: "\"version\":1,\"version\":1"),
        ]
        for (index, record) in damaged.enumerated() {
            let error = Self.refusal { _ = try KeyQuorum(stored: record) }
            guard case .keyQuorumDamaged = error as? VaultError else {
                Issue.record("damaged record \(index) was not refused as damaged: \(String(describing: error))")
                continue
            }
            #expect((error as? VaultError)?.isEnvironmentFault == true)
        }
    }

    // MARK: Files

    enum WrapKind: String, CaseIterable, Sendable { case none, passphrase, recipient }

    /// A dealing written to files under one wrap, with what reads them back.
    struct WrittenShares {
        let quorum: KeyQuorum
        let shares: [OfficerShare]
        let vaultKey: SecureBytes
        let paths: [String]
        let passphrase = "correct horse battery staple".secure
        let keyPair = SealedBox.keyPair()
        let kind: WrapKind

        init(_ kind: WrapKind, in scratch: Scratch, prefix: String = "share") throws {
            self.kind = kind
            (quorum, shares, vaultKey) = try KeyQuorum.deal(threshold: 3, officers: KeyQuorumTests.officers)
            paths = shares.map { scratch.path("\(prefix)-\($0.officer).\(kind.rawValue)") }
            for (share, path) in zip(shares, paths) {
                try OfficerShareFile.write(share, quorum: quorum, wrap: wrap, to: path, kdf: KeyQuorumTests.cheapKDF())
            }
        }

        var wrap: OfficerShareWrap {
            switch kind {
            case .none: return .none
            case .passphrase: return .passphrase(passphrase)
            case .recipient: return .recipient(publicKey: keyPair.publicKey)
            }
        }

        /// Reads `path` giving only what its wrap needs (asking for anything else is an issue).
        func read(_ path: String) throws -> OfficerShare {
            try OfficerShareFile.read(
                at: path,
                passphrase: {
                    if kind != .passphrase { Issue.record("asked for a passphrase") }
                    return passphrase
                },
                secretKey: {
                    if kind != .recipient { Issue.record("asked for a secret key") }
                    return keyPair.secretKey
                })
        }
    }

    @Test(arguments: WrapKind.allCases)
    func filesRoundTripPrivatelyAndAreNeverReplaced(kind: WrapKind) throws {
        let scratch = try Scratch()
        let written = try WrittenShares(kind, in: scratch)
        var read: [OfficerShare] = []
        for (share, path) in zip(written.shares, written.paths) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(
                text.hasPrefix(
                    "sharevault officer share v1\nofficer \(share.officer)\nidentifier \(share.identifier)\n"))
            #expect(text.contains("\nthreshold 3 of 5\nquorum \(written.quorum.fingerprint)\n"))
            #expect(text.contains(Self.hex(share)) == (kind == .none))
            let back = try written.read(path)
            #expect(back.officer == share.officer && back.identifier == share.identifier && back.label == path)
            #expect(back.value.value == share.value.value)
            try written.quorum.check(back)
            read.append(back)
            // Never replaced, and left as it was.
            #expect(throws: VaultError.fileExists(path: path)) {
                try OfficerShareFile.write(
                    written.shares[0], quorum: written.quorum, wrap: .none, to: path, kdf: Self.cheapKDF())
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        }
        #expect(try written.quorum.unlock(Array(read.shuffled().prefix(3))) == written.vaultKey)
    }

    @Test func aFileOthersCanReadIsRefusedAndAMissingOneNamed() throws {
        let scratch = try Scratch()
        let written = try WrittenShares(.none, in: scratch)
        chmod(written.paths[0], 0o644)
        #expect(throws: SecretFileError.tooOpen(path: written.paths[0], mode: 0o644)) {
            _ = try written.read(written.paths[0])
        }
        let missing = scratch.path("nobody")
        #expect(throws: VaultError.keyShareMissing(path: missing)) { _ = try written.read(missing) }
        let large = scratch.path("large")
        try Data(repeating: 0x61, count: 5000).write(to: URL(fileURLWithPath: large))
        chmod(large, 0o600)
        #expect(throws: VaultError.keyShareMalformed(path: large, reason: "larger than 4096 bytes")) {
            _ = try written.read(large)
        }
    }

    @Test func nothingIsWrittenForAnUnusableRecipientOrAShareOfAnotherQuorum() throws {
        let scratch = try Scratch()
        let (quorum, shares, _) = try KeyQuorum.deal(threshold: 2, officers: ["a", "b"])
        let (otherQuorum, _, _) = try KeyQuorum.deal(threshold: 2, officers: ["a", "b"])
        let path = scratch.path("a.share")
        #expect(throws: SealingError.unusableRecipientKey) {
            try OfficerShareFile.write(
                shares[0], quorum: quorum, wrap: .recipient(publicKey: [UInt8](repeating: 0, count: 32)), to: path)
        }
        #expect(throws: VaultError.self) {
            try OfficerShareFile.write(shares[0], quorum: otherQuorum, wrap: .none, to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aWrongPassphraseOrSecretKeyIsNamed() throws {
        let scratch = try Scratch()
        let wrapped = try WrittenShares(.passphrase, in: scratch)
        let path = wrapped.paths[1]
        let none: () throws -> SecureBytes? = {
            Issue.record("asked for a secret key")
            return nil
        }
        #expect(throws: VaultError.keyShareWrongPassphrase(path: path)) {
            _ = try OfficerShareFile.read(
                at: path, passphrase: { "Correct horse battery staple".secure }, secretKey: none)
        }
        #expect(throws: VaultError.keySharePassphraseRequired(path: path)) {
            _ = try OfficerShareFile.read(at: path, passphrase: { nil }, secretKey: none)
        }
        let sealed = try WrittenShares(.recipient, in: scratch)
        let sealedPath = sealed.paths[2]
        for wrongKey in [SealedBox.keyPair().secretKey, SecureBytes.random(count: 16)] {
            #expect(throws: VaultError.keyShareWrongSecretKey(path: sealedPath)) {
                _ = try OfficerShareFile.read(at: sealedPath, passphrase: { nil }, secretKey: { wrongKey })
            }
        }
        #expect(throws: VaultError.keyShareSecretKeyRequired(path: sealedPath)) {
            _ = try OfficerShareFile.read(at: sealedPath, passphrase: { nil }, secretKey: { nil })
        }
    }

    /// A wrapped or sealed share whose ciphertext lost a byte is malformed (named as such before any passphrase or
    /// secret key is asked for), not a wrong passphrase.
    @Test(arguments: [WrapKind.passphrase, .recipient])
    func aShortCiphertextIsMalformed(kind: WrapKind) throws {
        let scratch = try Scratch()
        let written = try WrittenShares(kind, in: scratch)
        let path = written.paths[0]
        try Self.rewrite(path) { text in
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[6] = String(lines[6].dropLast(2))
            return lines.joined(separator: "\n")
        }
        #expect {
            _ = try OfficerShareFile.read(at: path, passphrase: { nil }, secretKey: { nil })
        } throws: { error in
            guard case .keyShareMalformed(let named, let reason) = error as? VaultError else { return false }
            return named == path && reason.contains("line 7")
        }
    }

    /// Rewrites the file at `path` (keeping mode 0600) with `edit` applied to its text.
    static func rewrite(_ path: String, _ edit: (String) -> String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try FileManager.default.removeItem(atPath: path)
        try Array(edit(text).utf8).withUnsafeBytes { bytes in
            try PrivateFile.create(at: path, contents: bytes, alreadyExists: .fileExists(path: path))
        }
    }

    /// Replaces the hex digit at `offset` in the last line's value with a different one.
    static func flipDigit(in text: String, line: Int) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var characters = Array(lines[line])
        let start = (characters.firstIndex(of: " ") ?? 0) + 1
        let index = Int.random(in: start..<characters.count)
        let digits = Array("0123456789abcdef").filter { $0 != characters[index] }
        characters[index] = digits.randomElement()!
        lines[line] = String(characters)
        return lines.joined(separator: "\n")
    }

    /// Reads the file and unlocks with it and two good shares: the error, which must name `path`.
    static func refusalNaming(_ path: String, _ written: WrittenShares, good: [OfficerShare]) -> VaultError? {
        let error = refusal { _ = try written.quorum.unlock([try written.read(path)] + good) }
        guard let error = error as? VaultError else {
            Issue.record("\(path): not refused as a VaultError: \(String(describing: error))")
            return nil
        }
        #expect(error.description.contains(path), "\(error)")
        #expect(error.isEnvironmentFault)
        return error
    }

    @Test(arguments: WrapKind.allCases)
    func aCorruptedForeignOrSupersededFileIsRefusedNamingItsPath(kind: WrapKind) throws {
        let scratch = try Scratch()
        let written = try WrittenShares(kind, in: scratch)
        let good = [written.shares[3], written.shares[4]]
        let valueLine = kind == .none ? 5 : 6

        try Self.rewrite(written.paths[0]) { Self.flipDigit(in: $0, line: valueLine) }
        _ = Self.refusalNaming(written.paths[0], written, good: good)

        // A file that lost only its final newline is still whole (and is read: liberal intake), so
        // the cut takes at least one character of the last line as well.
        let text = try String(contentsOfFile: written.paths[1], encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        try Self.rewrite(written.paths[1]) { String($0.dropLast()) }
        #expect(try written.read(written.paths[1]).officer == written.shares[1].officer)
        let cut = Int.random(in: 2..<text.count)
        try Self.rewrite(written.paths[1]) { _ in String(text.dropLast(cut)) }
        _ = Self.refusalNaming(written.paths[1], written, good: good)

        try Self.rewrite(written.paths[2]) { $0.replacingOccurrences(of: "share v1\n", with: "share v2\n") }
        #expect(
            Self.refusalNaming(written.paths[2], written, good: good)
                == .keyShareMalformed(
                    path: written.paths[2], reason: "line 1: missing the \"sharevault officer share v1\" header"))

        // Another vault's share of the same officer, read with the right secrets.
        let other = try WrittenShares(kind, in: scratch, prefix: "other")
        let foreign = Self.refusal { try written.quorum.check(try other.read(other.paths[0])) }
        guard case .keyShareNotOfQuorum(let path, let reason) = foreign as? VaultError else {
            Issue.record("another vault's share: \(String(describing: foreign))")
            return
        }
        #expect(path == other.paths[0] && reason.contains("another vault"))

        // A share from before a re-share.
        let (newQuorum, _) = try written.quorum.reshare(written.shares, threshold: 2, officers: ["x", "y", "z"])
        let superseded = Self.refusal { try newQuorum.check(try written.read(written.paths[3])) }
        guard case .keyShareNotOfQuorum(let oldPath, _) = superseded as? VaultError else {
            Issue.record("a superseded share: \(String(describing: superseded))")
            return
        }
        #expect(oldPath == written.paths[3])
    }

    @Test(arguments: [WrapKind.passphrase, .recipient])
    func anEditedPublicLineOfAWrappedShareIsRefused(kind: WrapKind) throws {
        let scratch = try Scratch()
        let written = try WrittenShares(kind, in: scratch)
        let path = written.paths[3]
        try Self.rewrite(path) { $0.replacingOccurrences(of: "threshold 3 of 5", with: "threshold 2 of 5") }
        let expected: VaultError =
            kind == .passphrase
            ? .keyShareWrongPassphrase(path: path)
            : .keyShareMalformed(path: path, reason: "line 7: the public lines were changed after the share was sealed")
        #expect(throws: expected) { _ = try written.read(path) }
    }

    @Test func malformedLinesAreNamed() throws {
        let scratch = try Scratch()
        let written = try WrittenShares(.none, in: scratch)
        let text = try String(contentsOfFile: written.paths[0], encoding: .utf8)
        let cases: [(String, String)] = [
            (text.replacingOccurrences(of: "officer alice", with: "officer al ice"), "line 2:"),
            (text.replacingOccurrences(of: "identifier 1", with: "identifier 01"), "line 3:"),
            (text.replacingOccurrences(of: "identifier 1", with: "identifier 6"), "line 3:"),
            (text.replacingOccurrences(of: "threshold 3 of 5", with: "threshold 3 of 2"), "line 4:"),
            (text.replacingOccurrences(of: "quorum ", with: "quorum x"), "line 5:"),
            (text.replacingOccurrences(of: "\nshare ", with: "\nshares "), "line 6:"),
            (text + "extra\n", "line 7:"),
            (
                text.replacingOccurrences(of: "\nshare ", with: "\nshare " + String(repeating: "f", count: 64))
                    .dropLast(65)
                    + "\n", "line 6:"
            ),
            (
                text.replacingOccurrences(of: "\nshare ", with: "\nshare " + String(repeating: "0", count: 64))
                    .dropLast(65)
                    + "\n", "line 6:"
            ),
        ]
        for (index, (contents, line)) in cases.enumerated() {
            let error = Self.refusal {
                _ = try OfficerShareFile.read(
                    contents: contents.secure, path: "f", passphrase: { nil }, secretKey: { nil })
            }
            guard case .keyShareMalformed(let path, let reason) = error as? VaultError else {
                Issue.record("case \(index): \(String(describing: error))")
                continue
            }
            #expect(path == "f" && reason.hasPrefix(line), "case \(index): \(reason)")
        }
    }

    @Test func noSecretAppearsInAnyMessage() throws {
        let scratch = try Scratch()
        var messages: [String] = []
        var secrets: [String] = []
        for kind in WrapKind.allCases {
            let written = try WrittenShares(kind, in: scratch)
            secrets += written.shares.map(Self.hex)
            secrets.append(written.vaultKey.withUnsafeBytes { Hex.encode($0) })
            for (index, path) in written.paths.enumerated() {
                try Self.rewrite(path) { text in
                    switch index {
                    case 0: return Self.flipDigit(in: text, line: kind == .none ? 5 : 6)
                    case 1: return String(text.dropLast(3)) + "zz\n"
                    case 2: return text.replacingOccurrences(of: "officer ", with: "officer x")
                    default: return text + "more\n"
                    }
                }
                if let error = Self.refusal({ _ = try written.quorum.unlock([try written.read(path)]) }) {
                    messages.append("\(error)")
                }
            }
            messages += [written.shares[0], written.shares[1]].compactMap { share in
                Self.refusal { _ = try written.quorum.unlock([share, share]) }.map { "\($0)" }
            }
            messages.append(String(describing: written.shares[0]))
        }
        #expect(messages.count >= 12)
        for message in messages {
            for secret in secrets {
                #expect(!message.lowercased().contains(secret), "\(message)")
                #expect(!message.lowercased().contains(secret.prefix(16)), "\(message)")
            }
        }
    }
}
