import Foundation
import ShareMath
import Testing

@testable import ShareVault

/// Group commit's promises: writes that wait while a commit runs go together in the next one, each answered with
/// its own outcome; a lone write goes alone; one write the database cannot take fails alone.
@Suite struct GroupCommitTests {
    /// A door the first commit waits at, so that the test knows what arrives while it runs.
    actor Gate {
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private var isOpen = false

        func pass() async {
            if isOpen { return }
            await withCheckedContinuation { waiters.append($0) }
        }

        func open() {
            isOpen = true
            for waiter in waiters { waiter.resume() }
            waiters.removeAll()
        }
    }

    /// What the commit closure was handed, batch by batch.
    actor Ledger {
        private(set) var batches: [[Int]] = []
        func record(_ batch: [Int]) -> Int {
            batches.append(batch)
            return batches.count
        }
    }

    struct DatabaseFailure: Error {}

    /// A commit that answers item n with n * 10 (refusing negative items), holds its first batch at `gate`, and
    /// fails as a whole any batch of more than one that holds `poison`.
    static func commit(ledger: Ledger, gate: Gate, poison: Int? = nil) -> GroupCommit<Int, Int>.Commit {
        { batch in
            if await ledger.record(batch) == 1 { await gate.pass() }
            if let poison, batch.contains(poison) { throw DatabaseFailure() }
            return batch.map { $0 < 0 ? .failure(.unknownClient("\($0)")) : .success($0 * 10) }
        }
    }

    /// Submits `items` at once, after `first` holds the commit, and waits until all are queued.
    static func submitWhileHeld(
        _ group: GroupCommit<Int, Int>, ledger: Ledger, first: Int, items: [Int]
    ) async -> [Task<Int, any Error>] {
        let head = Task { try await group.submit(first) }
        while await ledger.batches.isEmpty { await Task.yield() }
        var tasks = [head]
        for item in items { tasks.append(Task { try await group.submit(item) }) }
        while await group.pending < items.count { await Task.yield() }
        return tasks
    }

    @Test func writesThatWaitGoTogetherEachWithItsOwnAnswer() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        let group = GroupCommit<Int, Int>(commit: Self.commit(ledger: ledger, gate: gate))
        let items = Array(1...40).shuffled()
        let tasks = await Self.submitWhileHeld(group, ledger: ledger, first: 0, items: items)
        await gate.open()
        for (task, item) in zip(tasks, [0] + items) { #expect(try await task.value == item * 10) }
        let batches = await ledger.batches
        #expect(batches.count == 2)
        #expect(batches.first == [0])
        #expect(Set(batches.last ?? []) == Set(items) && batches.last?.count == items.count)
        let (committed, written) = (await group.batches, await group.items)
        #expect(committed == 2 && written == 41)
    }

    @Test func aLoneWriteGoesAloneAndAtOnce() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        await gate.open()
        let group = GroupCommit<Int, Int>(commit: Self.commit(ledger: ledger, gate: gate))
        for item in 1...5 { #expect(try await group.submit(item) == item * 10) }
        #expect(await ledger.batches == [[1], [2], [3], [4], [5]])
    }

    @Test func aBatchNeverHoldsMoreThanItsMaximum() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        let group = GroupCommit<Int, Int>(maximumBatch: 16, commit: Self.commit(ledger: ledger, gate: gate))
        let items = Array(1...40)
        let tasks = await Self.submitWhileHeld(group, ledger: ledger, first: 0, items: items)
        await gate.open()
        for (task, item) in zip(tasks, [0] + items) { #expect(try await task.value == item * 10) }
        #expect(await ledger.batches.map(\.count) == [1, 16, 16, 8])
        #expect(await ledger.batches.dropFirst().flatMap { $0 }.sorted() == items)
    }

    @Test func aRefusalIsItsWriteAloneAndTheOthersLand() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        let group = GroupCommit<Int, Int>(commit: Self.commit(ledger: ledger, gate: gate))
        let items = [1, 2, -3, 4]
        let tasks = await Self.submitWhileHeld(group, ledger: ledger, first: 0, items: items)
        await gate.open()
        for (task, item) in zip(tasks, [0] + items) {
            if item < 0 {
                await #expect(throws: VaultError.unknownClient("\(item)")) { try await task.value }
            } else {
                #expect(try await task.value == item * 10)
            }
        }
        // The refusal came from the batch's own commit: no retry.
        #expect(await ledger.batches.count == 2)
    }

    @Test func aBatchTheDatabaseFailsIsTriedAgainOneWriteAtATime() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        let group = GroupCommit<Int, Int>(commit: Self.commit(ledger: ledger, gate: gate, poison: 7))
        let items = [5, 6, 7, 8]
        let tasks = await Self.submitWhileHeld(group, ledger: ledger, first: 0, items: items)
        await gate.open()
        for (task, item) in zip(tasks, [0] + items) {
            if item == 7 {
                await #expect(throws: DatabaseFailure.self) { try await task.value }
            } else {
                #expect(try await task.value == item * 10)
            }
        }
        let batches = await ledger.batches
        #expect(batches.count == 2 + items.count)
        #expect(Set(batches[1]) == Set(items))
        #expect(batches.dropFirst(2).map { $0.count } == [1, 1, 1, 1])
    }

    @Test func aBatchTheStoreCouldNotTakeFailsWholeAtOnce() async throws {
        let (ledger, gate) = (Ledger(), Gate())
        let locked = VaultError.vaultLocked(path: "v.db")
        let group = GroupCommit<Int, Int> { batch in
            if await ledger.record(batch) == 1 { await gate.pass() }
            if batch.count > 1 { throw locked }
            return batch.map { .success($0 * 10) }
        }
        let items = [1, 2, 3]
        let tasks = await Self.submitWhileHeld(group, ledger: ledger, first: 0, items: items)
        await gate.open()
        #expect(try await tasks[0].value == 0)
        for task in tasks.dropFirst() {
            await #expect(throws: VaultError.vaultLocked(path: "v.db")) { try await task.value }
        }
        // Not tried again one at a time: each would wait out the lock in turn.
        #expect(await ledger.batches.count == 2)
    }

    @Test(.timeLimit(.minutes(1))) func aLateAnswerIsCancelledNotAwaited() async throws {
        let cancelled = Gate()
        let result = await answer(within: .milliseconds(50)) { () async throws -> Int in
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                await cancelled.open()
                throw error
            }
            return 1
        }
        #expect(result == nil)
        // The slow call was told to stop.
        await cancelled.pass()
        let quick = await answer(within: .seconds(10)) { 7 }
        #expect(try quick?.get() == 7)
    }
}
