import Foundation
import GRDB
import ShareMath

/// One event of the append-only, hash-chained audit log.
public struct AuditEvent: Sendable, Equatable {
    public let id: Int64
    public let at: String
    public let kind: String
    public let clientId: String?
    /// Public detail as a JSON object with sorted keys (never a secret).
    public let detail: String
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    /// `BLAKE2b(previous hash, id, time, kind, client, detail)`.
    static func link(previous: [UInt8], id: Int64, at: String, kind: String, clientId: String?, detail: String) -> [UInt8] {
        Blake2b.hash([
            previous, Array(String(id).utf8), Array(at.utf8), Array(kind.utf8), Array((clientId ?? "").utf8),
            Array(detail.utf8),
        ])
    }
}

/// What `audit --verify` found.
public struct AuditVerification: Sendable, Equatable {
    public let events: Int
    /// The first event whose link does not hold, and why; nil when the chain is whole.
    public let firstBadEvent: (id: Int64, reason: String)?

    public var isIntact: Bool { firstBadEvent == nil }

    public static func == (lhs: AuditVerification, rhs: AuditVerification) -> Bool {
        lhs.events == rhs.events && lhs.firstBadEvent?.id == rhs.firstBadEvent?.id
            && lhs.firstBadEvent?.reason == rhs.firstBadEvent?.reason
    }
}

/// Appends and checks audit events inside the caller's transaction.
enum AuditLog {
    static let genesis = [UInt8](repeating: 0, count: 32)

    /// Appends one event, chaining it to the last, and records the new head in `vaultMeta`.
    static func append(_ db: Database, kind: String, clientId: String?, detail: [String: String], at: String) throws {
        let head = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditHead'"))
        let previous: [UInt8]
        if let head {
            // A head that does not decode was edited behind the tool's back: the environment's fault, not the input's.
            guard let bytes = try? Hex.decode(head), bytes.count == genesis.count else { throw VaultError.auditHeadDamaged }
            previous = bytes
        } else {
            previous = genesis
        }
        let id = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM auditEvent")) ?? 0) + 1
        let detailText = encode(detail)
        let hash = AuditEvent.link(previous: previous, id: id, at: at, kind: kind, clientId: clientId, detail: detailText)
        try db.cachedStatement(sql: "INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [id, at, kind, clientId, detailText, Data(previous), Data(hash)])
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO vaultMeta (name, value) VALUES ('auditHead', ?), ('auditCount', ?)").execute(arguments: [Hex.encode(hash), String(id)])
    }

    /// Walks the chain in order; names the first event that was edited, reordered or deleted.
    static func verify(_ db: Database) throws -> AuditVerification {
        var previous = genesis
        var expectedId: Int64 = 1
        var count = 0
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT id, at, kind, clientId, detail, previousHash, hash FROM auditEvent ORDER BY id")
        while let row = try cursor.next() {
            let event = event(from: row)
            count += 1
            if event.id != expectedId {
                return AuditVerification(events: count, firstBadEvent: (expectedId, "event \(expectedId) is missing"))
            }
            if event.previousHash != previous {
                return AuditVerification(events: count, firstBadEvent: (event.id, "does not link to the event before it"))
            }
            let recomputed = AuditEvent.link(
                previous: previous, id: event.id, at: event.at, kind: event.kind, clientId: event.clientId,
                detail: event.detail)
            if recomputed != event.hash {
                return AuditVerification(events: count, firstBadEvent: (event.id, "its content was changed"))
            }
            previous = event.hash
            expectedId += 1
        }
        let head = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditHead'"))
        let recorded = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = 'auditCount'")).flatMap { Int($0) } ?? 0
        if recorded != count || (head.map { (try? Hex.decode($0)) ?? [] } ?? genesis) != previous {
            return AuditVerification(
                events: count, firstBadEvent: (Int64(count + 1), "events after \(count) were deleted (the head records \(recorded))"))
        }
        return AuditVerification(events: count, firstBadEvent: nil)
    }

    static func event(from row: Row) -> AuditEvent {
        AuditEvent(
            id: row["id"], at: row["at"], kind: row["kind"], clientId: row["clientId"], detail: row["detail"],
            previousHash: [UInt8]((row["previousHash"] as Data?) ?? Data()), hash: [UInt8]((row["hash"] as Data?) ?? Data()))
    }

    /// Public detail as a compact JSON object with sorted keys.
    static func encode(_ detail: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(detail)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
