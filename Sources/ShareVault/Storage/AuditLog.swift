import Foundation
import GRDB
import ShareMath

/// One event of the append-only, hash-chained audit log.
/// What an audit event records. Stored as its raw value; a chain read back may hold a kind this build does not
/// know (an edited row), so `AuditEvent.kind` stays the stored text and `knownKind` reads it.
public enum AuditKind: String, Sendable, Codable, CaseIterable {
    /// The vault was made.
    case initialized = "init"
    case create
    case ingestCustodian = "ingest-custodian"
    /// A custodian share replaced the live pair's.
    case replace
    case ingestClient = "ingest-client"
    case confirm
    case verify
    case drill
    case recover
    case eject
    /// An older vault's chain was sealed with the vault key.
    case auditKeyed = "audit-keyed"
    /// A rekey began: shares are sealed under the new key version from then on.
    case rekeyStarted = "rekey-started"
    /// A rekey ended: every share is sealed under the new version, the old key is retired, and this event is the
    /// first sealed with the new version's audit key.
    case rekeyFinished = "rekey-finished"
    /// An abort of the rekey in progress began: shares are sealed under the current key again.
    case rekeyAbortStarted = "rekey-abort-started"
    /// The rekey in progress was aborted: every share is sealed under the current key, and the rekey's key is gone.
    case rekeyAborted = "rekey-aborted"
    /// Officers' key shares were each checked against the quorum's commitments (and, with a quorum, unlocked).
    case keySharesVerified = "key-shares-verified"
    /// The officers' shares were re-shared: new shares of the same key, the old ones no longer accepted.
    case keyReshared = "key-reshared"
}

public struct AuditEvent: Sendable, Equatable {
    public let id: Int64
    public let at: String
    /// The kind as stored (see `knownKind`).
    public let kind: String
    public let clientId: String?
    /// Public detail as a JSON object with sorted keys (never a secret).
    public let detail: String
    public let previousHash: [UInt8]
    public let hash: [UInt8]
    /// The MAC over `hash` under the audit key; nil for an event written by a command run without the vault key
    /// (or before the chain was keyed), which a later sealed event covers.
    public let mac: [UInt8]?

    /// The stored kind, when this build knows it.
    public var knownKind: AuditKind? { AuditKind(rawValue: kind) }

    /// `BLAKE2b(previous hash, id, time, kind, client, detail)`.
    static func link(previous: [UInt8], id: Int64, at: String, kind: String, clientId: String?, detail: String)
        -> [UInt8]
    {
        Blake2b.hash([
            previous, Array(String(id).utf8), Array(at.utf8), Array(kind.utf8), Array((clientId ?? "").utf8),
            Array(detail.utf8),
        ])
    }
}

/// What `audit --verify` (and the public level of `verify`) found.
public struct AuditVerification: Sendable, Equatable {
    public let events: Int
    /// The first event whose link does not hold, and why; nil when the chain is whole.
    public let firstBadEvent: (id: Int64, reason: String)?
    /// Whether the events' MACs were checked (the vault was opened with its key); without it only the chain's
    /// structure is checked, which anyone with write access to the database can forge.
    public let macsChecked: Bool
    /// How many events come after the last one sealed with the vault key: written by commands run without it
    /// (`ingest client`, `confirm`, a public `verify`). The next command run with the key seals them; until then
    /// someone with write access to the database could rewrite them, which only an exported head catches.
    public let unsealedTail: Int
    /// How many events came before the chain was keyed (a vault upgraded from an unkeyed chain): their links
    /// hold, but no MAC was made when they were written, so nothing proves they were not rewritten before.
    public let unauthenticatedPrefix: Int
    /// The hash of the chain through its last event (for an exported head).
    public let headHash: [UInt8]
    /// The key version whose audit key seals the chain's last events (the one an exported head is sealed with).
    public let keyVersion: Int

    public var isIntact: Bool { firstBadEvent == nil }

    public static func == (lhs: AuditVerification, rhs: AuditVerification) -> Bool {
        lhs.events == rhs.events && lhs.firstBadEvent?.id == rhs.firstBadEvent?.id
            && lhs.firstBadEvent?.reason == rhs.firstBadEvent?.reason && lhs.macsChecked == rhs.macsChecked
            && lhs.unsealedTail == rhs.unsealedTail && lhs.unauthenticatedPrefix == rhs.unauthenticatedPrefix
            && lhs.headHash == rhs.headHash && lhs.keyVersion == rhs.keyVersion
    }
}

/// One audit event as an operation composes it (its kind, client and public detail); the store chains it to the
/// last event, seals it and appends it inside the operation's transaction.
package struct AuditEntry: Sendable, Equatable {
    package let kind: AuditKind
    package let clientId: String?
    /// Public detail only: never a secret.
    package let detail: [String: String]

    package init(kind: AuditKind, clientId: String?, detail: [String: String]) {
        self.kind = kind
        self.clientId = clientId
        self.detail = detail
    }
}

/// Appends and checks audit events inside the caller's transaction.
package enum AuditLog {
    package static let genesis = [UInt8](repeating: 0, count: 32)

    /// The kinds of event a command may write without the vault key. Once the chain is keyed, an event of any
    /// other kind (`create`, `ingest-custodian`, `recover`, `drill`, `eject`, ..., or a kind this build does not
    /// know) without a MAC was forged, or its MAC stripped.
    static let kindsWrittenWithoutKey: Set<AuditKind> = [.ingestClient, .confirm, .verify, .keySharesVerified]

    /// Appends one event, chaining it to the last and sealing it when `key` is given, and records the new head in
    /// `vaultMeta`.
    static func append(_ db: Database, key: AuditKey?, _ entry: AuditEntry, at: String) throws {
        try append(
            db, key: key, storedKind: entry.kind.rawValue, clientId: entry.clientId, detail: entry.detail, at: at)
    }

    /// `append` with the kind as it is stored: any text, as someone editing the file could write (the chain's
    /// tests write kinds this build does not know).
    static func append(
        _ db: Database, key: AuditKey?, storedKind kind: String, clientId: String?, detail: [String: String],
        at: String
    ) throws {
        let event = try next(
            after: try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditHead'")),
            lastId: try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM auditEvent")), key: key,
            storedKind: kind, clientId: clientId, detail: detail, at: at)
        try db.cachedStatement(
            sql:
                "INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [
            event.id, event.at, event.kind, event.clientId, event.detail, Data(event.previousHash), Data(event.hash),
            event.mac.map { Data($0) },
        ])
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO vaultMeta (name, value) VALUES ('auditHead', ?), ('auditCount', ?)"
        ).execute(arguments: [Hex.encode(event.hash), String(event.id)])
    }

    /// The event that follows the chain whose recorded head is `head` (nil: an empty chain) and whose last id is
    /// `lastId`, linked and, with `key`, sealed: what every store appends, and then records as the new head
    /// (`auditHead`, the hash in hex, and `auditCount`, the id).
    package static func next(
        after head: String?, lastId: Int64?, key: AuditKey?, storedKind kind: String, clientId: String?,
        detail: [String: String], at: String
    ) throws -> AuditEvent {
        let previous: [UInt8]
        if let head {
            // A head that does not decode was edited behind the tool's back: the environment's fault, not the input's.
            guard let bytes = try? Hex.decode(head), bytes.count == genesis.count else {
                throw VaultError.auditHeadDamaged
            }
            previous = bytes
        } else {
            previous = genesis
        }
        let id = (lastId ?? 0) + 1
        let detailText = encode(detail)
        let hash = AuditEvent.link(
            previous: previous, id: id, at: at, kind: kind, clientId: clientId, detail: detailText)
        return AuditEvent(
            id: id, at: at, kind: kind, clientId: clientId, detail: detailText, previousHash: previous, hash: hash,
            mac: key?.linkMAC(hash: hash))
    }

    /// Walks the chain in order and names the first event that was edited, reordered, deleted or forged.
    ///
    /// Without `key` it checks the structure: ids from 1 without gaps, each link's hash, an `init` event first,
    /// a MAC on every event of a kind written only with the key once the chain is keyed, and the head recorded in
    /// `vaultMeta`. With `key` it also checks every MAC. With `expected`, the chain must hold the exported head's
    /// event with the head's hash (not rolled back, cut short or rewritten), and the head's MAC must be this key's.
    /// (`requireSealed` false is for the upgrade of a chain from before keyed chains.)
    static func verify(
        _ db: Database, keys: [Int: AuditKey]?, expected: AuditHead? = nil, requireSealed: Bool = true
    ) throws -> AuditVerification {
        var walk = AuditChainWalk(keys: keys, expected: expected, requireSealed: requireSealed)
        let cursor = try Row.fetchCursor(db, sql: "SELECT \(StoredRows.auditEventColumns) FROM auditEvent ORDER BY id")
        while let row = try cursor.next() {
            if let broken = walk.add(try StoredRows.auditEvent(row)) { return broken }
        }
        return walk.finish(
            recordedHead: try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditHead'")),
            recordedCount: try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditCount'")),
            recordedKeyVersion: try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'keyVersion'")))
    }

    /// Seals an unkeyed chain (a vault from before keyed chains) with an `audit-keyed` event: its MAC covers every
    /// event before it from then on. Nothing vouches for those earlier events but their links, so the event
    /// records how many there were and whether their links held; a break is never laundered, and `verify` reports
    /// the prefix as unauthenticated.
    static func upgradeToKeyed(_ db: Database, key: AuditKey, at: String) throws {
        let prior = try verify(db, keys: nil, requireSealed: false)
        var detail = ["eventsBefore": String(prior.events)]
        detail["priorChain"] =
            prior.firstBadEvent.map { "broken at event \($0.id): \($0.reason)" } ?? "links hold (unauthenticated)"
        try append(db, key: key, AuditEntry(kind: .auditKeyed, clientId: nil, detail: detail), at: at)
    }

    /// The audit key events are sealed with now: the vault's current key version's (read in the caller's
    /// transaction, so an append after a rekey ended uses the new version's); nil without a keyring.
    static func currentKey(_ db: Database, _ keyring: VaultKeyring?) throws -> AuditKey? {
        guard let keyring else { return nil }
        let version = try String.fetchOne(
            db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'keyVersion'"))
        return try keyring.auditKey(version: VaultKeyMeta.version(version))
    }

    /// Public detail as a compact JSON object with sorted keys.
    package static func encode(_ detail: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(detail)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// The audit chain's checks, event by event, whichever store reads the events (see `AuditLog.verify`).
package struct AuditChainWalk {
    /// The audit keys by key version; nil when the vault was opened without its key.
    let keys: [Int: AuditKey]?
    let expected: AuditHead?
    let requireSealed: Bool
    private var previous = AuditLog.genesis
    private var expectedId: Int64 = 1
    private var count = 0
    private var keyed = false
    private var unsealedTail = 0
    private var unauthenticatedPrefix = 0
    /// The key version whose audit key seals the events walked so far: 1 from the start, the new version from a
    /// `rekey-finished` event on.
    private var version = 1
    /// The versions of rekeys aborted so far (named by `rekey-aborted` events): a rekey-finished event skips them.
    private var abandonedVersions: Set<Int> = []

    package init(keys: [Int: AuditKey]?, expected: AuditHead?, requireSealed: Bool) {
        self.keys = keys
        self.expected = expected
        self.requireSealed = requireSealed
    }

    private func result(_ bad: (Int64, String)?) -> AuditVerification {
        AuditVerification(
            events: count, firstBadEvent: bad, macsChecked: keys != nil, unsealedTail: unsealedTail,
            unauthenticatedPrefix: unauthenticatedPrefix, headHash: previous, keyVersion: version)
    }

    /// Takes the next event in id order; returns the verdict once it finds the first bad event (stop there).
    package mutating func add(_ event: AuditEvent) -> AuditVerification? {
        count += 1
        if event.id != expectedId {
            return result((expectedId, "event \(expectedId) is missing"))
        }
        if event.id == 1, event.knownKind != .initialized {
            return result((1, "the chain does not begin with the vault's init event"))
        }
        if event.previousHash != previous {
            return result((event.id, "does not link to the event before it"))
        }
        let recomputed = AuditEvent.link(
            previous: previous, id: event.id, at: event.at, kind: event.kind, clientId: event.clientId,
            detail: event.detail)
        if recomputed != event.hash {
            return result((event.id, "its content was changed"))
        }
        if event.knownKind == .rekeyAborted,
            let abandoned = Self.detail(of: event)["abandonedVersion"].flatMap({ Int($0) })
        {
            abandonedVersions.insert(abandoned)
        }
        if event.knownKind == .rekeyFinished {
            // The event that retires a key version is the first sealed with the next one's audit key (the next
            // version past those of aborted rekeys, which are never used).
            guard let next = Self.keyVersion(of: event), next > version,
                (version + 1..<next).allSatisfy(abandonedVersions.contains)
            else {
                return result((event.id, "a rekey-finished event that does not name the next key version"))
            }
            version = next
        }
        if let mac = event.mac {
            if let keys {
                guard let key = keys[version] else {
                    return result((event.id, "sealed with key version \(version), whose audit key this vault lacks"))
                }
                if !AuditKey.matches(mac, key.linkMAC(hash: event.hash)) {
                    return result((event.id, "its MAC does not match: written or edited without the vault key"))
                }
            }
            // A chain is keyed from its init event (a vault made keyed) or from one audit-keyed event (a vault
            // upgraded); a first MAC anywhere else follows events whose MACs were stripped.
            if !keyed, event.id != 1, event.knownKind != .auditKeyed {
                return result(
                    (
                        event.id,
                        "the first sealed event, yet neither init nor audit-keyed: the MACs before it were stripped"
                    ))
            }
            if keyed, event.knownKind == .auditKeyed {
                return result(
                    (event.id, "a second audit-keyed event: the chain was made to look unkeyed and upgraded again"))
            }
            if event.knownKind == .auditKeyed {
                unauthenticatedPrefix = Int(event.id) - 1
                if let expected, event.id > expected.events {
                    return result((event.id, "the chain was keyed anew after the exported head was taken"))
                }
            }
            keyed = true
            unsealedTail = 0
        } else {
            if keyed, !(event.knownKind.map(AuditLog.kindsWrittenWithoutKey.contains) ?? false) {
                return result(
                    (
                        event.id,
                        "a \(event.kind.prefix(40)) event without a MAC: only a command holding the vault key writes one"
                    ))
            }
            // A quorum that formed the vault's key seals its verification; one that claims it, unsealed, was
            // written without the key.
            if keyed, event.knownKind == .keySharesVerified,
                Self.flatDetail(of: event).map({ $0["unlock"] == nil || $0["unlock"] == "failed" }) != true
            {
                return result(
                    (
                        event.id,
                        "a key-shares-verified event without a MAC whose detail claims, or does not rule out, that a "
                            + "quorum unlocked the key: the officers who formed the key seal it"
                    ))
            }
            unsealedTail += 1
        }
        previous = event.hash
        if let expected, event.id == expected.events {
            if event.hash != expected.hash {
                return result(
                    (event.id, "differs from the exported head: history was rewritten since the head was taken"))
            }
            // The head was sealed with the audit key in force at its event, and no other (a retired key's holder
            // cannot mint a head for a later point of the chain).
            if let keys,
                !(keys[version].map {
                    AuditKey.matches(expected.mac, $0.headMAC(events: expected.events, hash: expected.hash))
                } ?? false)
            {
                return result(
                    (
                        event.id,
                        "the exported head's MAC is not the audit key of key version \(version), in force at this event"
                    ))
            }
        }
        expectedId += 1
        return nil
    }

    /// The key version a `rekey-finished` event names.
    static func keyVersion(of event: AuditEvent) -> Int? {
        detail(of: event)["keyVersion"].flatMap { Int($0) }
    }

    /// An event's detail as the flat object of strings every event writes (empty when it is not one).
    static func detail(of event: AuditEvent) -> [String: String] { flatDetail(of: event) ?? [:] }

    /// An event's detail as a flat object of strings; nil when it is not one.
    static func flatDetail(of event: AuditEvent) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(event.detail.utf8))
    }

    /// The verdict on a chain whose every event was taken without a bad one: the chain is not empty, it is sealed,
    /// and the head the vault records (`auditHead`, `auditCount`) is its last event (nothing deleted at the end).
    package func finish(recordedHead head: String?, recordedCount: String?, recordedKeyVersion: String?)
        -> AuditVerification
    {
        if count == 0 {
            return result((1, "the chain is empty: every vault's chain begins with its init event"))
        }
        if requireSealed, !keyed {
            return result((1, "no event is sealed with the vault key (the MACs were stripped)"))
        }
        guard let head, let recordedHash = try? Hex.decode(head), let recordedCount, let recorded = Int(recordedCount)
        else {
            return result((Int64(count + 1), "the vault's recorded audit head is missing or damaged"))
        }
        if recorded != count || recordedHash != previous {
            return result((Int64(count + 1), "events after \(count) were deleted (the head records \(recorded))"))
        }
        // The chain must end under the vault's current key version: a chain cut back to before a rekey-finished
        // event and continued with a retired key's audit key (which its holder has) ends under the old version.
        let current = recordedKeyVersion.flatMap { Int($0) } ?? 1
        if version != current {
            return result(
                (
                    Int64(count + 1),
                    "the chain ends under key version \(version), the vault is at \(current): events from the rekey that made version \(current) current on were cut or rewritten"
                ))
        }
        if let expected, Int64(count) < expected.events {
            return result(
                (
                    Int64(count + 1),
                    "the exported head names \(expected.events) events but the vault holds \(count): it was rolled back or cut short"
                ))
        }
        return result(nil)
    }
}
