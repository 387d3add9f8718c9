import Foundation
import ShareMath
import Synchronization

/// The vault's key state as the store records it (`vaultMeta` rows, all public): which key version is current, a
/// rekey in progress, the audit keys of retired versions (sealed under the current key) and the check values of
/// retired keys.
package struct VaultKeyMeta: Sendable, Equatable {
    package var values: [String: String]

    package init(_ values: [String: String] = [:]) { self.values = values }

    /// The `vaultMeta` names this type reads.
    package static let names = [
        "keyCheck", "keyVersion", "keyQuorum", "rekeyVersion", "rekeyKeyCheck", "rekeyKeySealed", "rekeyQuorum",
        "rekeyStartedAt", "rekeyKeyFiles", "rekeyAborted", "auditKeyArchive", "retiredKeyChecks", "keyStateSerial",
        "abandonedKeyVersions",
    ]

    /// The current key's check value.
    package var keyCheck: String? { values["keyCheck"] }
    /// The current key version (a vault from before versions is at 1).
    package var keyVersion: Int { Self.version(values["keyVersion"]) }

    /// A key version as `vaultMeta` stores it: its decimal text, absent in a vault from before versions (1).
    package static func version(_ stored: String?) -> Int { stored.flatMap { Int($0) } ?? 1 }
    /// The officers' quorum record, when the current key is split among officers.
    package var keyQuorum: String? { values["keyQuorum"] }
    /// The version a rekey in progress moves the vault to.
    package var rekeyVersion: Int? { values["rekeyVersion"].flatMap { Int($0) } }
    package var rekeyKeyCheck: String? { values["rekeyKeyCheck"] }
    package var rekeyQuorum: String? { values["rekeyQuorum"] }
    package var rekeyStartedAt: String? { values["rekeyStartedAt"] }
    /// The files that hold the rekey's new key (its key file, or its officers' files), as absolute paths.
    package var rekeyKeyFiles: [String] {
        (values["rekeyKeyFiles"] ?? "").split(separator: "\n").map(String.init)
    }
    /// Whether the rekey in progress is being aborted: its key stays readable (shares sealed under it are moved
    /// back), but nothing new is sealed under it.
    package var rekeyAborted: Bool { rekeyVersion != nil && values["rekeyAborted"] != nil }
    /// The version new seals are made under: the rekey's while one runs, so that its work never grows; the
    /// current one while a rekey is aborted.
    package var sealingVersion: Int { rekeyAborted ? keyVersion : rekeyVersion ?? keyVersion }

    /// Whether a seal made under `version` may be stored now: the current version's, and the rekey's unless it is
    /// being aborted. (A share sealed under the current version during a rekey is moved by the rekey.)
    package func acceptsSeal(version: Int) -> Bool {
        version == keyVersion || (version == rekeyVersion && !rekeyAborted)
    }

    /// How many times the key state changed: each change sets it one higher (absent in a vault whose key state
    /// never changed), so a process can tell a state read before the one it holds from a newer one.
    package var serial: Int { values["keyStateSerial"].flatMap { Int($0) } ?? 0 }

    /// `values` as a change of this state sets them: with the serial one higher.
    package func changed(by values: [String: String?]) -> [String: String?] {
        values.merging(["keyStateSerial": String(serial + 1)]) { $1 }
    }

    /// The versions of aborted rekeys: never used again, so that a version names one key for good (a process, a
    /// row or a batch sealed under an abandoned key can never pass for the next rekey's).
    package var abandonedVersions: Set<Int> {
        Set((values["abandonedKeyVersions"] ?? "").split(separator: ",").compactMap { Int($0) })
    }

    /// `abandonedKeyVersions` with one more.
    package func abandonedVersions(adding version: Int) -> String {
        abandonedVersions.union([version]).sorted().map(String.init).joined(separator: ",")
    }

    /// The version the next rekey moves to: past the current one and every abandoned one.
    package var nextVersion: Int { max(keyVersion, abandonedVersions.max() ?? 0) + 1 }

    /// The check values of retired keys, by version.
    package var retiredKeyChecks: [Int: String] {
        var checks: [Int: String] = [:]
        for item in (values["retiredKeyChecks"] ?? "").split(separator: ",") {
            let parts = item.split(separator: ":")
            if parts.count == 2, let version = Int(parts[0]) { checks[version] = String(parts[1]) }
        }
        return checks
    }

    /// `retiredKeyChecks` with one more.
    package func retiredKeyChecks(adding version: Int, check: String) -> String {
        var checks = retiredKeyChecks
        checks[version] = check
        return checks.keys.sorted().map { "\($0):\(checks[$0]!)" }.joined(separator: ",")
    }
}

/// The vault keys a process holds, by version, with their audit keys: the current key, the key a rekey in
/// progress moves to (sealed under the current key in the vault, so that every process holding the current key
/// reads and writes both until the rekey ends), and the audit keys of retired versions (which the audit chain's
/// older events were sealed with).
///
/// A custodian share is sealed with associated data binding the key version, client and method (and the curve,
/// as the method's suffix); a row sealed before key versions existed (version nil) was sealed under version 1 with
/// the first format's associated data.
package final class VaultKeyring: Sendable {
    /// Where the key came from (a key file's path, or the officers' share files), for errors.
    package let label: String
    private let state: Mutex<State>
    /// When this keyring last saw that it holds the vault's sealing version: a reload, or a delivery stored (the
    /// store refuses one sealed under another version).
    private let lastConfirmed = Mutex(ContinuousClock.now)

    private struct State {
        var current: Int
        var pending: Int?
        /// The pending key is being abandoned (its rekey is aborted): read, never sealed under.
        var pendingAborted = false
        /// The key state's serial this state was made from.
        var serial = 0
        /// Vault keys by version: the current one and a pending one.
        var keys: [Int: SecureBytes]
        /// Audit keys by version: every version up to the current (and the pending one).
        var auditKeys: [Int: AuditKey]
        /// A reload found the vault at a key version this keyring cannot reach.
        var isStale = false

        /// The version new seals are made under.
        var sealing: Int { pendingAborted ? current : pending ?? current }
    }

    /// A new vault's keyring: `key` is version 1.
    package init(newVaultKey key: SecureBytes, label: String) {
        self.label = label
        state = Mutex(State(current: 1, pending: nil, keys: [1: key], auditKeys: [1: AuditKey(vaultKey: key)]))
    }

    /// Unlocks an existing vault's keyring with `key`, which must be the vault's current key: the new key of a
    /// rekey in progress, or a retired key, is refused by name.
    package init(unlocking key: SecureBytes, label: String, meta: VaultKeyMeta) throws {
        self.label = label
        let check = VaultKeyFile.checkValue(of: key)
        guard let current = meta.keyCheck else { throw VaultError.keyDoesNotMatchVault(path: label) }
        if !Self.same(check, current) {
            if let pending = meta.rekeyKeyCheck, Self.same(check, pending) {
                throw VaultError.keyOfRekeyInProgress(path: label)
            }
            if let version = meta.retiredKeyChecks.first(where: { Self.same(check, $0.value) })?.key {
                throw VaultError.keyRetired(path: label, version: version)
            }
            throw VaultError.keyDoesNotMatchVault(path: label)
        }
        state = Mutex(try Self.state(currentKey: key, meta: meta, label: label))
    }

    /// The state that the current key (version `meta.keyVersion`) reaches: the audit keys of every older version
    /// from the archive, and the pending key of a rekey in progress.
    private static func state(currentKey key: SecureBytes, meta: VaultKeyMeta, label: String) throws -> State {
        let version = meta.keyVersion
        var state = State(current: version, pending: nil, keys: [version: key], auditKeys: [:])
        state.serial = meta.serial
        state.auditKeys[version] = AuditKey(vaultKey: key)
        if let archive = meta.values["auditKeyArchive"] {
            guard let sealed = try? Hex.decode(archive),
                let opened = try? XChaCha20Poly1305.open(
                    sealed, key: key, associatedData: archiveAssociatedData(version: version)),
                opened.count == 32 * (version - 1)
            else { throw VaultError.keyStateDamaged(reason: "the archive of retired audit keys does not open") }
            for older in 1..<version where !meta.abandonedVersions.contains(older) {
                let auditKey = opened.withUnsafeBytes {
                    SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[(older - 1) * 32..<older * 32]))
                }
                state.auditKeys[older] = AuditKey(derivedKey: auditKey)
            }
        } else if version > 1 {
            throw VaultError.keyStateDamaged(reason: "the archive of retired audit keys is missing")
        }
        if let pending = meta.rekeyVersion {
            guard pending == meta.nextVersion, let text = meta.values["rekeyKeySealed"],
                let sealed = try? Hex.decode(text),
                let next = try? XChaCha20Poly1305.open(
                    sealed, key: key, associatedData: pendingAssociatedData(version: pending)),
                next.count == 32, let expected = meta.rekeyKeyCheck,
                same(VaultKeyFile.checkValue(of: next), expected)
            else { throw VaultError.keyStateDamaged(reason: "the new key of the rekey in progress does not open") }
            state.pending = pending
            state.pendingAborted = meta.rekeyAborted
            state.keys[pending] = next
            state.auditKeys[pending] = AuditKey(vaultKey: next)
        }
        return state
    }

    /// Takes the vault's key state as it now is (another process began or ended a rekey): a rekey begun is
    /// joined, a rekey ended moves this keyring to the new version. Throws `keyringStale` when this keyring
    /// holds no key for the vault's current version (the vault was rekeyed while this process was not looking).
    package func reload(_ meta: VaultKeyMeta) throws {
        try state.withLock { state in
            // A state read before one this keyring already took (two reloads crossing as a rekey ends or is
            // aborted) is older than what it holds: every change raises the serial.
            if meta.serial < state.serial || meta.keyVersion < state.current { return }
            guard let key = state.keys[meta.keyVersion], let check = meta.keyCheck,
                Self.same(VaultKeyFile.checkValue(of: key), check)
            else {
                state.isStale = true
                throw VaultError.keyringStale(path: label)
            }
            let audit = state.auditKeys.filter { $0.key < meta.keyVersion }
            state = try Self.state(currentKey: key, meta: meta, label: label)
            // Audit keys of older versions this process already held stay (the archive holds the same ones); an
            // aborted rekey's goes with its key.
            state.auditKeys.merge(audit) { new, _ in new }
        }
        confirmed()
    }

    /// Records that this keyring holds the vault's sealing version now.
    package func confirmed() { lastConfirmed.withLock { $0 = .now } }

    /// How long since this keyring last saw that it holds the vault's sealing version.
    package var sinceConfirmed: Duration { .now - lastConfirmed.withLock { $0 } }

    /// Whether the vault was found rekeyed to a key this keyring cannot reach (the process needs restarting with
    /// the new key).
    package var isStale: Bool { state.withLock { $0.isStale } }

    /// The current version.
    package var currentVersion: Int { state.withLock { $0.current } }
    /// The current key's check value.
    package var currentCheckValue: String { state.withLock { VaultKeyFile.checkValue(of: $0.keys[$0.current]!) } }

    /// The vault key of `version`, when this keyring holds it.
    package func key(version: Int) -> SecureBytes? { state.withLock { $0.keys[version] } }

    /// The audit key of `version`; `keyringStale` when this keyring holds none for it.
    package func auditKey(version: Int) throws(VaultError) -> AuditKey {
        guard let key = state.withLock({ $0.auditKeys[version] }) else { throw .keyringStale(path: label) }
        return key
    }

    /// Every audit key this keyring holds, by version (for checking an exported head of any version).
    package var auditKeys: [Int: AuditKey] { state.withLock { $0.auditKeys } }

    /// Seals a custodian share under the sealing version; returns the seal and its version.
    package func sealCustodianShare(_ text: SecureBytes, clientId: String, method: BackupMethod) -> (
        sealed: [UInt8], version: Int, key: SecureBytes
    ) {
        let (version, key) = state.withLock { state in (state.sealing, state.keys[state.sealing]!) }
        let sealed = XChaCha20Poly1305.seal(
            text, key: key,
            associatedData: Self.custodianAssociatedData(version: version, clientId: clientId, method: method))
        return (sealed, version, key)
    }

    /// Opens a custodian share sealed under `version` (nil: before key versions, version 1's first format).
    package func openCustodianShare(
        _ sealed: [UInt8], version: Int?, clientId: String, method: BackupMethod
    ) throws(SealingError) -> SecureBytes {
        guard let key = key(version: version ?? 1) else { throw .authenticationFailed }
        return try XChaCha20Poly1305.open(
            sealed, key: key,
            associatedData: Self.custodianAssociatedData(version: version, clientId: clientId, method: method))
    }

    /// The keys a share's content digest may have been made under, the sealing version's first: a share the
    /// vault holds is found whichever version last sealed its row.
    package var digestKeys: [SecureBytes] {
        state.withLock { state in
            let first = state.sealing
            return [state.keys[first]!] + state.keys.filter { $0.key != first }.sorted { $0.key > $1.key }.map(\.value)
        }
    }

    /// Binds a sealed custodian share to its key version, client and method (the method with its curve). Version
    /// nil is the first format's, which bound no version (rows written before key versions, all under version 1).
    package static func custodianAssociatedData(version: Int?, clientId: String, method: BackupMethod) -> [UInt8] {
        guard let version else { return Array("sharevault custodian share v1\u{0}\(clientId)\u{0}\(method)".utf8) }
        return Array("sharevault custodian share v2\u{0}\(version)\u{0}\(clientId)\u{0}\(method)".utf8)
    }

    /// The associated data of the rekey's new key, sealed under the current key.
    package static func pendingAssociatedData(version: Int) -> [UInt8] {
        Array("sharevault pending vault key v1\u{0}\(version)".utf8)
    }

    /// The associated data of the archive of retired audit keys, sealed under the key of `version`.
    package static func archiveAssociatedData(version: Int) -> [UInt8] {
        Array("sharevault audit key archive v1\u{0}\(version)".utf8)
    }

    /// The archive of every audit key before `version`, sealed under `key` (that version's vault key). An abandoned
    /// version's place holds random bytes: no event was ever sealed with its audit key, and none can be.
    package func sealedAuditArchive(through version: Int, under key: SecureBytes, abandoned: Set<Int>) throws
        -> String
    {
        let keys = try (1..<version).map {
            abandoned.contains($0) ? AuditKey(derivedKey: SecureBytes.random(count: 32)) : try auditKey(version: $0)
        }
        let plaintext = SecureBytes.filled(count: 32 * keys.count) { out in
            for (index, auditKey) in keys.enumerated() {
                auditKey.withSecret { secret in
                    UnsafeMutableRawBufferPointer(rebasing: out[index * 32..<(index + 1) * 32]).copyMemory(
                        from: secret)
                }
            }
        }
        return Hex.encode(
            XChaCha20Poly1305.seal(plaintext, key: key, associatedData: Self.archiveAssociatedData(version: version)))
    }

    /// Check values compared in constant time.
    static func same(_ lhs: String, _ rhs: String) -> Bool {
        AuditKey.matches(Array(lhs.utf8), Array(rhs.utf8))
    }
}
