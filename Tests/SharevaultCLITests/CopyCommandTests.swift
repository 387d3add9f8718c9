import Foundation
import Testing

/// `sharevault copy --to URL`: SQLite to PostgreSQL and back gives a vault that lists, inspects and audits as the
/// original does; a destination that holds a vault, or names the source, is refused with nothing written.
@Suite struct CopyCommandTests {
    @Test func sqliteToPostgreSQLAndBackMatchesTheOriginal() async throws {
        let scratch = try ScratchDirectory()
        let original = ["--vault", scratch.path("a.db")]
        #expect(try Sharevault.run(["init"] + original).status == 0)
        let made = try Sharevault.run(
            [
                "create", "--client-id", "c", "--count", "8", "--curve", "all", "--method", "GDRIVE", "--method",
                "PASSWORD", "--key-store", scratch.path("keys"), "--password-file",
                try scratch.write("pw", "hunter2\n"),
            ]
                + original)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(
            try Sharevault.run(
                ["drill", "--sample", "3", "--key-store", scratch.path("keys"), "--password-file", scratch.path("pw")]
                    + original
            ).status == 0)

        let database = try await StoreOptionTests.newDatabase()
        let there = try Sharevault.run(["copy", "--to", database, "--json"] + original)
        #expect(there.status == 0, "\(there.stdout)\(there.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [String: Any] ?? [:]
        let tables = report["tables"] as? [[String: Any]] ?? []
        #expect(tables.count == 9)
        #expect(tables.first { $0["name"] as? String == "backupPair" }?["copiedRows"] as? Int == 32)

        let back = try Sharevault.run(["copy", "--store", database, "--to", "sqlite:" + scratch.path("b.db")])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        #expect(back.stdout.contains("audit head matches"))
        let key = ["--vault-key", scratch.path("a.db.key")]
        let copies = [original, ["--store", database] + key, ["--vault", scratch.path("b.db")] + key]
        for command in [["list", "--json"], ["inspect", "c-3", "--json"], ["audit", "--verify"]] {
            let outputs = try copies.map { try Sharevault.run(command + $0) }
            #expect(outputs.allSatisfy { $0.status == 0 }, "\(command): \(outputs.map(\.stderr))")
            #expect(Set(outputs.map(\.stdout)).count == 1, "\(command) differs between the copies")
        }
    }

    @Test func aDestinationThatHoldsAVaultOrIsTheSourceIsRefused() async throws {
        let scratch = try ScratchDirectory()
        let original = ["--vault", scratch.path("a.db")]
        #expect(try Sharevault.run(["init"] + original).status == 0)
        #expect(try Sharevault.run(["init", "--vault", scratch.path("b.db")]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.path("b.db")))
        let onto = try Sharevault.run(["copy", "--to", "sqlite:" + scratch.path("b.db")] + original)
        #expect(onto.status == 2)
        #expect(onto.stderr.contains("already exists"), "\(onto.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("b.db"))) == before)

        let itself = try Sharevault.run(["copy", "--to", "sqlite:" + scratch.path("a.db")] + original)
        #expect(itself.status == 2)

        let database = try await StoreOptionTests.newDatabase()
        #expect(try Sharevault.run(["init", "--store", database, "--vault-key", scratch.path("d.key")]).status == 0)
        let ontoDatabase = try Sharevault.run(["copy", "--to", database] + original)
        #expect(ontoDatabase.status == 2)
        #expect(ontoDatabase.stderr.contains("already exists"), "\(ontoDatabase.stderr)")

        let malformed = try Sharevault.run(["copy", "--to", "postgres://user:pw@127.0.0.1/x"] + original)
        #expect(malformed.status == 2)
        let unreachable = try Sharevault.run(["copy", "--to", "postgres://user@127.0.0.1:1/x"] + original)
        #expect(unreachable.status == 3)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("c.db")))
    }
}
