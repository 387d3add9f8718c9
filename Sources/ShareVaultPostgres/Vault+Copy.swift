import Foundation
import ShareVault

extension Vault {
    /// Copies the whole vault into a new vault at `location` (SQLite to PostgreSQL, or back), `batchSize` rows a
    /// transaction, every row as it is (custodian shares stay sealed under the same vault key, which opens the copy
    /// too), then reads both back and compares them table by table: row counts, a digest over every row's values,
    /// and the audit chain's recorded head. A new vault file is removed if the copy fails; a database is left for
    /// its owner to drop or empty.
    public func copy(
        to location: StoreLocation, batchSize: Int = 1000, progress: ProgressHandler? = nil
    ) async throws -> CopyReport {
        guard let source = store as? any VaultRowCopying else {
            preconditionFailure("every store can copy its rows")
        }
        let destination: any VaultRowCopying
        switch location {
        case .sqlite(let path):
            destination = try SQLiteVaultStore(path: path, create: true)
        case .postgres(let url):
            destination = try await PostgresVaultStore.open(url, create: true)
        }
        do {
            for table in VaultTable.all where try await destination.rowCount(of: table) > 0 {
                throw VaultError.vaultExists(path: location.description)
            }
            let report = try await VaultCopy.copy(
                from: source, sourceName: path, to: destination, destinationName: location.description,
                batchSize: batchSize, progress: progress)
            logger.info(
                "copied vault", metadata: ["to": "\(location)", "matches": "\(report.matches)"])
            return report
        } catch {
            if case .sqlite(let path) = location {
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            }
            throw error
        }
    }
}
