import Foundation
import Logging
import PostgresNIO
import ShareMath
import ShareVault
import SharevaultTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Several `sharevault serve` processes on one PostgreSQL database (DESIGN section 7): racing deliveries of the
/// same share and of different shares for the same client to both leave one live pair per client, method and
/// curve, every replaced pair in history and one audit chain; a SIGKILL of one of them in the middle of a write
/// loses nothing it acknowledged. The server is `.ci/test`'s throwaway cluster (`SHAREVAULT_TEST_POSTGRES`).
@Suite(.serialized) struct PostgresServeTests {
    /// A new database on the test server with a vault in it, its key in `scratch`.
    static func newVault(_ scratch: ScratchDirectory) async throws -> (url: String, store: [String]) {
        let url = try await TestPostgres.newDatabase(prefix: "serve").description
        let store = ["--store", url, "--vault-key", scratch.path("vault.key")]
        let made = try Sharevault.run(["init"] + store)
        #expect(made.status == 0, "\(made.stderr)")
        return (url, store)
    }

    /// Delivers every body, at most `inFlight` at once, each to its server; the statuses in order.
    static func deliver(_ deliveries: [(ServeCommandTests.Server, Data)], inFlight: Int = 48) async -> [Int] {
        await withTaskGroup(of: (Int, Int).self) { group in
            var statuses = [Int](repeating: 0, count: deliveries.count)
            var next = 0
            func start() {
                guard next < deliveries.count else { return }
                let (index, (server, body)) = (next, deliveries[next])
                group.addTask { (index, await server.deliver(body)) }
                next += 1
            }
            for _ in 0..<inFlight { start() }
            for await (index, status) in group {
                statuses[index] = status
                start()
            }
            return statuses
        }
    }

    @Test func twoServersTakeRacingDeliveriesAndKeepOneLivePairPerClient() async throws {
        let scratch = try ScratchDirectory()
        let (url, store) = try await Self.newVault(scratch)
        let servers = [
            try ServeCommandTests.Server(scratch: scratch, store: store),
            try ServeCommandTests.Server(scratch: scratch, store: store),
        ]
        // 1,250 clients, four deliveries each: two different shares of the client's key, each sent to both
        // servers, all in flight together in a shuffled order.
        let clients = 1250
        var deliveries: [(ServeCommandTests.Server, Data)] = []
        for client in 0..<clients {
            let (first, second) = try TestWebhooks.twoDealings()
            for dealing in [first, second] {
                let body = TestWebhooks.body("race-\(client)", dealing)
                deliveries += servers.map { ($0, body) }
            }
        }
        deliveries.shuffle()
        let statuses = await Self.deliver(deliveries)
        #expect(statuses.count == 5000)
        #expect(
            statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")

        let counts = try await Database.run(url) { connection in
            try await connection.query(
                """
                SELECT (SELECT COUNT(*) FROM client), (SELECT COUNT(*) FROM backupPair),
                    (SELECT COUNT(*) FROM backupPair WHERE isLive),
                    (SELECT COUNT(*) FROM backupPair WHERE NOT isLive AND replacedById IS NOT NULL),
                    (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM backupPair WHERE isLive GROUP BY walletId, method) l),
                    (SELECT COUNT(*) FROM auditEvent)
                """, logger: Database.logger
            ).collect().first.map { try $0.decode((Int64, Int64, Int64, Int64, Int64, Int64).self) }
        }
        let (clientRows, pairs, live, replaced, mostLive, events) = try #require(counts)
        #expect(clientRows == Int64(clients))
        // Each share stored exactly once (its repeat to the other server found it), the later of the two live.
        #expect(pairs == Int64(2 * clients))
        #expect(live == Int64(clients))
        #expect(replaced == Int64(clients))
        #expect(mostLive == 1)
        // init, then an ingest and a replace per client: one chain, no fork.
        #expect(events == Int64(1 + 2 * clients))
        let audit = try Sharevault.run(["audit", "--verify"] + store)
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let verify = try Sharevault.run(["verify", "--json"] + store)
        #expect(verify.status == 1, "incomplete pairs (no client half yet) are reported: \(verify.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["checked"] as? Int == clients)
        #expect((report["bookkeepingProblems"] as? [Any])?.isEmpty == true)
        #expect(report["auditChainIntact"] as? Bool == true)
    }

    @Test func aSIGKILLOfOneServerMidWriteLosesNothingAcknowledged() async throws {
        let scratch = try ScratchDirectory()
        let (url, store) = try await Self.newVault(scratch)
        let survivor = try ServeCommandTests.Server(scratch: scratch, store: store)
        let victim = try ServeCommandTests.Server(scratch: scratch, store: store)
        let bodies = try (0..<1200).map { index in TestWebhooks.body("kill-\(index)", try TestWebhooks.twoDealings().0)
        }
        let probe = try await WriteLockProbe(url: url, victim: victim.process.processIdentifier)
        let rollbacksBefore = try await probe.rollbacks()

        // Every other delivery to the victim; the probe kills it inside a write transaction, once a first
        // hundred pairs are stored.
        async let killed = probe.killWhileHoldingTheLock(afterStored: 100)
        let statuses = await Self.deliver(
            bodies.enumerated().map { index, body in (index % 2 == 0 ? victim : survivor, body) })
        let killedMidWrite = (try? await killed) ?? false
        // A probe that never killed (or failed) leaves the victim running: end it, so the test does not wait on it.
        if !killedMidWrite { kill(victim.process.processIdentifier, SIGKILL) }
        victim.process.waitUntilExit()
        #expect(killedMidWrite, "the probe never saw the victim inside a write transaction")
        #expect(victim.process.terminationReason == .uncaughtSignal)
        // The victim's transaction was open when it died: its backend rolled it back.
        try await probe.waitForVictimBackendsToEnd()
        #expect(try await probe.rollbacks() > rollbacksBefore, "no transaction of the victim's was cut short")

        let acknowledged = Set(statuses.enumerated().filter { $0.element == 200 }.map { "kill-\($0.offset)" })
        let toVictim = statuses.enumerated().filter { $0.offset % 2 == 0 }
        #expect(toVictim.contains { $0.element == 200 } && toVictim.contains { $0.element != 200 })
        #expect(statuses.enumerated().filter { $0.offset % 2 == 1 }.allSatisfy { $0.element == 200 })
        let stored = try await Database.run(url) { connection in
            var ids: [String: Int] = [:]
            let rows = try await connection.query(
                """
                SELECT c.clientId, COUNT(*) FROM backupPair p JOIN wallet w ON w.id = p.walletId
                JOIN client c ON c.id = w.clientRowId GROUP BY c.clientId
                """, logger: Database.logger)
            for try await (id, count) in rows.decode((String, Int64).self) { ids[id] = Int(count) }
            return ids
        }
        let lost = acknowledged.subtracting(stored.keys)
        #expect(lost.isEmpty, "answered 200 but lost: \(lost.sorted().prefix(5))")
        #expect(stored.values.allSatisfy { $0 == 1 }, "a delivery stored twice")
        let audit = try Sharevault.run(["audit", "--verify"] + store)
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
    }
}

/// Watches, over its own connection, whether a process's backend holds the vault's write lock (the advisory
/// lock every write transaction takes first), to SIGKILL it inside a write.
final class WriteLockProbe: Sendable {
    let url: String
    let victim: Int32

    init(url: String, victim: Int32) async throws {
        self.url = url
        self.victim = victim
    }

    /// Rolled-back transactions on the vault's database so far.
    func rollbacks() async throws -> Int64 {
        try await Database.run(url) { connection in
            try await connection.query(
                "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()",
                logger: Database.logger
            ).collect().first?.decode(Int64.self) ?? 0
        }
    }

    /// Once `stored` pairs are in the vault (both servers have been answering), polls until the victim's backend
    /// holds the advisory lock inside a transaction it can no longer finish, then SIGKILLs the victim; true when
    /// it did.
    func killWhileHoldingTheLock(afterStored stored: Int, timeout: Duration = .seconds(60)) async throws -> Bool {
        let name = "sharevault \(victim)"
        return try await Database.run(url) { connection in
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline,
                try await connection.query("SELECT COUNT(*) FROM backupPair", logger: Database.logger)
                    .collect().first?.decode(Int64.self) ?? 0 < stored
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            while ContinuousClock.now < deadline {
                guard try await self.holdingTheLock(connection, name) else {
                    try await Task.sleep(for: .milliseconds(2))
                    continue
                }
                // Frozen, the victim can send nothing more: if its transaction still holds the lock a moment
                // later (a COMMIT already on its way has landed by then), the kill cuts it open. Else it
                // committed meanwhile: let it go on and look again. It never stays frozen past this.
                kill(victim, SIGSTOP)
                let stillHolding: Bool
                do {
                    try await Task.sleep(for: .milliseconds(50))
                    stillHolding = try await self.holdingTheLock(connection, name)
                } catch {
                    kill(victim, SIGCONT)
                    throw error
                }
                if stillHolding {
                    kill(victim, SIGKILL)
                    return true
                }
                kill(victim, SIGCONT)
            }
            return false
        }
    }

    /// Whether a backend of the process named `name` holds the vault's write lock (an advisory lock, held for a
    /// transaction).
    private func holdingTheLock(_ connection: PostgresConnection, _ name: String) async throws -> Bool {
        let holding =
            try await connection.query(
                """
                SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = \(name)
                """, logger: Database.logger
            ).collect().first?.decode(Int64.self) ?? 0
        return holding > 0
    }

    /// Waits until the server has noticed the victim is gone (its backends have exited and their statistics
    /// are flushed).
    func waitForVictimBackendsToEnd() async throws {
        let name = "sharevault \(victim)"
        try await Database.run(url) { connection in
            for _ in 0..<500 {
                let left =
                    try await connection.query(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = \(name)",
                        logger: Database.logger
                    ).collect().first?.decode(Int64.self) ?? 0
                if left == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

/// A connection of the test's own to a database on the test server, by URL text.
enum Database {
    static let logger = TestPostgres.logger

    static func run<T: Sendable>(_ url: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await TestPostgres.run(try PostgresURL(parsing: url, password: nil), body)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
