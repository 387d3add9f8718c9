import Foundation
import GRDB
import ShareMath
import Testing

@testable import ShareVault

/// Issue 10 row 5 (DESIGN section 8): the audit chain is keyed. Someone with write access to the database but not
/// the vault key can still recompute every unkeyed link; these tests do exactly that and show that the structure
/// alone then passes while the keyed check fails, and that an exported head catches a rollback, a cut tail and a
/// rewrite that no MAC covers.
@Suite struct AuditChainTests {
    typealias Scratch = VaultStoreTests.Scratch

    /// A vault with an init event and `clients` ingested custodian shares (one sealed event each).
    static func vault(_ scratch: Scratch, clients: Int = 4) async throws -> Vault {
        let vault = try await Vault.create(at: scratch.path("v.db"))
        for index in 0..<clients {
            let dealing = try Dealing<Secp256k1>.split(
                secret: .random(), threshold: 2, identifiers: [Secp256k1.element(1), Secp256k1.element(2)])
            let body = try JSONSerialization.data(withJSONObject: [
                "clientId": "c\(index)", "share": ShareDocument.documents(for: dealing)[1].exportJSON().text,
                "backupMethod": "GDRIVE",
            ])
            _ = try await vault.ingestCustodian(body)
        }
        return vault
    }

    static func database(_ vault: Vault) throws -> any DatabaseWriter {
        try #require(vault.store as? SQLiteVaultStore).writer
    }

    /// Closes the vault's connections, so its file can be replaced or reopened as another program would.
    static func close(_ vault: Vault) throws {
        try #require(try Self.database(vault) as? DatabasePool).close()
    }

    /// What an attacker without the key can do: recompute every unkeyed link from `from` on, and the recorded head.
    static func relink(_ db: Database, stripMACs: Bool = false) throws {
        var previous = AuditLog.genesis
        for row in try Row.fetchAll(db, sql: "SELECT id, at, kind, clientId, detail FROM auditEvent ORDER BY id") {
            let hash = AuditEvent.link(
                previous: previous, id: row["id"], at: row["at"], kind: row["kind"], clientId: row["clientId"],
                detail: row["detail"])
            try db.execute(
                sql: "UPDATE auditEvent SET previousHash = ?, hash = ?\(stripMACs ? ", mac = NULL" : "") WHERE id = ?",
                arguments: [Data(previous), Data(hash), row["id"] as Int64])
            previous = hash
        }
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditEvent") ?? 0
        try db.execute(
            sql: "UPDATE vaultMeta SET value = ? WHERE name = 'auditHead'",
            arguments: [count == 0 ? Hex.encode(AuditLog.genesis) : Hex.encode(previous)])
        try db.execute(sql: "UPDATE vaultMeta SET value = ? WHERE name = 'auditCount'", arguments: [String(count)])
    }

    /// The vault opened without its key: only the chain's structure can be checked.
    static func structureOnly(_ scratch: Scratch) async throws -> AuditVerification {
        try await Vault.open(at: scratch.path("v.db"), needsKey: false, readOnly: true).verifyAuditLog()
    }

    @Test func aDeletedEventWithTheChainRecomputedIsCaughtByItsMAC() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch)
        try await Self.database(vault).write { db in
            try db.execute(sql: "DELETE FROM auditEvent WHERE id = 3")
            try db.execute(sql: "UPDATE auditEvent SET id = id - 1 WHERE id > 3")
            try Self.relink(db)
        }
        // The unkeyed structure was forged successfully: this is what the first release's `audit --verify` saw.
        #expect(try await Self.structureOnly(scratch).isIntact)
        let keyed = try await vault.verifyAuditLog()
        #expect(keyed.macsChecked)
        #expect(keyed.firstBadEvent?.id == 3)
        #expect(keyed.firstBadEvent?.reason.contains("MAC does not match") == true, "\(keyed)")
    }

    @Test func anEmptiedChainIsBrokenNotIntact() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch)
        try await Self.database(vault).write { db in
            try db.execute(sql: "DELETE FROM auditEvent")
            try Self.relink(db)
        }
        for result in [try await vault.verifyAuditLog(), try await Self.structureOnly(scratch)] {
            #expect(result.events == 0)
            #expect(result.firstBadEvent?.reason.contains("the chain is empty") == true, "\(result)")
        }
    }

    @Test func strippedMACsAreNoticedEvenWithoutTheKey() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch)
        try await Self.database(vault).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{\"forged\":\"yes\"}' WHERE id = 2")
            try Self.relink(db, stripMACs: true)
        }
        for result in [try await vault.verifyAuditLog(), try await Self.structureOnly(scratch)] {
            #expect(result.firstBadEvent?.reason.contains("no event is sealed") == true, "\(result)")
        }
    }

    @Test func anEventOfAKindOnlyTheKeyWritesMustCarryAMAC() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch)
        // A forged ingest appended at the tail, linked correctly, without a MAC.
        try await Self.database(vault).write { db in
            try AuditLog.append(db, key: nil, AuditEntry(kind: .ingestCustodian, clientId: "c9", detail: [:]), at: "t")
        }
        for result in [try await vault.verifyAuditLog(), try await Self.structureOnly(scratch)] {
            #expect(result.firstBadEvent?.id == 6)
            #expect(result.firstBadEvent?.reason.contains("ingest-custodian event without a MAC") == true, "\(result)")
        }
    }

    /// Found by a hostile review: every MAC stripped and the history rewritten, then sealed over by the next
    /// write made with the key. The first sealed event of a chain is its init event or an upgrade's audit-keyed.
    @Test func aStrippedRewrittenChainIsNotBlessedByTheNextKeyedWrite() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch)
        try await Self.database(vault).write { db in
            try db.execute(sql: "DELETE FROM auditEvent WHERE id = 3")
            try db.execute(sql: "UPDATE auditEvent SET id = id - 1 WHERE id > 3")
            try Self.relink(db, stripMACs: true)
        }
        _ = try await vault.verify(level: .custodian)
        let result = try await vault.verifyAuditLog()
        #expect(result.firstBadEvent?.id == 5)
        #expect(result.firstBadEvent?.reason.contains("neither init nor audit-keyed") == true, "\(result)")
    }

    /// Found by a hostile review: a keyed vault made to look like one from before keyed chains (MAC column
    /// dropped, the migration forgotten) is upgraded again by the next open with the key. The upgrade says its
    /// prefix is unauthenticated, and an exported head taken before finds the second keying.
    @Test func aKeyedVaultDisguisedAsUnkeyedIsReportedAndCaughtByAHead() async throws {
        let scratch = try Scratch()
        let path = scratch.path("v.db")
        let vault = try await Self.vault(scratch, clients: 2)
        let head = try #require(try await vault.exportAuditHead().head)
        _ = try await vault.verify(level: .custodian)
        try await Self.database(vault).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{\"failed\":\"0\"}' WHERE kind = 'verify'")
            try Self.relink(db, stripMACs: true)
        }
        try Self.unkey(vault, path: path)
        let reopened = try Vault.open(at: path, needsKey: true)
        let plain = try await reopened.verifyAuditLog()
        #expect(plain.isIntact && plain.unauthenticatedPrefix == 4, "\(plain)")
        let withHead = try await reopened.verifyAuditLog(expecting: head)
        #expect(withHead.firstBadEvent?.reason.contains("keyed anew after the exported head") == true, "\(withHead)")
    }

    @Test func anUnsealedEventOfAKindThisBuildDoesNotKnowIsRefused() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch, clients: 1)
        try await Self.database(vault).write { db in
            try AuditLog.append(db, key: nil, storedKind: "Recover", clientId: "c0", detail: [:], at: "t")
        }
        let result = try await vault.verifyAuditLog()
        #expect(result.firstBadEvent?.id == 3)
        #expect(result.firstBadEvent?.reason.contains("Recover event without a MAC") == true, "\(result)")
    }

    @Test func eventsWrittenWithoutTheKeyAreSealedByTheNextWriteWithIt() async throws {
        let scratch = try Scratch()
        let keyed = try await Self.vault(scratch, clients: 1)
        let keyless = try Vault.open(at: scratch.path("v.db"), needsKey: false)
        _ = try await keyless.ingestClient(
            clientId: "c0", method: BackupMethod(parsing: "GDRIVE"), cipherText: "opaque-\(UUID().uuidString)")
        _ = try await keyless.confirm(clientId: "c0", method: BackupMethod(parsing: "GDRIVE"))
        let before = try await keyed.verifyAuditLog()
        #expect(before.isIntact && before.unsealedTail == 2, "\(before)")
        // An unsealed tail event can be rewritten without the key, and nothing but an exported head notices; once
        // a keyed event follows it, it cannot.
        _ = try await keyed.verify(level: .custodian)
        let after = try await keyed.verifyAuditLog()
        #expect(after.isIntact && after.unsealedTail == 0, "\(after)")
        try await Self.database(keyed).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{}' WHERE kind = 'confirm'")
            try Self.relink(db)
        }
        #expect(try await keyed.verifyAuditLog().firstBadEvent?.reason.contains("MAC does not match") == true)
    }

    @Test func anExportedHeadCatchesARollbackACutTailAndARewrite() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch, clients: 2)
        try #require(vault.store as? SQLiteVaultStore).checkpoint()
        let older = try Data(contentsOf: URL(fileURLWithPath: scratch.path("v.db")))
        // The app's uploads, taken by a process without the vault key: their events are not sealed.
        let keyless = try Vault.open(at: scratch.path("v.db"), needsKey: false)
        _ = try await keyless.ingestClient(
            clientId: "c0", method: BackupMethod(parsing: "GDRIVE"), cipherText: "opaque-\(UUID().uuidString)")
        let (exported, _) = try await vault.exportAuditHead()
        let head = try #require(exported)
        #expect(head.events == 4)
        #expect(try AuditHead(document: Data(head.document.utf8)) == head)
        #expect(try await vault.verifyAuditLog(expecting: head).isIntact)
        _ = try await keyless.ingestClient(
            clientId: "c1", method: BackupMethod(parsing: "GDRIVE"), cipherText: "later-\(UUID().uuidString)")
        #expect(try await vault.verifyAuditLog(expecting: head).isIntact, "later events do not break a head")

        // The ingest-client events are unsealed (no event written with the key follows them), so they can be
        // rewritten without the key and the chain still holds; the head's hash no longer matches.
        try await Self.database(vault).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{}' WHERE id = 4")
            try Self.relink(db)
        }
        #expect(try await vault.verifyAuditLog().isIntact, "an unsealed tail is rewritable without the key")
        let rewritten = try await vault.verifyAuditLog(expecting: head)
        #expect(rewritten.firstBadEvent?.id == 4)
        #expect(rewritten.firstBadEvent?.reason.contains("differs from the exported head") == true, "\(rewritten)")

        // Cut short: the events from 4 on deleted and the recorded head moved back.
        try await Self.database(vault).write { db in
            try db.execute(sql: "DELETE FROM auditEvent WHERE id >= 4")
            try Self.relink(db)
        }
        #expect(try await vault.verifyAuditLog().isIntact)
        let cut = try await vault.verifyAuditLog(expecting: head)
        #expect(cut.firstBadEvent?.reason.contains("rolled back or cut short") == true, "\(cut)")

        // Restored from an older copy of the file.
        try Self.close(vault)
        try Self.close(keyless)
        try older.write(to: URL(fileURLWithPath: scratch.path("v.db")))
        for side in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch.path("v.db") + side) }
        let restored = try Vault.open(at: scratch.path("v.db"), needsKey: true, readOnly: true)
        #expect(try await restored.verifyAuditLog().isIntact)
        #expect(
            try await restored.verifyAuditLog(expecting: head).firstBadEvent?.reason.contains("rolled back") == true)
    }

    @Test func aHeadFromAnotherVaultOrEditedIsRefused() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch, clients: 1)
        let other = try await Vault.create(at: scratch.path("other.db"))
        let foreign = try #require(try await other.exportAuditHead().head)
        await #expect(throws: VaultError.auditHeadNotFromThisVault) {
            _ = try await vault.verifyAuditLog(expecting: foreign)
        }
        let own = try #require(try await vault.exportAuditHead().head)
        let edited = own.document.replacingOccurrences(of: "\"events\":2", with: "\"events\":1")
        #expect(edited != own.document)
        await #expect(throws: VaultError.auditHeadNotFromThisVault) {
            _ = try await vault.verifyAuditLog(expecting: try AuditHead(document: Data(edited.utf8)))
        }
    }

    @Test func aBrokenChainExportsNoHead() async throws {
        let scratch = try Scratch()
        let vault = try await Self.vault(scratch, clients: 1)
        try await Self.database(vault).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{}' WHERE id = 2")
        }
        let (head, verification) = try await vault.exportAuditHead()
        #expect(head == nil)
        #expect(verification.firstBadEvent?.id == 2)
    }

    static let hash = String(repeating: "ab", count: 32)
    static let malformedHeads: [(String, String)] = [
        ("", "empty document"),
        ("{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(hash)\"", "malformed JSON"),
        ("[1]", "a JSON object"),
        (
            "{\"format\":\"sharevault audit head v2\",\"events\":3,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "not a sharevault audit head v1"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":0,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "at least 1"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":-2,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "at least 1"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":1e3,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "whole number"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":99999999999999999999,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "whole number"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":\"3\",\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "must be a number"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(hash.dropLast(2))\",\"mac\":\"\(hash)\"}",
            "64 hex digits"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(hash.dropLast(2))zz\",\"mac\":\"\(hash)\"}",
            "64 hex digits"
        ),
        ("{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(hash)\"}", "missing field \"mac\""),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\",\"note\":1}",
            "not a field"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"events\":4,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "given twice"
        ),
        (
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"EVENTS\":4,\"hash\":\"\(hash)\",\"mac\":\"\(hash)\"}",
            "given twice"
        ),
        (String(repeating: " ", count: AuditHead.maximumSize + 1), "too large"),
    ]

    @Test(arguments: malformedHeads.indices)
    func aMalformedHeadIsRefusedWithItsReason(index: Int) async {
        let (text, reason) = Self.malformedHeads[index]
        do {
            _ = try AuditHead(document: Data(text.utf8))
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test func randomBytesNeverCrashTheHeadReader() async {
        var generator = SystemRandomNumberGenerator()
        let valid = Array(
            "{\"format\":\"sharevault audit head v1\",\"events\":3,\"hash\":\"\(Self.hash)\",\"mac\":\"\(Self.hash)\"}"
                .utf8)
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
                if bytes.isEmpty { break }
            }
            // Either it reads a head that says what the bytes say, or it names what is wrong.
            if let head = try? AuditHead(document: Data(bytes)) {
                #expect(head.events >= 1 && head.hash.count == 32 && head.mac.count == 32)
            }
        }
    }

    // MARK: The upgrade of a chain from before keyed chains

    /// Turns a current vault back into one the previous schema wrote: no MAC column, v3 not applied.
    static func unkey(_ vault: Vault, path: String) throws {
        try Self.database(vault).write { db in
            try db.execute(sql: "ALTER TABLE auditEvent DROP COLUMN mac")
            try db.execute(
                sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [VaultSchema.keyedAuditChain])
        }
        try Self.close(vault)
    }

    @Test func anUnkeyedChainNeedsTheKeyToUpgradeAndNothingIsWrittenWithoutIt() async throws {
        let scratch = try Scratch()
        let path = scratch.path("v.db")
        try await Self.unkey(try Self.vault(scratch, clients: 2), path: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: VaultError.vaultNeedsKeyToUpgrade(path: path)) { _ = try Vault.open(at: path, needsKey: false) }
        #expect(throws: VaultError.vaultNeedsUpgrade(path: path)) {
            _ = try Vault.open(at: path, needsKey: true, readOnly: true)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        let upgraded = try Vault.open(at: path, needsKey: true)
        var events: [AuditEvent] = []
        try await upgraded.forEachAuditEvent { events.append($0) }
        #expect(events.count == 4)
        #expect(events.prefix(3).allSatisfy { $0.mac == nil })
        let seal = try #require(events.last)
        #expect(seal.kind == "audit-keyed" && seal.mac != nil)
        #expect(seal.detail == #"{"eventsBefore":"3","priorChain":"links hold (unauthenticated)"}"#)
        let result = try await upgraded.verifyAuditLog()
        #expect(result.isIntact && result.unsealedTail == 0 && result.unauthenticatedPrefix == 3, "\(result)")
        // The seal covers the events before it.
        try await Self.database(upgraded).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{}' WHERE id = 2")
            try Self.relink(db)
        }
        #expect(try await upgraded.verifyAuditLog().firstBadEvent?.id == 4)
    }

    @Test func anUpgradeRecordsABrokenPriorChainRatherThanLaunderingIt() async throws {
        let scratch = try Scratch()
        let path = scratch.path("v.db")
        let vault = try await Self.vault(scratch, clients: 2)
        try await Self.database(vault).write { db in
            try db.execute(sql: "UPDATE auditEvent SET detail = '{}' WHERE id = 2")
        }
        try Self.unkey(vault, path: path)
        let upgraded = try Vault.open(at: path, needsKey: true)
        var events: [AuditEvent] = []
        try await upgraded.forEachAuditEvent { events.append($0) }
        #expect(events.last?.detail.contains("broken at event 2") == true, "\(events.last?.detail ?? "")")
        #expect(try await upgraded.verifyAuditLog().firstBadEvent?.id == 2)
    }
}
