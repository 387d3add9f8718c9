import Foundation
import GRDB

/// `copy`'s reads and writes of whole rows on SQLite.
extension SQLiteVaultStore: VaultRowCopying {
    package func rows(of table: VaultTable, after key: StoredValue?, limit: Int) async throws -> [[StoredValue]] {
        let sql =
            "SELECT \(table.columnList) FROM \(table.name)"
            + (key == nil ? "" : " WHERE \(table.key) > ?") + " ORDER BY \(table.key) LIMIT ?"
        let values: [DatabaseValue] = (key.map { [Self.databaseValue($0)] } ?? []) + [limit.databaseValue]
        let arguments = StatementArguments(values)
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                try table.columns.indices.map { try row.value($0, as: table.columns[$0].kind) }
            }
        }
    }

    package func insert(_ rows: [[StoredValue]], into table: VaultTable) async throws {
        let sql =
            "INSERT INTO \(table.name) (\(table.columnList)) VALUES ("
            + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        let values = rows.map { row in
            zip(table.columns, row).map { column, value in
                table.deferred.contains(column.name) ? DatabaseValue.null : Self.databaseValue(value)
            }
        }
        try await write { db in
            let statement = try db.makeStatement(sql: sql)
            for row in values { try statement.execute(arguments: StatementArguments(row)) }
        }
    }

    package func setDeferred(_ rows: [[StoredValue]], of table: VaultTable) async throws {
        let columns = table.columns.map(\.name).filter(table.deferred.contains)
        let sql =
            "UPDATE \(table.name) SET " + columns.map { "\($0) = ?" }.joined(separator: ", ")
            + " WHERE \(table.key) = ?"
        let values = rows.map { row in Array(row.dropFirst()).map(Self.databaseValue) + [Self.databaseValue(row[0])] }
        try await write { db in
            let statement = try db.makeStatement(sql: sql)
            for row in values { try statement.execute(arguments: StatementArguments(row)) }
        }
    }

    package func finishCopy() async throws {}

    package func rowCount(of table: VaultTable) async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
    }

    static func databaseValue(_ value: StoredValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        case .bytes(let bytes): return Data(bytes).databaseValue
        case .boolean(let flag): return flag.databaseValue
        }
    }
}
