import Foundation
import PostgresNIO
import SharevaultTestSupport
import Testing

/// `--store URL`, `$SHAREVAULT_STORE` and `--vault-key` on every command: a malformed or ambiguous location, a
/// password on the command line, a server that cannot be reached and a database with no vault are refused with
/// their exit status and a clear message, and nothing is written.
@Suite struct StoreOptionTests {
    @Test(arguments: [
        ("postgres://user:secret@127.0.0.1:5432/vault", "holds a password"),
        ("postgres://127.0.0.1/vault", "names no user"),
        ("postgres://user@127.0.0.1", "names no database"),
        ("postgres://user@127.0.0.1:70000/vault", "port out of range"),
        ("postgres://user@127.0.0.1/vault?sslmode=require", "options after the database"),
        ("mysql://user@127.0.0.1/vault", "expected sqlite:PATH or postgres://"),
        ("sqlite:", "needs a path"),
        ("vault.db", "expected sqlite:PATH or postgres://"),
    ])
    func aMalformedStoreIsBadUsage(store: String, message: String) throws {
        let scratch = try ScratchDirectory()
        for arguments in [["list", "--store", store], ["init", "--store", store, "--vault-key", scratch.path("k")]] {
            let result = try Sharevault.run(arguments, in: scratch.url)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!result.stderr.contains("secret"), "the password was echoed: \(result.stderr)")
        }
        let fromEnvironment = try Sharevault.run(["list"], in: scratch.url, environment: ["SHAREVAULT_STORE": store])
        #expect(fromEnvironment.status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test func aStoreAndAVaultFileTogetherAreAmbiguous() throws {
        let scratch = try ScratchDirectory()
        let both = try Sharevault.run(["list", "--store", "sqlite:a.db", "--vault", "b.db"], in: scratch.url)
        #expect(both.status == 2)
        #expect(both.stderr.contains("--store and --vault both name a vault"))
    }

    @Test func sqliteColonIsTheSameVaultAsVault() throws {
        let scratch = try ScratchDirectory()
        #expect(try Sharevault.run(["init", "--store", "sqlite:v.db"], in: scratch.url).status == 0)
        #expect(FileManager.default.fileExists(atPath: scratch.path("v.db.key")))
        let listed = try Sharevault.run(["list", "--vault", "v.db"], in: scratch.url)
        #expect(listed.status == 0)
        let viaEnvironment = try Sharevault.run(
            ["audit", "--verify"], in: scratch.url, environment: ["SHAREVAULT_STORE": "sqlite:v.db"])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
    }

    @Test func aServerThatCannotBeReachedIsTheEnvironmentsFault() throws {
        // Port 1 on loopback: nothing listens there.
        let result = try Sharevault.run(["list", "--store", "postgres://sharevault@127.0.0.1:1/vault"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("cannot reach PostgreSQL"), "\(result.stderr)")
    }

    @Test func aDatabaseVaultNeedsItsKeyNamedAndADatabaseWithoutAVaultIsRefused() async throws {
        let scratch = try ScratchDirectory()
        let empty = try await Self.newDatabase()
        // No --vault-key: nothing is made, no key file either.
        let noKey = try Sharevault.run(["init", "--store", empty], in: scratch.url)
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains("--vault-key"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        // A database with no vault: refused by a reading and a writing command, and left without a table.
        for arguments in [["list"], ["verify"], ["ingest", "client", "--client-id", "c", "--method", "GDRIVE", "-"]] {
            let result = try Sharevault.run(arguments + ["--store", empty], in: scratch.url, stdin: Data("x".utf8))
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("no vault here"), "\(result.stderr)")
        }
        let tables = try await Database.run(empty) { connection in
            try await connection.query(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                logger: Database.logger
            ).collect().first?.decode(Int64.self)
        }
        #expect(tables == 0)
        // Made with its key, it is refused a second time and opened only with that key.
        #expect(
            try Sharevault.run(["init", "--store", empty, "--vault-key", scratch.path("a.key")]).status == 0)
        let again = try Sharevault.run(["init", "--store", empty, "--vault-key", scratch.path("b.key")])
        #expect(again.status == 2)
        #expect(again.stderr.contains("a vault already exists"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("b.key")))
        let other = try await Self.newDatabase()
        #expect(try Sharevault.run(["init", "--store", other, "--vault-key", scratch.path("c.key")]).status == 0)
        let wrongKey = try Sharevault.run(["audit", "--head", "--store", empty, "--vault-key", scratch.path("c.key")])
        #expect(wrongKey.status == 3)
        #expect(wrongKey.stderr.contains("c.key"), "\(wrongKey.stderr)")
    }

    /// A new, empty database on the test server.
    static func newDatabase() async throws -> String {
        try await TestPostgres.newDatabase(prefix: "store").description
    }
}
