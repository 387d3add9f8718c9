import Foundation
import Testing

/// `verify --shard K/N` as processes: N of them at once, on one vault, check every pair once between them.
@Suite struct ShardCommandTests {
    static func checked(_ result: CommandResult) throws -> (checked: Int, shard: String?) {
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (report["checked"] as? Int ?? -1, report["shard"] as? String)
    }

    @Test func threeProcessesOnOnePostgreSQLVaultCheckEveryPairOnce() async throws {
        let scratch = try ScratchDirectory()
        let (_, store) = try await PostgresServeTests.newVault(scratch)
        let made = try Sharevault.run(
            [
                "create", "--client-id", "shard", "--count", "30", "--curve", "all", "--method", "GDRIVE",
                "--key-store",
                scratch.path("keys"),
            ] + store)
        #expect(made.status == 0, "\(made.stderr)")
        let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
            for index in 1...3 {
                group.addTask { try Sharevault.run(["verify", "--shard", "\(index)/3", "--json"] + store) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let runs = try results.map(Self.checked)
        #expect(Set(runs.compactMap(\.shard)) == ["1/3", "2/3", "3/3"])
        #expect(runs.map(\.checked).reduce(0, +) == 60)
        #expect(runs.allSatisfy { $0.checked > 0 })
        let list = try Sharevault.run(["list", "--json"] + store)
        let pairs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(pairs.count == 60 && pairs.allSatisfy { $0["lastVerifiedAt"] is String })
    }

    @Test(arguments: ["0/2", "3/2", "2", "1/0", "x/y", "+1/2", "1/2000000"])
    func aBadShardIsBadUsage(shard: String) throws {
        let scratch = try ScratchDirectory()
        #expect(try Sharevault.run(["init", "--vault", scratch.path("v.db")]).status == 0)
        let result = try Sharevault.run(["verify", "--shard", shard, "--vault", scratch.path("v.db")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("not a shard"), "\(result.stderr)")
        let withClient = try Sharevault.run([
            "verify", "--shard", "1/2", "--client-id", "c", "--vault", scratch.path("v.db"),
        ])
        #expect(withClient.status == 2)
    }
}
