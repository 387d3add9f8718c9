import Foundation

/// A vault key as `key status` describes it: a key file, or a secret split among officers. All public.
public struct VaultKeyDescription: Sendable, Encodable, Equatable {
    /// `file`, or `officers`.
    public let kind: String
    /// The officers' quorum as `T-of-N`, its officers in share order and its fingerprint; nil for a key file.
    public let quorum: String?
    public let officers: [String]?
    public let fingerprint: String?

    init(quorumRecord: String?) throws {
        guard let quorumRecord else {
            (kind, quorum, officers, fingerprint) = ("file", nil, nil, nil)
            return
        }
        let quorum = try KeyQuorum(stored: quorumRecord)
        kind = "officers"
        self.quorum = "\(quorum.threshold)-of-\(quorum.officers.count)"
        officers = quorum.officers
        fingerprint = quorum.fingerprint
    }
}

/// A rekey in progress, as `key status` describes it.
public struct RekeyStatus: Sendable, Encodable, Equatable {
    /// The version it moves the vault to.
    public let toVersion: Int
    public let startedAt: String
    /// Whether it is being aborted (`rekey --abort` began and has not ended).
    public let aborting: Bool
    /// The new key (a key file, or a new officers' quorum) and the files that hold it.
    public let newKey: VaultKeyDescription
    public let newKeyFiles: [String]
}

/// What `key status` reports: the vault's key state and where its custodian shares stand. It needs no key: every
/// part of it is public.
public struct VaultKeyStatus: Sendable, Encodable, Equatable {
    /// How many custodian shares (live and in history) one key version seals.
    public struct SharesUnder: Sendable, Encodable, Equatable {
        public let keyVersion: Int
        public let shares: Int
    }

    /// The current key version and its key.
    public let keyVersion: Int
    public let key: VaultKeyDescription
    /// Versions retired by rekeys (opening the vault with their keys is refused by name).
    public let retiredVersions: [Int]
    /// Versions of aborted rekeys: never used again.
    public let abandonedVersions: [Int]
    /// The rekey in progress, if one is.
    public let rekey: RekeyStatus?
    /// Custodian shares by the version that sealed them, in version order (a row from before key versions is
    /// counted under 1).
    public let sharesByKeyVersion: [SharesUnder]
    /// How many times the key state changed (rekeys begun, ended or aborted, re-shares).
    public let keyStateChanges: Int

    /// Shares sealed under another version than the current one: a rekey's work left (or an abort's).
    public var sharesNotUnderCurrentVersion: Int {
        sharesByKeyVersion.filter { $0.keyVersion != keyVersion }.reduce(0) { $0 + $1.shares }
    }
}

extension Vault {
    /// The vault's key state: its current version and key (file or officers' quorum), retired versions, a rekey in
    /// progress, and how many custodian shares each version seals. Reads only public rows; needs no key.
    public func keyStatus() async throws -> VaultKeyStatus {
        let meta = try await store.keyMeta()
        let counts = try await store.custodianSharesByKeyVersion()
        var rekey: RekeyStatus?
        if let version = meta.rekeyVersion {
            rekey = RekeyStatus(
                toVersion: version, startedAt: meta.rekeyStartedAt ?? "?", aborting: meta.rekeyAborted,
                newKey: try VaultKeyDescription(quorumRecord: meta.rekeyQuorum),
                newKeyFiles: meta.rekeyKeyFiles)
        }
        return VaultKeyStatus(
            keyVersion: meta.keyVersion, key: try VaultKeyDescription(quorumRecord: meta.keyQuorum),
            retiredVersions: meta.retiredKeyChecks.keys.sorted(), abandonedVersions: meta.abandonedVersions.sorted(),
            rekey: rekey,
            sharesByKeyVersion: counts.keys.sorted().map { .init(keyVersion: $0, shares: counts[$0]!) },
            keyStateChanges: meta.serial)
    }
}
