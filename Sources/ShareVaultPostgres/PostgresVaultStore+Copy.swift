import Foundation
import PostgresNIO
import ShareVault

/// `copy`'s reads and writes of whole rows on PostgreSQL.
extension PostgresVaultStore: VaultRowCopying {
    package func rows(of table: VaultTable, after key: StoredValue?, limit: Int) async throws -> [[StoredValue]] {
        var binds = PostgresBindings()
        if let key { Self.append(key, to: &binds) }
        binds.append(Int64(limit))
        let sql =
            "SELECT \(table.columnList) FROM \(table.name)"
            + (key == nil
                ? " ORDER BY \(table.key) LIMIT $1" : " WHERE \(table.key) > $1 ORDER BY \(table.key) LIMIT $2")
        return try await read { connection in
            try await connection.all(PostgresQuery(unsafeSQL: sql, binds: binds), self.logger).map { row in
                try table.columns.indices.map { try row.value($0, as: table.columns[$0].kind) }
            }
        }
    }

    package func insert(_ rows: [[StoredValue]], into table: VaultTable) async throws {
        let sql =
            "INSERT INTO \(table.name) (\(table.columnList)) VALUES ("
            + table.columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ") + ")"
        try await write { connection in
            for row in rows {
                var binds = PostgresBindings()
                for (column, value) in zip(table.columns, row) {
                    Self.append(table.deferred.contains(column.name) ? .null : value, kind: column.kind, to: &binds)
                }
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            }
        }
    }

    package func setDeferred(_ rows: [[StoredValue]], of table: VaultTable) async throws {
        let columns = table.columns.filter { table.deferred.contains($0.name) }
        let sql =
            "UPDATE \(table.name) SET "
            + columns.indices.map { "\(columns[$0].name) = $\($0 + 1)" }.joined(separator: ", ")
            + " WHERE \(table.key) = $\(columns.count + 1)"
        try await write { connection in
            for row in rows {
                var binds = PostgresBindings()
                for (column, value) in zip(columns, row.dropFirst()) {
                    Self.append(value, kind: column.kind, to: &binds)
                }
                Self.append(row[0], to: &binds)
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            }
        }
    }

    /// The identity sequences move past the copied ids, so the next row made gets a new one.
    package func finishCopy() async throws {
        try await write { connection in
            for table in VaultTable.all where table.assignsIds {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table.name.lowercased())', 'id'),
                                COALESCE((SELECT MAX(id) FROM \(table.name)), 0) + 1, false)
                            """), logger: self.logger)
            }
        }
    }

    package func rowCount(of table: VaultTable) async throws -> Int {
        try await read { connection in
            try await connection.first(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table.name)"), self.logger)?
                .int(0) ?? 0
        }
    }

    /// Binds a value; a NULL takes the column's type, so the server need not guess it.
    static func append(_ value: StoredValue, kind: VaultTable.Kind? = nil, to binds: inout PostgresBindings) {
        switch (value, kind) {
        case (.integer(let number), _): binds.append(number)
        case (.text(let text), _): binds.append(text)
        case (.bytes(let bytes), _): binds.append(ByteBuffer(bytes: bytes))
        case (.boolean(let flag), _): binds.append(flag)
        case (.null, .integer?): binds.append(Int64?.none)
        case (.null, .bytes?): binds.append(ByteBuffer?.none)
        case (.null, .boolean?): binds.append(Bool?.none)
        case (.null, _): binds.append(String?.none)
        }
    }
}
