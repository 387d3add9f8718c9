import Foundation
import GRDB
import ShareMath
import Testing

@testable import ShareVault

/// Schema v2 moves each pair's v1 `clientBackup` row into `clientCiphertext` (same text and times, the pair
/// pointing at it) and drops `clientBackup`; a vault the first release wrote, with its version-1 ciphertexts
/// and per-curve keys, still verifies deep after the migration.
@Suite struct SchemaMigrationTests {
    static let v1 = "v1: clients, wallets, pairs, shares, drills, audit"

    @Test func theFirstMigrationIsNamedAsShipped() throws {
        let queue = try DatabaseQueue()
        try VaultSchema.migrator.migrate(queue, upTo: Self.v1)
        let (hasClientBackup, hasClientCiphertext, applied) = try queue.read { db in
            (
                try db.tableExists("clientBackup"), try db.tableExists("clientCiphertext"),
                try VaultSchema.migrator.appliedIdentifiers(db)
            )
        }
        #expect(hasClientBackup)
        #expect(!hasClientCiphertext)
        #expect(applied == [Self.v1])
    }

    @Test func clientBackupRowsMoveIntoClientCiphertexts() throws {
        let queue = try DatabaseQueue()
        try VaultSchema.migrator.migrate(queue, upTo: Self.v1)
        let texts = ["U1ZDQgEA" + UUID().uuidString, "opaque portal ciphertext \(UUID().uuidString)", "third"]
        try queue.write { db in
            // Row ids chosen so that client, wallet and pair ids all differ.
            try db.execute(
                sql: "INSERT INTO client (id, clientId, createdAt) VALUES (7, 'other', 't0'), (3, 'c1', 't0')")
            try db.execute(
                sql: """
                    INSERT INTO wallet (id, clientRowId, curve, publicKey, createdAt) VALUES
                        (20, 3, 'secp256k1', x'02aa', 't0'), (21, 3, 'ed25519', x'bb', 't0'), (22, 7, 'secp256k1', x'03cc', 't0')
                    """)
            try db.execute(
                sql: """
                    INSERT INTO backupPair (id, walletId, method, status, isLive, createdAt, updatedAt) VALUES
                        (100, 20, 'GDRIVE', 'STORED_CLIENT_BACKUP_SHARE', 1, 't1', 't1'),
                        (101, 21, 'GDRIVE', 'STORED_CLIENT_BACKUP_SHARE_KEY', 1, 't1', 't1'),
                        (102, 22, 'ICLOUD', 'STORED_CLIENT_BACKUP_SHARE', 1, 't1', 't1'),
                        (103, 22, 'PASSKEY', 'STORED_CUSTODIAN_BACKUP_SHARE', 1, 't1', 't1')
                    """)
            for pair in 100...103 {
                try db.execute(
                    sql: """
                        INSERT INTO custodianShare (pairId, layout, threshold, identifier, publicShare, partnerIdentifier,
                            commitments, sealedShare, shareDigest, receivedAt)
                        VALUES (?, 'native', 2, x'02', x'03', x'01', NULL, x'0badcafe', x'd1', 't1')
                        """, arguments: [pair])
            }
            try db.execute(
                sql: """
                    INSERT INTO clientBackup (pairId, cipherText, receivedAt, confirmedAt) VALUES
                        (100, ?, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
                        (101, ?, '2026-01-03T00:00:00Z', NULL),
                        (102, ?, '2026-01-04T00:00:00Z', '2026-01-05T00:00:00Z')
                    """, arguments: [texts[0], texts[1], texts[2]])
        }

        try VaultSchema.migrator.migrate(queue)

        let (hasClientBackup, rows, pointers, custodian) = try queue.read { db in
            try db.checkForeignKeys()
            return (
                try db.tableExists("clientBackup"),
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT id, clientRowId, method, cipherText, receivedAt, confirmedAt, replacedAt, replacedById FROM clientCiphertext ORDER BY id"
                ),
                try Row.fetchAll(
                    db, sql: "SELECT id, clientCiphertextId, status, updatedAt FROM backupPair ORDER BY id"),
                try Row.fetchAll(
                    db, sql: "SELECT sealedShare, partnerPublicShare, backupSharePairId FROM custodianShare")
            )
        }
        do {
            #expect(!hasClientBackup)
            #expect(rows.count == 3)
            let expected: [(Int64, Int64, String, String, String, String?)] = [
                (100, 3, "GDRIVE", texts[0], "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
                (101, 3, "GDRIVE", texts[1], "2026-01-03T00:00:00Z", nil),
                (102, 7, "ICLOUD", texts[2], "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"),
            ]
            for (row, want) in zip(rows, expected) {
                #expect(row["id"] as Int64 == want.0)
                #expect(row["clientRowId"] as Int64 == want.1)
                #expect(row["method"] as String == want.2)
                #expect(row["cipherText"] as String == want.3)
                #expect(row["receivedAt"] as String == want.4)
                #expect(row["confirmedAt"] as String? == want.5)
                #expect(row["replacedAt"] as String? == nil)
                #expect(row["replacedById"] as Int64? == nil)
            }
            #expect(pointers.map { $0["clientCiphertextId"] as Int64? } == [100, 101, 102, nil])
            // Nothing else about the pairs changes.
            #expect(
                pointers.map { $0["status"] as String } == [
                    "STORED_CLIENT_BACKUP_SHARE", "STORED_CLIENT_BACKUP_SHARE_KEY", "STORED_CLIENT_BACKUP_SHARE",
                    "STORED_CUSTODIAN_BACKUP_SHARE",
                ])
            #expect(pointers.allSatisfy { $0["updatedAt"] as String == "t1" })
            // The custodian rows keep what they had; the new columns are empty.
            #expect(custodian.count == 4)
            #expect(custodian.allSatisfy { ($0["sealedShare"] as Data) == Data([0x0b, 0xad, 0xca, 0xfe]) })
            #expect(
                custodian.allSatisfy {
                    ($0["partnerPublicShare"] as Data?) == nil && ($0["backupSharePairId"] as String?) == nil
                })
        }
    }

    /// A vault as the first release wrote it: schema v1, each pair's client half sealed alone in a version-1
    /// ciphertext (associated data binding the method with its curve) under a key filed per client and curve.
    /// Opened by this build, it migrates, and every pair still verifies deep: the ciphertext opens with the
    /// first release's key, and reads as the pair's client share.
    @Test func aFirstReleaseVaultStillVerifiesDeepAfterMigrating() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sv-migrate-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyStore = try DirectoryKeyStore(directory: directory + "/cloud", create: true)
        let stores = BackupKeyStores(directory: keyStore, password: nil)
        let method = try BackupMethod(parsing: "GDRIVE")

        // Today's vault, for its sealed custodian halves and audit chain; its client halves are re-sealed below
        // as the first release sealed them.
        let keyPath = directory + "/vault.key"
        let current = try await Vault.create(at: directory + "/current.db", keyPath: keyPath)
        _ = try await current.create(
            clientIds: ["c1", "c2"], curves: CurveID.allCases, methods: [method], keyStores: stores)
        let pairs = try await current.store.livePairs(after: 0, limit: 100, clientId: nil)
        #expect(pairs.count == 4)
        var firstRelease: [Int64: String] = [:]
        var firstReleaseSeals: [Int64: Data] = [:]
        let vaultKey = try #require(current.keyring?.key(version: 1))
        for pair in pairs {
            let onCurve = method.on(pair.identity.curve)
            // The custodian half as the first release sealed it: no key version in its associated data.
            let custodianText = try current.keys.openCustodianShare(
                pair.custodian.sealedShare, version: pair.custodian.keyVersion, clientId: pair.identity.clientId,
                method: onCurve)
            firstReleaseSeals[pair.identity.pairId] = Data(
                XChaCha20Poly1305.seal(
                    custodianText, key: vaultKey,
                    associatedData: VaultKeyring.custodianAssociatedData(
                        version: nil, clientId: pair.identity.clientId, method: onCurve)))
            let today = try ClientBackupCiphertext(text: try #require(pair.cipherText))
            let wrapperKey = try keyStore.key(clientId: pair.identity.clientId, method: method, source: today.keySource)
            let wrapper = try today.open(key: wrapperKey, clientId: pair.identity.clientId, method: onCurve)
            // The first release's plaintext: this curve's native document alone.
            let object = try #require(
                try wrapper.withUnsafeBytes { try JSONSerialization.jsonObject(with: Data($0)) } as? [String: Any])
            let entry = try #require(object[ClientPlaintext.wrapperKey(pair.identity.curve)] as? [String: Any])
            let document = try #require(entry["share"] as? String)
            #expect(document.contains("\"format\":\"sharevault.share\""))

            let (key, source) = try keyStore.makeKey(clientId: pair.identity.clientId, method: onCurve)
            let header = ClientBackupCiphertext.magic + [1, 0]
            let associatedData =
                Array("sharevault client backup v1\u{0}\(pair.identity.clientId)\u{0}\(onCurve)\u{0}".utf8) + header
            let sealed = XChaCha20Poly1305.seal(
                SecureBytes(copying: Array(document.utf8)), key: key, associatedData: associatedData)
            let old = ClientBackupCiphertext(version: 1, keySource: source, sealed: sealed)
            #expect(old.text.hasPrefix(Data(header).base64EncodedString().prefix(6)))
            firstRelease[pair.identity.pairId] = old.text
        }

        // The first release's file: schema v1, the same rows, client halves in `clientBackup`.
        let oldPath = directory + "/first-release.db"
        let old = try DatabaseQueue(path: oldPath)
        try VaultSchema.migrator.migrate(old, upTo: Self.v1)
        let firstReleaseTexts = firstRelease
        let firstReleaseCustodianSeals = firstReleaseSeals
        try await old.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [directory + "/current.db"])
            try db.inTransaction {
                try db.execute(
                    sql: """
                        INSERT INTO vaultMeta SELECT * FROM src.vaultMeta;
                        INSERT INTO client SELECT * FROM src.client;
                        INSERT INTO wallet SELECT id, clientRowId, curve, publicKey, createdAt FROM src.wallet;
                        INSERT INTO signingPair SELECT * FROM src.signingPair;
                        INSERT INTO backupPair (id, walletId, method, status, isLive, createdAt, updatedAt, replacedAt, replacedById,
                            lastVerifiedAt, lastVerifiedOutcome, lastDrilledAt, lastDrilledOutcome)
                            SELECT id, walletId, method, status, isLive, createdAt, updatedAt, replacedAt, replacedById,
                                lastVerifiedAt, lastVerifiedOutcome, lastDrilledAt, lastDrilledOutcome FROM src.backupPair;
                        INSERT INTO custodianShare (pairId, layout, threshold, identifier, publicShare, partnerIdentifier, commitments,
                            sealedShare, shareDigest, receivedAt)
                            SELECT pairId, layout, threshold, identifier, publicShare, partnerIdentifier, commitments, sealedShare,
                                shareDigest, receivedAt FROM src.custodianShare;
                        INSERT INTO auditEvent SELECT id, at, kind, clientId, detail, previousHash, hash FROM src.auditEvent;
                        """)
                for (pairId, sealed) in firstReleaseCustodianSeals {
                    try db.execute(
                        sql: "UPDATE custodianShare SET sealedShare = ? WHERE pairId = ?", arguments: [sealed, pairId])
                }
                for (pairId, text) in firstReleaseTexts {
                    try db.execute(
                        sql:
                            """
                            INSERT INTO clientBackup (pairId, cipherText, receivedAt, confirmedAt)
                            VALUES (?, ?, '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:06.001Z')
                            """,
                        arguments: [pairId, text])
                }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE src")
        }
        try old.close()

        let migrated = try Vault.open(at: oldPath, keyPath: keyPath, needsKey: true)
        let migratedPairs = try await migrated.store.livePairs(after: 0, limit: 100, clientId: nil)
        #expect(migratedPairs.count == 4)
        for pair in migratedPairs {
            #expect(pair.cipherText == firstRelease[pair.identity.pairId])
            #expect(pair.clientCiphertextId == pair.identity.pairId)
            #expect(try ClientBackupCiphertext(text: try #require(pair.cipherText)).version == 1)
            #expect(migrated.fullAccount(pair, level: .deep, keyStores: stores) == [])
        }
        let report = try await migrated.verify(level: .deep, keyStores: stores)
        #expect(report.checked == 4 && report.allPassed, "\(report.failures.map(\.problems))")
        #expect(try await migrated.verifyAuditLog().isIntact)
        // The reports read every migrated row, times included, as the first release wrote them.
        var listed: [PairSummary] = []
        try await migrated.forEachPair { listed.append($0) }
        #expect(listed.count == 4)
        // The migration filled in every wallet's address, as a wallet made today has it.
        let stored = try DatabaseQueue(path: oldPath).read { db in
            try Row.fetchAll(db, sql: "SELECT curve, publicKey, address FROM wallet")
        }
        #expect(stored.count == 4)
        for row in stored {
            let curve = try #require(CurveID(rawValue: row["curve"]))
            let address: String? = row["address"]
            #expect(address == (try WalletAddress.address(curve: curve, publicKey: Array(row["publicKey"] as Data))))
        }
        #expect(Set(listed.map(\.address)) == Set(stored.compactMap { $0["address"] as String? }))
        for clientId in Set(listed.map(\.clientId)) {
            let detail = try await #require(try migrated.inspect(clientId: clientId))
            #expect(
                detail.clientCiphertexts.allSatisfy { VaultClock.format($0.receivedAt) == "2026-01-02T03:04:05.678Z" })
        }
    }
}
