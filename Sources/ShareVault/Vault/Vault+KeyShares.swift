import Foundation
import ShareMath

/// One officer's share as `key verify-shares` found it.
public struct KeyShareCheck: Sendable, Encodable {
    /// The file it was read from.
    public let file: String
    /// The officer and identifier its file names, when it could be read.
    public let officer: String?
    public let identifier: Int?
    /// Why it failed (unreadable, wrong passphrase, not of this quorum, corrupted); nil when it passed.
    public let problem: String?
    public var passed: Bool { problem == nil }
}

/// What `key verify-shares` found: each share on its own, and the key they unlock when enough passed.
public struct KeyShareVerification: Sendable, Encodable {
    /// The quorum as `T-of-N`, and its fingerprint (which names the dealing).
    public let quorum: String
    public let fingerprint: String
    public let shares: [KeyShareCheck]
    /// Whether enough shares passed to unlock the key, and if so whether it is the vault's current key.
    public let unlockChecked: Bool
    public let unlockPassed: Bool?

    public var allPassed: Bool { shares.allSatisfy(\.passed) && unlockPassed != false }
}

/// What `key reshare` did.
public struct KeyReshareReport: Sendable, Encodable {
    public let fromQuorum: String
    public let toQuorum: String
    public let fingerprint: String
    /// The new officers' files.
    public let files: [String]
}

extension Vault {
    /// Checks each officer's share file on its own (it opens with its officer's passphrase or secret key, and its
    /// value lies on the quorum's committed polynomial: Feldman's check, which needs no other share), and, when
    /// at least the threshold passed, that together they unlock the vault's current key. Records who was checked
    /// in the audit chain. Needs no key: officers can run it one at a time.
    public func verifyKeyShares(_ paths: [String], reader: OfficerShareReader) async throws -> KeyShareVerification {
        let meta = try await store.keyMeta()
        let quorum = try KeyQuorum.current(meta)
        var checks: [KeyShareCheck] = []
        var sound: [OfficerShare] = []
        for path in paths {
            do {
                let share = try reader.read(path)
                do {
                    try quorum.check(share)
                    if let other = sound.first(where: { $0.identifier == share.identifier }) {
                        throw VaultError.keyShareDuplicate(path: path, other: other.label)
                    }
                    sound.append(share)
                    checks.append(
                        KeyShareCheck(file: path, officer: share.officer, identifier: share.identifier, problem: nil))
                } catch {
                    checks.append(
                        KeyShareCheck(
                            file: path, officer: share.officer, identifier: share.identifier, problem: "\(error)"))
                }
            } catch {
                checks.append(KeyShareCheck(file: path, officer: nil, identifier: nil, problem: "\(error)"))
            }
        }
        var unlockPassed: Bool?
        // A quorum that formed the vault's key seals its event, so that it cannot be forged at the chain's tail
        // by write access to the database alone; shares checked one by one leave it unsealed until the next
        // keyed event covers it.
        var sealing: VaultKeyring?
        if sound.count >= quorum.threshold, let current = meta.keyCheck {
            let key = try quorum.unlock(sound)
            unlockPassed = VaultKeyring.same(VaultKeyFile.checkValue(of: key), current)
            if unlockPassed == true {
                sealing = try VaultKeyring(unlocking: key, label: "the officers' key shares", meta: meta)
            }
        }
        let result = KeyShareVerification(
            quorum: "\(quorum.threshold)-of-\(quorum.officers.count)", fingerprint: quorum.fingerprint,
            shares: checks, unlockChecked: unlockPassed != nil, unlockPassed: unlockPassed)
        try await store.appendAudit(.keySharesVerified(result), at: Date(), sealedWith: sealing)
        return result
    }

    /// Gives the officers new shares of the same secret (re-sharing: the key is never formed), `threshold` of
    /// `officers`, in new files in `directory`; the vault keeps the new quorum's record, so the old shares are
    /// refused from then on. The vault must be open with the old shares (`shares`, at least the old threshold).
    package func reshareKeys(
        _ shares: [OfficerShare], threshold: Int, officers: [String], directory: String,
        wraps: [OfficerShareWrap]? = nil
    ) async throws -> KeyReshareReport {
        let meta = try await store.keyMeta()
        if let pending = meta.rekeyVersion {
            throw VaultError.rekeyInProgress(version: pending, startedAt: meta.rekeyStartedAt ?? "?")
        }
        let quorum = try KeyQuorum.current(meta)
        let (next, newShares) = try quorum.reshare(shares, threshold: threshold, officers: officers)
        let paths = try OfficerShareFiles.write(newShares, quorum: next, directory: directory, wraps: wraps)
        let report = KeyReshareReport(
            fromQuorum: "\(quorum.threshold)-of-\(quorum.officers.count)",
            toQuorum: "\(threshold)-of-\(officers.count)", fingerprint: next.fingerprint, files: paths)
        do {
            try await store.changeKeyState(
                meta.changed(by: ["keyQuorum": next.storedText]), expected: meta, requireAllSealedUnder: nil,
                event: .keyReshared(report, officers: officers, from: quorum.fingerprint), at: Date())
        } catch {
            for path in paths { unlink(path) }
            throw error
        }
        return report
    }
}
