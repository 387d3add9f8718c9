extension Vault {
    /// Streams pairs through `check` on up to `parallelism` cores, batch by batch, so memory stays flat: while
    /// one batch is checked, the next is read and the one before is handed to `record`.
    ///
    /// `next` is given the batch before (nil at the start) and returns the following one, empty when done.
    /// `record` gets a batch at a time, in order, after the batch before it was recorded; its first error stops the
    /// run. `progress` is told how many pairs have been checked after each batch. Reads and writes are awaited
    /// (the store does the waiting on its own queues), so every task thread is free to check.
    func streamPairs<Outcome: Sendable>(
        parallelism: Int,
        next: @escaping @Sendable (_ previous: [StoredPair]?) async throws -> [StoredPair],
        check: @escaping @Sendable (StoredPair) -> Outcome,
        record: @escaping @Sendable (_ batch: [StoredPair], _ outcomes: [Outcome]) async throws -> Void,
        progress: (_ checked: Int) -> Void
    ) async throws {
        var checked = 0
        var previous: (batch: [StoredPair], outcomes: [Outcome]) = ([], [])
        var batch = try await next(nil)
        while !batch.isEmpty {
            let (current, recording) = (batch, previous)
            async let following = next(current)
            async let recorded: Void = recording.batch.isEmpty ? () : record(recording.batch, recording.outcomes)
            let outcomes = try await current.concurrentMap(parallelism: parallelism, check)
            try await recorded
            previous = (current, outcomes)
            checked += current.count
            progress(checked)
            do {
                batch = try await following
            } catch {
                // What was checked is recorded before the read's failure ends the run.
                try await record(current, outcomes)
                throw error
            }
        }
        if !previous.batch.isEmpty { try await record(previous.batch, previous.outcomes) }
    }
}
