import ShareMath

/// The audit events the operations write, composed here from what each did: the kind, the client and the public
/// detail (never a secret). The store chains, seals and appends them in the operation's transaction.
extension AuditEntry {
    /// A new vault's first event.
    package static func initialized(_ detail: [String: String]) -> AuditEntry {
        AuditEntry(kind: .initialized, clientId: nil, detail: detail.merging(["formatVersion": "1"]) { $1 })
    }

    /// A rekey began: the new key's version and where it is (a key file's path, or the officers' quorum).
    static func rekeyStarted(fromVersion: Int, toVersion: Int, newKey: [String: String]) -> AuditEntry {
        AuditEntry(
            kind: .rekeyStarted, clientId: nil,
            detail: newKey.merging(["fromVersion": String(fromVersion), "keyVersion": String(toVersion)]) { $1 })
    }

    /// A rekey ended: `keyVersion` is current from this event on (which its audit key seals).
    static func rekeyFinished(fromVersion: Int, toVersion: Int, resealed: Int) -> AuditEntry {
        AuditEntry(
            kind: .rekeyFinished, clientId: nil,
            detail: [
                "fromVersion": String(fromVersion), "keyVersion": String(toVersion),
                "resealedByLastRun": String(resealed),
            ])
    }

    /// An abort of the rekey to `abandonedVersion` began: shares are sealed under `keyVersion` again.
    static func rekeyAbortStarted(keyVersion: Int, abandonedVersion: Int) -> AuditEntry {
        AuditEntry(
            kind: .rekeyAbortStarted, clientId: nil,
            detail: ["keyVersion": String(keyVersion), "abandonedVersion": String(abandonedVersion)])
    }

    /// The rekey to `abandonedVersion` was aborted: every share is sealed under `keyVersion`, the rekey's key gone.
    static func rekeyAborted(keyVersion: Int, abandonedVersion: Int, resealed: Int) -> AuditEntry {
        AuditEntry(
            kind: .rekeyAborted, clientId: nil,
            detail: [
                "keyVersion": String(keyVersion), "abandonedVersion": String(abandonedVersion),
                "resealedByLastRun": String(resealed),
            ])
    }

    /// Officers' key shares checked: each officer and whether their share passed, and the unlock check.
    static func keySharesVerified(_ result: KeyShareVerification) -> AuditEntry {
        // Officers by name (one word each); a file that could not be read at all by its place in the command.
        let names = result.shares.enumerated().map { index, share in share.officer ?? "unreadable-file-\(index + 1)" }
        var detail = [
            "quorum": result.quorum, "quorumFingerprint": result.fingerprint,
            "passed": zip(result.shares, names).filter { $0.0.passed }.map(\.1).joined(separator: ","),
            "failed": zip(result.shares, names).filter { !$0.0.passed }.map(\.1).joined(separator: ","),
        ]
        if let unlock = result.unlockPassed { detail["unlock"] = unlock ? "passed" : "failed" }
        return AuditEntry(kind: .keySharesVerified, clientId: nil, detail: detail)
    }

    /// The officers were given new shares of the same key.
    static func keyReshared(_ report: KeyReshareReport, officers: [String], from fingerprint: String) -> AuditEntry {
        AuditEntry(
            kind: .keyReshared, clientId: nil,
            detail: [
                "fromQuorum": report.fromQuorum, "fromFingerprint": fingerprint, "keyQuorum": report.toQuorum,
                "quorumFingerprint": report.fingerprint, "officers": officers.joined(separator: ","),
            ])
    }

    /// A pair `create` made.
    static func created(_ pair: CreatedPair) -> AuditEntry {
        var detail = [
            "curve": pair.curve.rawValue, "method": pair.method.name, "pairId": String(pair.pairId),
            "publicKey": Hex.encode(pair.publicKey), "status": pair.status.rawValue,
        ]
        if let replaced = pair.replaced { detail["replacedPairId"] = String(replaced) }
        return AuditEntry(kind: .create, clientId: pair.clientId, detail: detail)
    }

    /// A custodian share stored as the live pair (`ingest-custodian`), or replacing one (`replace`).
    static func custodianShareStored(
        clientId: String, curve: CurveID, method: BackupMethod, layout: ShareLayout, publicKey: [UInt8],
        pairId: Int64, replaced: Int64?
    ) -> AuditEntry {
        var detail = [
            "curve": curve.rawValue, "method": method.name, "pairId": String(pairId), "layout": layout.rawValue,
            "publicKey": Hex.encode(publicKey),
        ]
        if let replaced { detail["replacedPairId"] = String(replaced) }
        return AuditEntry(kind: replaced == nil ? .ingestCustodian : .replace, clientId: clientId, detail: detail)
    }

    /// A client ciphertext stored for a method (its length, never its text).
    static func clientCiphertextStored(
        clientId: String, method: BackupMethod, length: Int, _ stored: StoredCiphertext
    ) -> AuditEntry {
        var detail = pairsDetail(method: method, stored.pairs)
        detail["ciphertextId"] = String(stored.ciphertextId)
        detail["length"] = String(length)
        if !stored.replacedCiphertextIds.isEmpty {
            detail["replacedCiphertextIds"] = stored.replacedCiphertextIds.map(String.init).joined(separator: ",")
        }
        return AuditEntry(kind: .ingestClient, clientId: clientId, detail: detail)
    }

    /// The app's confirmation that the client backup is stored.
    static func confirmed(clientId: String, method: BackupMethod, _ pairs: [PairOnCurve]) -> AuditEntry {
        AuditEntry(kind: .confirm, clientId: clientId, detail: pairsDetail(method: method, pairs))
    }

    /// One drill's outcome.
    static func drilled(_ drill: DrillOutcome) -> AuditEntry {
        AuditEntry(
            kind: .drill, clientId: drill.clientId,
            detail: [
                "curve": drill.curve.rawValue, "method": drill.method.name, "pairId": String(drill.pairId),
                "outcome": drill.outcome.description, "milliseconds": String(drill.milliseconds),
            ])
    }

    /// A recovery committed: the wallet's new signing generation, the older ones revoked.
    static func recovered(_ pair: StoredPair, generation: Int) -> AuditEntry {
        AuditEntry(
            kind: .recover, clientId: pair.identity.clientId,
            detail: [
                "curve": pair.identity.curve.rawValue, "method": pair.identity.method.name,
                "pairId": String(pair.identity.pairId), "generation": String(generation),
                "revokedThrough": String(generation - 1), "publicKey": Hex.encode(pair.publicKey),
            ])
    }

    /// The method and the pairs it touched, in curve order.
    private static func pairsDetail(method: BackupMethod, _ pairs: [PairOnCurve]) -> [String: String] {
        [
            "method": method.name, "curves": pairs.map(\.curve.rawValue).joined(separator: ","),
            "pairIds": pairs.map { String($0.id) }.joined(separator: ","),
        ]
    }
}
