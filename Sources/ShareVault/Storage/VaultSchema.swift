import Foundation
import GRDB
import ShareMath

/// The vault's schema, as named migrations. A shipped migration is never edited: add a new one.
enum VaultSchema {
    /// The migrations, for reading which have been applied.
    static var migrator: DatabaseMigrator { migrator(auditKey: nil, at: "") }

    /// The migrations. Keying the audit chain (v3) seals an existing chain, so a vault with events needs the
    /// vault key to be upgraded to it; `SQLiteVaultStore` asks for the key before migrating.
    static func migrator(auditKey: AuditKey?, at: String) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: clients, wallets, pairs, shares, drills, audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE vaultMeta (
                        name TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE client (
                        id INTEGER PRIMARY KEY,
                        clientId TEXT NOT NULL UNIQUE,
                        createdAt TEXT NOT NULL
                    );
                    CREATE TABLE wallet (
                        id INTEGER PRIMARY KEY,
                        clientRowId INTEGER NOT NULL REFERENCES client(id),
                        curve TEXT NOT NULL CHECK (curve IN ('secp256k1', 'ed25519')),
                        publicKey BLOB NOT NULL,
                        createdAt TEXT NOT NULL,
                        UNIQUE (clientRowId, curve)
                    );
                    CREATE TABLE signingPair (
                        id INTEGER PRIMARY KEY,
                        walletId INTEGER NOT NULL REFERENCES wallet(id),
                        generation INTEGER NOT NULL CHECK (generation >= 1),
                        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                        deviceIdentifier BLOB NOT NULL,
                        devicePublicShare BLOB NOT NULL,
                        custodianIdentifier BLOB NOT NULL,
                        custodianPublicShare BLOB NOT NULL,
                        createdAt TEXT NOT NULL,
                        revokedAt TEXT,
                        UNIQUE (walletId, generation)
                    );
                    CREATE TABLE backupPair (
                        id INTEGER PRIMARY KEY,
                        walletId INTEGER NOT NULL REFERENCES wallet(id),
                        method TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('STORED_CUSTODIAN_BACKUP_SHARE',
                            'STORED_CLIENT_BACKUP_SHARE_KEY', 'STORED_CLIENT_BACKUP_SHARE')),
                        isLive BOOLEAN NOT NULL DEFAULT 1,
                        createdAt TEXT NOT NULL,
                        updatedAt TEXT NOT NULL,
                        replacedAt TEXT,
                        replacedById INTEGER REFERENCES backupPair(id),
                        lastVerifiedAt TEXT,
                        lastVerifiedOutcome TEXT,
                        lastDrilledAt TEXT,
                        lastDrilledOutcome TEXT
                    );
                    CREATE UNIQUE INDEX backupPair_oneLivePerMethod ON backupPair(walletId, method) WHERE isLive;
                    CREATE INDEX backupPair_status ON backupPair(status) WHERE isLive;
                    CREATE TABLE custodianShare (
                        pairId INTEGER PRIMARY KEY REFERENCES backupPair(id),
                        layout TEXT NOT NULL CHECK (layout IN ('native', 'portal-custodian', 'portal-client')),
                        threshold INTEGER NOT NULL,
                        identifier BLOB NOT NULL,
                        publicShare BLOB NOT NULL,
                        partnerIdentifier BLOB,
                        commitments BLOB,
                        sealedShare BLOB NOT NULL,
                        shareDigest BLOB NOT NULL,
                        receivedAt TEXT NOT NULL
                    );
                    CREATE TABLE clientBackup (
                        pairId INTEGER PRIMARY KEY REFERENCES backupPair(id),
                        cipherText TEXT NOT NULL,
                        receivedAt TEXT NOT NULL,
                        confirmedAt TEXT
                    );
                    CREATE TABLE drill (
                        id INTEGER PRIMARY KEY,
                        pairId INTEGER NOT NULL REFERENCES backupPair(id),
                        startedAt TEXT NOT NULL,
                        durationMilliseconds INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT
                    );
                    CREATE TABLE auditEvent (
                        id INTEGER PRIMARY KEY,
                        at TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        clientId TEXT,
                        detail TEXT NOT NULL,
                        previousHash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: Portal's partial public keys and pair ids; one client ciphertext per method") {
            db in
            try db.execute(
                sql: """
                    ALTER TABLE custodianShare ADD COLUMN partnerPublicShare BLOB;
                    ALTER TABLE custodianShare ADD COLUMN backupSharePairId TEXT;
                    CREATE TABLE clientCiphertext (
                        id INTEGER PRIMARY KEY,
                        clientRowId INTEGER NOT NULL REFERENCES client(id),
                        method TEXT NOT NULL,
                        cipherText TEXT NOT NULL,
                        receivedAt TEXT NOT NULL,
                        confirmedAt TEXT,
                        replacedAt TEXT,
                        replacedById INTEGER REFERENCES clientCiphertext(id)
                    );
                    CREATE INDEX clientCiphertext_clientMethod ON clientCiphertext(clientRowId, method);
                    ALTER TABLE backupPair ADD COLUMN clientCiphertextId INTEGER REFERENCES clientCiphertext(id);
                    INSERT INTO clientCiphertext (id, clientRowId, method, cipherText, receivedAt, confirmedAt)
                        SELECT cb.pairId, w.clientRowId, p.method, cb.cipherText, cb.receivedAt, cb.confirmedAt
                        FROM clientBackup cb JOIN backupPair p ON p.id = cb.pairId JOIN wallet w ON w.id = p.walletId;
                    UPDATE backupPair SET clientCiphertextId = id WHERE id IN (SELECT pairId FROM clientBackup);
                    DROP TABLE clientBackup;
                    """)
        }
        migrator.registerMigration(keyedAuditChain) { db in
            try db.execute(sql: "ALTER TABLE auditEvent ADD COLUMN mac BLOB")
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditEvent") ?? 0 > 0 else { return }
            guard let auditKey else { throw VaultError.vaultNeedsKeyToUpgrade(path: db.description) }
            try AuditLog.upgradeToKeyed(db, key: auditKey, at: at)
        }
        migrator.registerMigration("v4: wallet addresses") { db in
            // Computed once, when a wallet is made, so that listing reads them instead of hashing every key.
            try db.execute(sql: "ALTER TABLE wallet ADD COLUMN address TEXT")
            let fill = try db.makeStatement(sql: "UPDATE wallet SET address = ? WHERE id = ?")
            for row in try Row.fetchAll(db, sql: "SELECT id, curve, publicKey FROM wallet") {
                guard let curve = CurveID(rawValue: row["curve"]) else { continue }
                let publicKey: Data = row["publicKey"]
                guard let address = try? WalletAddress.address(curve: curve, publicKey: Array(publicKey)) else {
                    continue
                }
                try fill.execute(arguments: [address, row["id"] as Int64])
            }
        }
        migrator.registerMigration("v5: vault key versions") { db in
            // The key version each custodian share is sealed under; NULL for those sealed before versions
            // (version 1, under the first format's associated data). A rekey walks the rows below its version.
            try db.execute(
                sql: """
                    ALTER TABLE custodianShare ADD COLUMN keyVersion INTEGER;
                    CREATE INDEX custodianShare_keyVersion ON custodianShare(keyVersion, pairId);
                    """)
        }
        return migrator
    }

    /// The migration that needs the vault key when the vault already has audit events.
    static let keyedAuditChain = "v3: keyed audit chain"
}
