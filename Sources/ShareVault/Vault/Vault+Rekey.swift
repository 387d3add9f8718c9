import Foundation
import ShareMath

/// What a rekey did.
public struct RekeyReport: Sendable, Encodable {
    /// The key version the vault was at, and the one it is at now.
    public let fromVersion: Int
    public let toVersion: Int
    /// Whether this run took up a rekey an earlier one had begun (and was stopped).
    public let resumed: Bool
    /// Custodian shares (live and in history) this run sealed anew.
    public let resealed: Int
    /// Wall-clock seconds this run took.
    public let seconds: Double
}

/// What aborting a rekey did.
public struct RekeyAbortReport: Sendable, Encodable {
    /// The version the vault stays at, and the one the aborted rekey was moving it to.
    public let keyVersion: Int
    public let abandonedVersion: Int
    /// Whether this run took up an abort an earlier one had begun (and was stopped).
    public let resumed: Bool
    /// Custodian shares this run moved back under the vault's key.
    public let resealed: Int
    /// The aborted rekey's key files this run removed (the vault holds that key while shares are left under it).
    public let removedFiles: [String]
    /// Files at the aborted rekey's key file paths not shown to be its key's (wrapped, replaced or unreadable): kept.
    public let keptFiles: [String]
    /// Wall-clock seconds this run took.
    public let seconds: Double
}

extension Vault {
    /// How many custodian shares a rekey reseals per transaction: big enough that commits are few, small enough
    /// that the intake, which shares the write lock, waits at most one batch.
    public static let rekeyBatchSize = 500

    /// Moves every custodian share, live and in history, to a new vault key, then retires the current one.
    ///
    /// With `newKey`, begins a rekey: the new key is made (a key file, or officers' share files) and recorded,
    /// sealed under the current key, with a `rekey-started` event. Every process holding the current key then
    /// reads both versions and seals new shares under the new one, so the intake keeps running. Without
    /// `newKey`, takes up the rekey in progress (one that was stopped). Shares are resealed in bounded batches,
    /// each a transaction that replaces a row only if it is still as it was read, so a rekey stopped at any point
    /// is resumed where it stood. Once none is left under an older version (checked in the same transaction),
    /// the new key becomes current, the old one is retired, the audit keys of older versions are archived under
    /// the new key, and a `rekey-finished` event, the first sealed with the new version's audit key, is written.
    ///
    /// `settle` holds the end until that long after the rekey began, so that every running intake (which takes
    /// the vault's key state every few seconds) holds the new key before the old one is retired.
    public func rekey(
        to newKey: NewVaultKey?, batchSize: Int = Vault.rekeyBatchSize, settle: Duration = .zero,
        progress: ProgressHandler? = nil
    ) async throws -> RekeyReport {
        let clock = ContinuousClock()
        let started = clock.now
        guard var meta = try await refreshKeys() else {
            preconditionFailure("a rekey needs the vault opened with its key")
        }
        let fromVersion = meta.keyVersion
        let resumed = meta.rekeyVersion != nil
        if let pending = meta.rekeyVersion {
            if meta.rekeyAborted { throw VaultError.rekeyBeingAborted(version: pending) }
            guard newKey == nil else {
                throw VaultError.rekeyInProgress(version: pending, startedAt: meta.rekeyStartedAt ?? "?")
            }
        } else {
            guard let newKey else { throw VaultError.noRekeyInProgress }
            try await beginRekey(to: newKey, meta: meta)
            meta = try await refreshKeys() ?? meta
        }
        guard let target = meta.rekeyVersion else { throw VaultError.keyStateChanged }
        let startedAt = meta.rekeyStartedAt.flatMap(VaultClock.parse) ?? Date()
        let resealed = try await resealAndEnd(
            to: target, batchSize: batchSize, progress: progress,
            check: { meta in
                // Another process aborted this rekey: its abort moves the shares back, so this run stops.
                if meta.rekeyAborted { throw VaultError.rekeyBeingAborted(version: target) }
                guard meta.rekeyVersion == target else { throw VaultError.keyStateChanged }
            },
            end: { resealed in
                let wait = startedAt.addingTimeInterval(settle / .seconds(1)).timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                try await self.finishRekey(to: target, resealed: resealed)
            })
        try await refreshKeys()
        progress?(.done, resealed, resealed)
        logger.info(
            "rekey finished", metadata: ["fromVersion": "\(fromVersion)", "toVersion": "\(target)"])
        return RekeyReport(
            fromVersion: fromVersion, toVersion: target, resumed: resumed, resealed: resealed,
            seconds: (clock.now - started) / .seconds(1))
    }

    /// Makes the new key and records it, sealed under the current one, with a `rekey-started` event; the new
    /// key's files go again if the vault cannot record it.
    private func beginRekey(to newKey: NewVaultKey, meta: VaultKeyMeta) async throws {
        let made = try newKey.make()
        do {
            let target = meta.nextVersion
            guard let current = keys.key(version: meta.keyVersion) else {
                throw VaultError.keyringStale(path: keys.label)
            }
            let sealed = XChaCha20Poly1305.seal(
                made.key, key: current, associatedData: VaultKeyring.pendingAssociatedData(version: target))
            let at = Date()
            var values: [String: String?] = [
                "rekeyVersion": String(target), "rekeyKeyCheck": VaultKeyFile.checkValue(of: made.key),
                "rekeyKeySealed": Hex.encode(sealed), "rekeyStartedAt": VaultClock.format(at),
            ]
            values["rekeyQuorum"] = made.quorumRecord
            values["rekeyKeyFiles"] = made.files.joined(separator: "\n")
            try await store.changeKeyState(
                meta.changed(by: values), expected: meta, requireAllSealedUnder: nil,
                event: .rekeyStarted(fromVersion: meta.keyVersion, toVersion: target, newKey: made.auditDetail),
                at: at)
        } catch {
            // The files go only if the vault did not record the rekey (a commit whose answer was lost did).
            let recorded = try? await store.keyMeta().rekeyKeyCheck
            if recorded != VaultKeyFile.checkValue(of: made.key) { made.remove() }
            throw error
        }
    }

    /// Reseals every share to `target` (`resealAll`), then runs `end`, which throws `rekeyIncomplete` when shares
    /// were written under another version meanwhile (an intake or a `create` batch that had yet to take the key
    /// state): those are resealed too, and `end` runs again. Returns how many this run resealed.
    private func resealAndEnd(
        to target: Int, batchSize: Int, progress: ProgressHandler?, check: (VaultKeyMeta) throws -> Void,
        end: (_ resealed: Int) async throws -> Void
    ) async throws -> Int {
        var resealed = 0
        while true {
            resealed += try await resealAll(
                to: target, batchSize: batchSize, done: resealed, progress: progress, check: check)
            do {
                try await end(resealed)
                return resealed
            } catch VaultError.rekeyIncomplete {
                continue
            }
        }
    }

    /// Reseals every share sealed under another version than `target`, batch by batch, taking the vault's key state
    /// before each batch and handing it to `check`, which throws to stop (a rekey another process aborted);
    /// returns how many it resealed.
    private func resealAll(
        to target: Int, batchSize: Int, done: Int, progress: ProgressHandler?,
        check: (VaultKeyMeta) throws -> Void
    ) async throws -> Int {
        // The target key once for the run, not once a share.
        guard let newKey = keys.key(version: target) else { throw VaultError.keyringStale(path: keys.label) }
        let total = done + (try await store.countCustodianSharesSealed(otherThan: target))
        var after: Int64 = 0
        var resealed = 0
        while true {
            guard let meta = try await refreshKeys() else { throw VaultError.keyStateChanged }
            try check(meta)
            let batch = try await store.custodianSharesSealed(otherThan: target, after: after, limit: batchSize)
            guard let last = batch.last else { break }
            let reseals = try await batch.concurrentMap(parallelism: ProcessInfo.processInfo.activeProcessorCount) {
                share in try self.reseal(share, to: target, under: newKey)
            }
            do {
                // The batch lands only under the key state it was checked against: a rekey aborted (or an abort
                // overtaken) meanwhile by another process refuses it.
                resealed += try await store.resealCustodianShares(reseals, keyStateSerial: meta.serial)
            } catch VaultError.keyStateChanged {
                if let now = try await refreshKeys() { try check(now) }
                throw VaultError.keyStateChanged
            }
            after = last.pairId
            progress?(.encryptingShare, done + resealed, total)
        }
        return resealed
    }

    /// One share opened under the version that sealed it and sealed under `target` (whose key is `newKey`), its
    /// digest made anew.
    private func reseal(_ share: SealedCustodianShare, to target: Int, under newKey: SecureBytes) throws
        -> CustodianReseal
    {
        let method = share.method.on(share.curve)
        guard
            let text = try? keys.openCustodianShare(
                share.sealedShare, version: share.keyVersion, clientId: share.clientId, method: method)
        else { throw VaultError.shareDoesNotOpen(pairId: share.pairId, version: share.keyVersion ?? 1) }
        let digest: [UInt8]
        switch share.curve {
        case .secp256k1:
            digest = try Self.contentDigest(of: text, share, on: Secp256k1.self, key: newKey)
        case .ed25519: digest = try Self.contentDigest(of: text, share, on: Ed25519.self, key: newKey)
        }
        let sealed = XChaCha20Poly1305.seal(
            text, key: newKey,
            associatedData: VaultKeyring.custodianAssociatedData(
                version: target, clientId: share.clientId, method: method))
        return CustodianReseal(
            pairId: share.pairId, previousVersion: share.keyVersion, keyVersion: target, sealedShare: sealed,
            shareDigest: digest)
    }

    /// The share's content digest under `key`: its scalar and identifier read from the opened text, the key as the
    /// wallet stores it (the intake refused any share stating another), so no point is decoded.
    private static func contentDigest<C: Curve>(
        of text: SecureBytes, _ share: SealedCustodianShare, on curve: C.Type, key: SecureBytes
    ) throws -> [UInt8] {
        guard let reading = try? ShareParser.read(text, as: C.self) else {
            throw VaultError.shareDoesNotOpen(pairId: share.pairId, version: nil)
        }
        return contentDigest(reading.share, publicKey: share.publicKey, key: key)
    }

    /// The old key is retired only while the new one is still where it was written: a rekey taken up after its
    /// key file, or its officers' files, were lost would otherwise leave nothing that opens the vault. A key file
    /// must be there (and, when not wrapped, hold the new key); of the officers' files, at least the threshold
    /// must still be shares of the new dealing (their public lines, which need no passphrase, name its
    /// fingerprint), each a different officer's.
    private static func requireNewKeyFiles(_ meta: VaultKeyMeta, newCheck: String) throws {
        let files = meta.rekeyKeyFiles
        if let stored = meta.rekeyQuorum {
            let quorum = try KeyQuorum(stored: stored)
            var sound: [String: Int] = [:]
            for path in files {
                sound[path] = Self.wholeShareFileIdentifier(path, of: quorum)
            }
            guard Set(sound.values).count >= quorum.threshold else {
                throw VaultError.newKeyFileGone(path: files.filter { sound[$0] == nil }.joined(separator: ", "))
            }
        } else if let file = files.first {
            // The file must hold the new key in the clear, or be a whole wrapped key file (which asks for its
            // passphrase only once it parsed); an emptied, cut, unreadable or replaced file does not do.
            do {
                let key = try VaultKeyFile.load(at: file, passphrase: { nil })
                guard VaultKeyring.same(VaultKeyFile.checkValue(of: key), newCheck) else {
                    throw VaultError.newKeyFileGone(path: file)
                }
            } catch VaultError.passphraseRequired {
                return
            } catch {
                throw VaultError.newKeyFileGone(path: file)
            }
        }
    }

    /// The officer's identifier when the file at `path` is a whole share file of `quorum`'s dealing, as far as can
    /// be told without its officer: its public lines name the dealing, and the rest reads up to the secret that
    /// unwraps it (a share in the clear is read and checked against the commitments); nil when it is not.
    private static func wholeShareFileIdentifier(_ path: String, of quorum: KeyQuorum) -> Int? {
        guard let header = try? OfficerShareFile.header(at: path), header.fingerprint == quorum.fingerprint else {
            return nil
        }
        do {
            try quorum.check(try OfficerShareFile.read(at: path, passphrase: { nil }, secretKey: { nil }))
            return header.identifier
        } catch VaultError.keySharePassphraseRequired, VaultError.keyShareSecretKeyRequired {
            return header.identifier
        } catch {
            return nil
        }
    }

    /// Makes the rekey's key current, when no share is left under an older version.
    private func finishRekey(to target: Int, resealed: Int) async throws {
        let meta = try await store.keyMeta()
        if meta.rekeyAborted { throw VaultError.rekeyBeingAborted(version: target) }
        guard meta.rekeyVersion == target, let newCheck = meta.rekeyKeyCheck, let oldCheck = meta.keyCheck,
            let newKey = keys.key(version: target)
        else { throw VaultError.keyStateChanged }
        try Self.requireNewKeyFiles(meta, newCheck: newCheck)
        let values: [String: String?] = [
            "keyCheck": newCheck, "keyVersion": String(target), "keyQuorum": meta.rekeyQuorum,
            "auditKeyArchive": try keys.sealedAuditArchive(
                through: target, under: newKey, abandoned: meta.abandonedVersions),
            "retiredKeyChecks": meta.retiredKeyChecks(adding: meta.keyVersion, check: oldCheck),
        ].merging(Self.rekeyCleared) { $1 }
        try await store.changeKeyState(
            meta.changed(by: values), expected: meta, requireAllSealedUnder: target,
            event: .rekeyFinished(fromVersion: meta.keyVersion, toVersion: target, resealed: resealed), at: Date())
    }

    /// The rows of a rekey in progress, removed when it ends or is aborted.
    private static let rekeyCleared: [String: String?] = [
        "rekeyVersion": nil, "rekeyKeyCheck": nil, "rekeyKeySealed": nil, "rekeyQuorum": nil, "rekeyStartedAt": nil,
        "rekeyKeyFiles": nil, "rekeyAborted": nil,
    ]

    /// Abandons the rekey in progress: the vault stays at its current key, and the rekey's new key goes.
    ///
    /// First the rekey is marked aborted (a `rekey-abort-started` event): from then on every process seals under
    /// the current key again (the store refuses a share sealed under the abandoned one, and the intake seals it
    /// anew) while still reading the abandoned key. Shares already sealed under it are moved back in batches, each a
    /// transaction, so an abort stopped at any point is taken up by running it again. Once every share is sealed
    /// under the current key (checked in the same transaction), the rekey's rows go with a `rekey-aborted` event,
    /// and its version is never used again (the next rekey moves past it), so that a process, a `create` batch or a
    /// rekey batch still working with the abandoned key can never pass for the next rekey's. No wait is needed: the
    /// store never takes a share sealed under the abandoned key once the abort began, and refuses a rekey batch
    /// made for another key state.
    ///
    /// The new key's files go as soon as the abort began (and again when it is taken up): the vault holds the
    /// abandoned key, sealed under the current one, for as long as shares are left under it. Only files shown to be
    /// the abandoned key's are removed (a key file in the clear whose key is it; officers' files naming its
    /// dealing); anything else at those paths (a wrapped key file, which cannot be read without its passphrase, or
    /// a file replaced since) is kept and reported.
    ///
    /// A rekey held up by a share that does not open under the old key can always be aborted: that share was never
    /// moved, so the abort does not touch it.
    public func abortRekey(batchSize: Int = Vault.rekeyBatchSize, progress: ProgressHandler? = nil) async throws
        -> RekeyAbortReport
    {
        let clock = ContinuousClock()
        let started = clock.now
        guard var meta = try await refreshKeys() else {
            preconditionFailure("aborting a rekey needs the vault opened with its key")
        }
        guard let abandoned = meta.rekeyVersion else { throw VaultError.noRekeyToAbort }
        let abandonedCheck = meta.rekeyKeyCheck
        let resumed = meta.rekeyAborted
        if !resumed {
            try await store.changeKeyState(
                meta.changed(by: ["rekeyAborted": "1"]), expected: meta, requireAllSealedUnder: nil,
                event: .rekeyAbortStarted(keyVersion: meta.keyVersion, abandonedVersion: abandoned), at: Date())
            meta = try await refreshKeys() ?? meta
            // Still this abort's rekey (another process could have ended the abort and begun a rekey meanwhile,
            // whose files must not go).
            guard meta.rekeyVersion == abandoned, meta.rekeyAborted, meta.rekeyKeyCheck == abandonedCheck else {
                throw VaultError.keyStateChanged
            }
        }
        let current = meta.keyVersion
        let (removed, kept) = Self.removeAbandonedKeyFiles(meta)
        let resealed = try await resealAndEnd(
            to: current, batchSize: batchSize, progress: progress,
            check: { meta in
                guard meta.rekeyVersion == abandoned, meta.rekeyAborted else { throw VaultError.keyStateChanged }
            },
            end: { resealed in
                let now = try await self.store.keyMeta()
                guard now.rekeyVersion == abandoned, now.rekeyAborted else { throw VaultError.keyStateChanged }
                var values = Self.rekeyCleared
                values["abandonedKeyVersions"] = now.abandonedVersions(adding: abandoned)
                try await self.store.changeKeyState(
                    now.changed(by: values), expected: now, requireAllSealedUnder: current,
                    event: .rekeyAborted(keyVersion: current, abandonedVersion: abandoned, resealed: resealed),
                    at: Date())
            })
        try await refreshKeys()
        progress?(.done, resealed, resealed)
        logger.info(
            "rekey aborted", metadata: ["keyVersion": "\(current)", "abandonedVersion": "\(abandoned)"])
        return RekeyAbortReport(
            keyVersion: current, abandonedVersion: abandoned, resumed: resumed, resealed: resealed,
            removedFiles: removed, keptFiles: kept, seconds: (clock.now - started) / .seconds(1))
    }

    /// Removes the aborted rekey's key files shown to be its key's; returns those removed and those kept.
    private static func removeAbandonedKeyFiles(_ meta: VaultKeyMeta) -> (removed: [String], kept: [String]) {
        let files = meta.rekeyKeyFiles
        var removed: [String] = []
        var kept: [String] = []
        let fingerprint = meta.rekeyQuorum.flatMap { try? KeyQuorum(stored: $0).fingerprint }
        for path in files where FileManager.default.fileExists(atPath: path) {
            let isAbandonedKey: Bool
            if let fingerprint {
                isAbandonedKey = (try? OfficerShareFile.header(at: path).fingerprint) == fingerprint
            } else if let key = try? VaultKeyFile.load(at: path, passphrase: { nil }), let check = meta.rekeyKeyCheck {
                isAbandonedKey = VaultKeyring.same(VaultKeyFile.checkValue(of: key), check)
            } else {
                // Wrapped (its key cannot be read without the passphrase), replaced or unreadable: a file not shown
                // to hold the abandoned key is never removed.
                isAbandonedKey = false
            }
            if isAbandonedKey, unlink(path) == 0 { removed.append(path) } else { kept.append(path) }
        }
        return (removed, kept)
    }
}
