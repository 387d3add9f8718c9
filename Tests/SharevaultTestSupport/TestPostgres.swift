import Foundation
import Logging
import PostgresNIO
import ShareVault

/// The tests' PostgreSQL server: `.ci/test` (README's test command) starts a throwaway cluster and names it in
/// `SHAREVAULT_TEST_POSTGRES`. Without it the tests that need it fail saying so; they never skip.
public enum TestPostgres {
    public static let logger = Logger(label: "sharevault.tests")

    /// The server's URL, from `SHAREVAULT_TEST_POSTGRES`.
    public static func serverURL() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["SHAREVAULT_TEST_POSTGRES"], !text.isEmpty else {
            throw TestPostgresError(
                "SHAREVAULT_TEST_POSTGRES is not set: run the tests with `bash .ci/test` (README), which starts a "
                    + "throwaway PostgreSQL server, or set it to a server's postgres:// URL")
        }
        return try PostgresURL(parsing: text, password: ProcessInfo.processInfo.environment["PGPASSWORD"])
    }

    /// A new, empty database on the server, as a URL.
    public static func newDatabase(prefix: String = "sv") async throws -> PostgresURL {
        let server = try serverURL()
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await run(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return try PostgresURL(
            parsing: "postgres://\(server.user)@\(server.host):\(server.port)/\(name)",
            password: ProcessInfo.processInfo.environment["PGPASSWORD"])
    }

    /// Runs `body` on a connection of the tests' own to the database at `url`.
    public static func run<T: Sendable>(
        _ url: PostgresURL, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: url.host, port: url.port, username: url.user,
                password: ProcessInfo.processInfo.environment["PGPASSWORD"], database: url.database, tls: .disable),
            id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
