import Foundation
import ShareMath

/// One officer's share of the secret the vault key is derived from, with where it came from.
///
/// The share's value is a secp256k1 scalar in guarded memory; it prints as redacted.
package struct OfficerShare: Sendable, CustomStringConvertible {
    /// The officer's name, as the quorum record lists it ("officer-3", "alice").
    package let officer: String
    /// The Shamir x-coordinate, 1...N: officer `identifier` is `KeyQuorum.officers[identifier - 1]`.
    package let identifier: Int
    /// The fingerprint of the dealing the share says it belongs to (its file's `quorum` line).
    package let quorumFingerprint: String
    /// Where the share came from, for messages: the file it was read from, or the officer's name when fresh.
    package let label: String
    /// The share `(identifier, f(identifier))`; the value is secret.
    package let value: Share<Secp256k1>

    /// The share `(identifier, value)` of the dealing `quorumFingerprint` names; `identifier` is 1...255.
    package init(officer: String, identifier: Int, quorumFingerprint: String, label: String, value: Scalar<Secp256k1>) {
        precondition(identifier >= 1 && identifier <= OfficerName.maximumOfficers, "identifier out of range")
        self.officer = officer
        self.identifier = identifier
        self.quorumFingerprint = quorumFingerprint
        self.label = label
        self.value = Share(identifier: Secp256k1.element(UInt64(identifier)), value: value)
    }

    package var description: String { "OfficerShare(\(officer), \(identifier), redacted)" }
}

/// The rules for officer names: they appear in share files and the quorum record, one word each.
package enum OfficerName {
    package static let maximumLength = 64
    /// The most officers one quorum can have (Shamir identifiers are one byte).
    package static var maximumOfficers: Int { Shamir<Secp256k1>.maximumCount }

    /// Whether `name` is 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= maximumLength
            && bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
    }

    /// Checks a quorum's names and threshold before anything is dealt.
    static func checkQuorum(threshold: Int, officers: [String]) throws(VaultError) {
        var seen = Set<String>()
        for name in officers {
            guard isValid(name) else { throw .invalidOfficerName(name) }
            guard seen.insert(name).inserted else { throw .duplicateOfficerName(name) }
        }
        do {
            try Shamir<Secp256k1>.checkThreshold(threshold, count: officers.count)
        } catch {
            throw .invalidKeyQuorum(threshold: threshold, count: officers.count)
        }
    }
}

/// The public record of a vault key split among officers: the threshold, the officers' names in identifier order,
/// and the Feldman commitments to the sharing polynomial.
///
/// The vault stores it as one text value (`storedText`, compact JSON with sorted keys). With it anyone can check an
/// officer's share alone (no other share, no secret), so a wrong or corrupted file is named before any key is formed.
/// The vault key is BLAKE2b of the shared secret under a fixed label, so a re-share, which keeps the secret and
/// `commitments[0]`, keeps the vault key.
package struct KeyQuorum: Sendable, Equatable {
    /// How many officers' shares unlock the vault key.
    package let threshold: Int
    /// Officer `i + 1`'s name at index `i`.
    package let officers: [String]
    /// The commitments as 33-byte compressed SEC1 points; `commitments[0]` is `secret·G`.
    package let commitments: [[UInt8]]
    /// The same commitments, decoded.
    private let feldman: Commitments<Secp256k1>

    static let vaultKeyLabel = Array("sharevault vault key from officers v1".utf8)
    static let fingerprintLabel = Array("sharevault key quorum fingerprint v1".utf8)
    static let recordVersion = 1

    private init(threshold: Int, officers: [String], feldman: Commitments<Secp256k1>) {
        self.threshold = threshold
        self.officers = officers
        self.feldman = feldman
        self.commitments = feldman.points.map(\.encoded)
    }

    /// A short public digest of the commitments (16 hex digits) that names the dealing: shares carry it, so a share
    /// of another vault or of an older dealing is told apart from a corrupted one.
    package var fingerprint: String {
        Hex.encode(Blake2b.hash([Self.fingerprintLabel] + commitments).prefix(8))
    }

    // MARK: Stored record

    /// Parses the stored record, checking that it holds together (names, threshold, points on the curve).
    ///
    /// - Throws: `VaultError.keyQuorumDamaged` naming what is wrong.
    package init(stored text: String) throws(VaultError) {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(Data(text.utf8))
        } catch {
            throw .keyQuorumDamaged(reason: "not JSON: \(error)")
        }
        guard case .object(let members) = value else { throw .keyQuorumDamaged(reason: "not a JSON object") }
        let expected: Set<String> = ["commitments", "officers", "threshold", "version"]
        guard Set(members.map(\.key)) == expected, members.count == expected.count else {
            throw .keyQuorumDamaged(reason: "expected exactly the members \(expected.sorted().joined(separator: ", "))")
        }
        let fields = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard case .number(let version)? = fields["version"], version == String(Self.recordVersion) else {
            throw .keyQuorumDamaged(reason: "version is not \(Self.recordVersion)")
        }
        guard case .number(let thresholdText)? = fields["threshold"], let threshold = Int(thresholdText) else {
            throw .keyQuorumDamaged(reason: "threshold is not an integer")
        }
        guard case .array(let officerValues)? = fields["officers"] else {
            throw .keyQuorumDamaged(reason: "officers is not an array")
        }
        let officers = try officerValues.map { (value) throws(VaultError) -> String in
            guard case .string(let name) = value else { throw .keyQuorumDamaged(reason: "an officer is not a string") }
            return name
        }
        do {
            try OfficerName.checkQuorum(threshold: threshold, officers: officers)
        } catch {
            throw .keyQuorumDamaged(reason: "\(error)")
        }
        guard case .array(let commitmentValues)? = fields["commitments"], commitmentValues.count == threshold else {
            throw .keyQuorumDamaged(reason: "there must be as many commitments as the threshold, \(threshold)")
        }
        var points: [Point<Secp256k1>] = []
        for (index, value) in commitmentValues.enumerated() {
            guard case .string(let hex) = value, let bytes = try? Hex.decode(hex), Hex.encode(bytes) == hex else {
                throw .keyQuorumDamaged(reason: "commitment \(index) is not lowercase hex")
            }
            do {
                points.append(try Point<Secp256k1>(decoding: bytes))
            } catch {
                throw .keyQuorumDamaged(reason: "commitment \(index): \(error)")
            }
        }
        self.init(threshold: threshold, officers: officers, feldman: Commitments(points: points))
    }

    /// The record as the vault stores it: compact JSON with sorted keys (names and hex need no escaping).
    package var storedText: String {
        let commitmentList = commitments.map { "\"\(Hex.encode($0))\"" }.joined(separator: ",")
        let officerList = officers.map { "\"\($0)\"" }.joined(separator: ",")
        return "{\"commitments\":[\(commitmentList)],\"officers\":[\(officerList)],\"threshold\":\(threshold),"
            + "\"version\":\(Self.recordVersion)}"
    }

    // MARK: Dealing

    /// A fresh random secret split `threshold`-of-`officers.count`, and the vault key derived from it.
    ///
    /// - Parameters:
    ///   - threshold: How many officers' shares will unlock the key, 2...officers.count.
    ///   - officers: Distinct names; officer `i + 1` gets identifier `i + 1`.
    /// - Throws: `VaultError.invalidOfficerName`, `.duplicateOfficerName`, `.invalidKeyQuorum`.
    package static func deal(
        threshold: Int, officers: [String]
    ) throws -> (quorum: KeyQuorum, shares: [OfficerShare], vaultKey: SecureBytes) {
        try OfficerName.checkQuorum(threshold: threshold, officers: officers)
        let secret = Scalar<Secp256k1>.random()
        let dealing = try Dealing<Secp256k1>.split(secret: secret, threshold: threshold, count: officers.count)
        let quorum = KeyQuorum(threshold: threshold, officers: officers, feldman: dealing.commitments)
        return (quorum, quorum.officerShares(dealing.shares), vaultKey(from: secret))
    }

    /// The vault key for `secret`: BLAKE2b-256 of a fixed label and the secret, computed in guarded memory.
    static func vaultKey(from secret: Scalar<Secp256k1>) -> SecureBytes {
        var hasher = Blake2b()
        hasher.update(vaultKeyLabel)
        hasher.update(secret: secret.bytes)
        return hasher.finalizeSecret()
    }

    /// This quorum's shares for `shares` (at identifiers 1...N, in order), labelled with the officers' names.
    private func officerShares(_ shares: [Share<Secp256k1>]) -> [OfficerShare] {
        zip(officers, shares).enumerated().map { index, pair in
            OfficerShare(
                officer: pair.0, identifier: index + 1, quorumFingerprint: fingerprint, label: pair.0,
                value: pair.1.value)
        }
    }

    // MARK: Checking and unlocking

    /// Checks one share against this record alone (Feldman: `value·G` must be the public share the commitments give
    /// its identifier), and that its officer and dealing are this record's.
    ///
    /// - Throws: `VaultError.keyShareNotOfQuorum` naming `share.label` and why: an identifier or officer this quorum
    ///   does not have, another dealing (another vault's, or one from before a re-share), or a corrupted value.
    package func check(_ share: OfficerShare) throws(VaultError) {
        guard share.identifier >= 1, share.identifier <= officers.count else {
            throw .keyShareNotOfQuorum(
                path: share.label,
                reason: "identifier \(share.identifier) is not one of this quorum's 1...\(officers.count)")
        }
        // The dealing first: a share from before a re-share is named as such, whatever its officer is now.
        guard share.quorumFingerprint == fingerprint else {
            throw .keyShareNotOfQuorum(
                path: share.label,
                reason: "it was dealt for key quorum \(share.quorumFingerprint), this vault's is \(fingerprint) "
                    + "(another vault's share, or one from before a re-share)")
        }
        guard officers[share.identifier - 1] == share.officer else {
            throw .keyShareNotOfQuorum(
                path: share.label,
                reason: "identifier \(share.identifier) belongs to officer \(officers[share.identifier - 1]), "
                    + "not \(share.officer)")
        }
        guard feldman.verify(share.value) else {
            throw .keyShareNotOfQuorum(
                path: share.label,
                reason: "its value does not match the quorum's commitments for officer \(share.officer) "
                    + "(corrupted, or edited)")
        }
    }

    /// Checks each share, then refuses duplicates and too few: the shares a key may be formed from.
    private func checkedShares(_ shares: [OfficerShare]) throws(VaultError) -> [Share<Secp256k1>] {
        for share in shares { try check(share) }
        var seen: [Int: String] = [:]
        for share in shares {
            if let other = seen[share.identifier] { throw .keyShareDuplicate(path: share.label, other: other) }
            seen[share.identifier] = share.label
        }
        guard shares.count >= threshold else { throw .keySharesTooFew(needed: threshold, given: shares.count) }
        return shares.map(\.value)
    }

    /// The vault key from `threshold` or more officers' shares.
    ///
    /// - Throws: `VaultError.keyShareNotOfQuorum` for the first share that fails `check`,
    ///   `.keyShareDuplicate` for a share given twice, `.keySharesTooFew` for fewer than the threshold.
    package func unlock(_ shares: [OfficerShare]) throws(VaultError) -> SecureBytes {
        let checked = try checkedShares(shares)
        let secret: Scalar<Secp256k1>
        do {
            secret = try Shamir<Secp256k1>.combine(checked, threshold: threshold)
        } catch {
            // The shares were each checked and are distinct, so combining them cannot fail.
            preconditionFailure("combining checked officer shares failed: \(error)")
        }
        return Self.vaultKey(from: secret)
    }

    /// New shares of the same secret for `officers` with `threshold`, from `self.threshold` or more valid shares,
    /// never forming the secret. The new record keeps `commitments[0]`, so it unlocks the same vault key; the old
    /// shares fail `check` against it.
    ///
    /// - Throws: what `unlock` throws for the old shares, and what `deal` throws for the new officers.
    package func reshare(
        _ shares: [OfficerShare], threshold: Int, officers: [String]
    ) throws -> (quorum: KeyQuorum, shares: [OfficerShare]) {
        try OfficerName.checkQuorum(threshold: threshold, officers: officers)
        let checked = try checkedShares(shares)
        let dealing = try Dealing<Secp256k1>.reshare(
            checked, threshold: self.threshold, publicKey: feldman.publicKey,
            to: Shamir<Secp256k1>.defaultIdentifiers(count: officers.count), newThreshold: threshold)
        let quorum = KeyQuorum(threshold: threshold, officers: officers, feldman: dealing.commitments)
        return (quorum, quorum.officerShares(dealing.shares))
    }
}
