import Foundation
import ShareMath

/// A stored value as `copy` moves it between engines: SQLite's booleans are integers, PostgreSQL's are not, so
/// each column says what it holds.
package enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case boolean(Bool)
}

/// One of the vault's tables as `copy` reads and writes it: every column, in a fixed order, with its kind. The
/// rows are read in key order; `deferred` columns point at rows of the same table that may come later (a replaced
/// row names its replacement), so they are written in a second pass, once every row is in.
package struct VaultTable: Sendable {
    package enum Kind: Sendable { case integer, text, bytes, boolean }

    package let name: String
    package let key: String
    package let columns: [(name: String, kind: Kind)]
    package let deferred: Set<String>
    /// Whether the table's key is an id the engine assigns (PostgreSQL's identity sequences must then be moved
    /// past the copied ids).
    package let assignsIds: Bool

    /// The vault's tables, each after the ones it refers to.
    package static let all: [VaultTable] = [
        VaultTable(
            name: "vaultMeta", key: "name", columns: [("name", .text), ("value", .text)], deferred: [],
            assignsIds: false),
        VaultTable(
            name: "client", key: "id", columns: [("id", .integer), ("clientId", .text), ("createdAt", .text)],
            deferred: [], assignsIds: true),
        VaultTable(
            name: "wallet", key: "id",
            columns: [
                ("id", .integer), ("clientRowId", .integer), ("curve", .text), ("publicKey", .bytes),
                ("createdAt", .text), ("address", .text),
            ], deferred: [], assignsIds: true),
        VaultTable(
            name: "signingPair", key: "id",
            columns: [
                ("id", .integer), ("walletId", .integer), ("generation", .integer), ("status", .text),
                ("deviceIdentifier", .bytes), ("devicePublicShare", .bytes), ("custodianIdentifier", .bytes),
                ("custodianPublicShare", .bytes), ("createdAt", .text), ("revokedAt", .text),
            ], deferred: [], assignsIds: true),
        VaultTable(
            name: "clientCiphertext", key: "id",
            columns: [
                ("id", .integer), ("clientRowId", .integer), ("method", .text), ("cipherText", .text),
                ("receivedAt", .text), ("confirmedAt", .text), ("replacedAt", .text), ("replacedById", .integer),
            ], deferred: ["replacedById"], assignsIds: true),
        VaultTable(
            name: "backupPair", key: "id",
            columns: [
                ("id", .integer), ("walletId", .integer), ("method", .text), ("status", .text), ("isLive", .boolean),
                ("createdAt", .text), ("updatedAt", .text), ("replacedAt", .text), ("replacedById", .integer),
                ("lastVerifiedAt", .text), ("lastVerifiedOutcome", .text), ("lastDrilledAt", .text),
                ("lastDrilledOutcome", .text), ("clientCiphertextId", .integer),
            ], deferred: ["replacedById"], assignsIds: true),
        VaultTable(
            name: "custodianShare", key: "pairId",
            columns: [
                ("pairId", .integer), ("layout", .text), ("threshold", .integer), ("identifier", .bytes),
                ("publicShare", .bytes), ("partnerIdentifier", .bytes), ("commitments", .bytes),
                ("sealedShare", .bytes), ("shareDigest", .bytes), ("receivedAt", .text),
                ("partnerPublicShare", .bytes), ("backupSharePairId", .text), ("keyVersion", .integer),
            ], deferred: [], assignsIds: false),
        VaultTable(
            name: "drill", key: "id",
            columns: [
                ("id", .integer), ("pairId", .integer), ("startedAt", .text), ("durationMilliseconds", .integer),
                ("outcome", .text), ("detail", .text),
            ], deferred: [], assignsIds: true),
        VaultTable(
            name: "auditEvent", key: "id",
            columns: [
                ("id", .integer), ("at", .text), ("kind", .text), ("clientId", .text), ("detail", .text),
                ("previousHash", .bytes), ("hash", .bytes), ("mac", .bytes),
            ], deferred: [], assignsIds: false),
    ]

    /// The columns written in the first pass: the deferred ones are NULL until the second.
    package var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// Where the key stands among the columns.
    package var keyIndex: Int { columns.firstIndex { $0.name == key } ?? 0 }

    /// Hands every row of the table in `store` to `body`, a batch of up to `batchSize` at a time, in key order.
    func forEachBatch(
        in store: any VaultRowCopying, batchSize: Int, _ body: ([[StoredValue]]) async throws -> Void
    ) async throws {
        let keyIndex = keyIndex
        var after: StoredValue?
        while case let rows = try await store.rows(of: self, after: after, limit: batchSize), let last = rows.last {
            try await body(rows)
            after = last[keyIndex]
        }
    }
}

extension StoredRow {
    /// The value at `index` as `kind` holds it.
    package func value(_ index: Int, as kind: VaultTable.Kind) throws -> StoredValue {
        switch kind {
        case .integer: return try int64OrNil(index).map(StoredValue.integer) ?? .null
        case .text: return try textOrNil(index).map(StoredValue.text) ?? .null
        case .bytes: return try bytesOrNil(index).map(StoredValue.bytes) ?? .null
        case .boolean: return try boolOrNil(index).map(StoredValue.boolean) ?? .null
        }
    }
}

/// What `copy` needs of a store besides `VaultStore`: its tables' rows as they are, and a way to write them into
/// a new vault's empty tables.
package protocol VaultRowCopying: VaultStore {
    /// Up to `limit` rows of `table` with keys after `key` (nil: from the first), in key order.
    func rows(of table: VaultTable, after key: StoredValue?, limit: Int) async throws -> [[StoredValue]]
    /// Writes rows into `table`, one transaction per call; deferred columns are written as NULL.
    func insert(_ rows: [[StoredValue]], into table: VaultTable) async throws
    /// Sets deferred columns: `(key, column values)` pairs, one transaction per call.
    func setDeferred(_ rows: [[StoredValue]], of table: VaultTable) async throws
    /// After the copy: whatever the engine keeps beside the rows (PostgreSQL's identity sequences) follows them.
    func finishCopy() async throws
    /// How many rows `table` holds.
    func rowCount(of table: VaultTable) async throws -> Int
}

/// What `copy` moved and what it proved.
public struct CopyReport: Sendable, Encodable {
    public struct Table: Sendable, Encodable {
        public let name: String
        public let sourceRows: Int
        public let copiedRows: Int
        /// BLAKE2b over every row's values, in key order, on each side.
        public let sourceDigest: String
        public let copyDigest: String
        public var matches: Bool { sourceRows == copiedRows && sourceDigest == copyDigest }
    }

    public let source: String
    public let destination: String
    public let tables: [Table]
    /// The audit chain's recorded head (`auditCount`, `auditHead`) on each side.
    public let sourceAuditHead: String
    public let copyAuditHead: String
    public var matches: Bool { tables.allSatisfy(\.matches) && sourceAuditHead == copyAuditHead }
}

package enum VaultCopy {
    /// Copies every row of `source` into `destination` (a new vault's empty tables), `batchSize` rows a
    /// transaction, then reads both back and compares them table by table.
    package static func copy(
        from source: any VaultRowCopying, sourceName: String, to destination: any VaultRowCopying,
        destinationName: String, batchSize: Int, progress: ProgressHandler?
    ) async throws -> CopyReport {
        var copied = 0
        let total = try await totalRows(source)
        for table in VaultTable.all {
            var deferred: [[StoredValue]] = []
            let deferredIndexes = table.columns.indices.filter { table.deferred.contains(table.columns[$0].name) }
            let keyIndex = table.keyIndex
            try await table.forEachBatch(in: source, batchSize: batchSize) { rows in
                try await destination.insert(rows, into: table)
                for row in rows where deferredIndexes.contains(where: { row[$0] != .null }) {
                    deferred.append([row[keyIndex]] + deferredIndexes.map { row[$0] })
                }
                copied += rows.count
                progress?(.storingShare, copied, total)
            }
            for batch in deferred.batches(of: batchSize) { try await destination.setDeferred(Array(batch), of: table) }
        }
        try await destination.finishCopy()
        progress?(.done, copied, total)
        return try await compare(
            source, sourceName: sourceName, destination, destinationName: destinationName, batchSize: batchSize)
    }

    /// Reads both vaults back and compares them table by table: row counts, digests, the audit head.
    package static func compare(
        _ source: any VaultRowCopying, sourceName: String, _ destination: any VaultRowCopying,
        destinationName: String, batchSize: Int
    ) async throws -> CopyReport {
        var tables: [CopyReport.Table] = []
        for table in VaultTable.all {
            let original = try await digest(of: table, in: source, batchSize: batchSize)
            let copy = try await digest(of: table, in: destination, batchSize: batchSize)
            tables.append(
                CopyReport.Table(
                    name: table.name, sourceRows: original.rows, copiedRows: copy.rows, sourceDigest: original.digest,
                    copyDigest: copy.digest))
        }
        return CopyReport(
            source: sourceName, destination: destinationName, tables: tables,
            sourceAuditHead: try await auditHead(source), copyAuditHead: try await auditHead(destination))
    }

    private static func totalRows(_ store: any VaultRowCopying) async throws -> Int {
        var total = 0
        for table in VaultTable.all { total += try await store.rowCount(of: table) }
        return total
    }

    private static func auditHead(_ store: any VaultStore) async throws -> String {
        "\(try await store.metadata("auditCount") ?? "none") \(try await store.metadata("auditHead") ?? "none")"
    }

    /// The table's rows, counted as they are read, and BLAKE2b over them in key order, each value tagged with its
    /// kind and length.
    static func digest(
        of table: VaultTable, in store: any VaultRowCopying, batchSize: Int
    ) async throws -> (rows: Int, digest: String) {
        var hasher = Blake2b()
        var count = 0
        try await table.forEachBatch(in: store, batchSize: batchSize) { rows in
            for row in rows {
                for value in row { hasher.update(encoding(value)) }
            }
            count += rows.count
        }
        return (count, Hex.encode(hasher.finalize()))
    }

    private static func encoding(_ value: StoredValue) -> [UInt8] {
        func tagged(_ tag: UInt8, _ bytes: [UInt8]) -> [UInt8] {
            [tag] + withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) + bytes
        }
        switch value {
        case .null: return [0]
        case .integer(let number): return tagged(1, withUnsafeBytes(of: number.littleEndian, Array.init))
        case .text(let text): return tagged(2, Array(text.utf8))
        case .bytes(let bytes): return tagged(3, bytes)
        case .boolean(let flag): return tagged(4, [flag ? 1 : 0])
        }
    }
}
