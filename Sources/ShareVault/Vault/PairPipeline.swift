import Dispatch
import Foundation
import Synchronization

extension Vault {
    /// Streams pairs through `check` on up to `parallelism` cores, batch by batch, so memory stays flat: while
    /// one batch is checked, the next is read and the one before is handed to `record`, each on its own queue.
    ///
    /// `next` is given the batch before (nil at the start) and returns the following one, empty when done.
    /// `record` runs on one queue, a batch at a time and in order; its first error stops the run. `progress`
    /// is told how many pairs have been checked after each batch.
    func streamPairs<Outcome: Sendable>(
        parallelism: Int,
        next: @escaping @Sendable (_ previous: [StoredPair]?) throws -> [StoredPair],
        check: @Sendable (StoredPair) -> Outcome,
        record: @escaping @Sendable (_ batch: [StoredPair], _ outcomes: [Outcome]) throws -> Void,
        progress: (_ checked: Int) -> Void
    ) throws {
        let reader = DispatchQueue(label: "sharevault.pairs.reader")
        let writer = DispatchQueue(label: "sharevault.pairs.writer")
        let writes = DispatchGroup()
        let writeFailure = ResultSlots<Void>(count: 1)
        writeFailure.set(0, .success(()))
        func read(after previous: [StoredPair]?) -> ResultSlots<[StoredPair]> {
            let slot = ResultSlots<[StoredPair]>(count: 1, pending: true)
            reader.async { slot.set(0, Result { try next(previous) }) }
            return slot
        }
        // Whatever happens, no write is left running when this returns.
        defer { writes.wait() }
        var checked = 0
        var pending = read(after: nil)
        while true {
            let batch = try pending.wait()
            guard !batch.isEmpty else { break }
            pending = read(after: batch)
            let results = ResultSlots<Outcome>(count: batch.count)
            // Each worker takes the next unchecked pair, so one slowed by the reader or writer sharing its core
            // does not hold the others back at the batch's end.
            let nextIndex = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: max(1, min(parallelism, batch.count))) { _ in
                while case let index = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue, index < batch.count {
                    results.set(index, .success(check(batch[index])))
                }
            }
            let outcomes = try results.values()
            writes.wait()
            _ = try writeFailure.values()
            writer.async(group: writes) { writeFailure.set(0, Result { try record(batch, outcomes) }) }
            checked += batch.count
            progress(checked)
        }
        writes.wait()
        _ = try writeFailure.values()
    }
}
