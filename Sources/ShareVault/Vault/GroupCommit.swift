/// Group commit: writes that arrive together share one durable transaction.
///
/// A write that finds no commit running commits at once, alone, in its caller's own task; writes that arrive
/// while a commit runs wait for it and then go together in the next (up to `maximumBatch`), committed by a task
/// that drains them. So under load each fsync serves many writes, and a lone write waits for nothing but its own
/// commit. Each caller is answered only after the transaction holding its write has committed, so the intake's
/// 2xx still means "on disk". A lone write leaves no task behind: when its caller is answered, nothing else holds
/// the store (a command that exits then closes its database, and SQLite folds its log back into the file).
///
/// A batch the store fails as a whole (the database, not a refusal) is tried again one write at a time, so that
/// one write the database cannot take fails alone and the others still land; one the environment failed (the
/// store unavailable or locked) is answered with that failure at once.
package actor GroupCommit<Item: Sendable, Outcome: Sendable> {
    package typealias Commit = @Sendable ([Item]) async throws -> [Result<Outcome, VaultError>]

    private let commit: Commit
    private let maximumBatch: Int
    private var waiting: [(item: Item, answer: CheckedContinuation<Outcome, any Error>)] = []
    private var committing = false
    /// Batches committed and writes they held, for the bench, the metrics and the tests.
    package private(set) var batches = 0
    package private(set) var items = 0
    /// Writes waiting for a commit (not those in the one running).
    package var pending: Int { waiting.count }

    /// - Parameters:
    ///   - maximumBatch: at most this many writes in one transaction.
    ///   - commit: stores the writes in one transaction, answering each in order.
    package init(maximumBatch: Int = 128, commit: @escaping Commit) {
        precondition(maximumBatch > 0)
        self.maximumBatch = maximumBatch
        self.commit = commit
    }

    /// Stores `item` and returns once the commit holding it is durable; throws the item's refusal or the
    /// database's error.
    package func submit(_ item: Item) async throws -> Outcome {
        guard !committing else {
            return try await withCheckedThrowingContinuation { answer in waiting.append((item, answer)) }
        }
        committing = true
        let outcome = await outcomes(of: [item])[0]
        batches += 1
        items += 1
        handOff()
        return try outcome.get()
    }

    /// After a commit: the writes that arrived meanwhile go to a task that drains them; none, and the next write
    /// commits at once.
    private func handOff() {
        if waiting.isEmpty {
            committing = false
        } else {
            Task { await drain() }
        }
    }

    /// Commits what waits, batch after batch, until nothing does. Writes submitted while a batch commits (the
    /// actor is free while it awaits the store) join the next one.
    private func drain() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maximumBatch))
            waiting.removeFirst(batch.count)
            let outcomes = await outcomes(of: batch.map(\.item))
            batches += 1
            items += batch.count
            for (waiter, outcome) in zip(batch, outcomes) { waiter.answer.resume(with: outcome) }
        }
        committing = false
    }

    private func outcomes(of items: [Item]) async -> [Result<Outcome, any Error>] {
        await Self.outcomes(of: items, committing: commit)
    }

    /// `commit`'s answer for each of `items`, in order, the batch failing as the type says: a batch the store
    /// fails as a whole is tried again one write at a time, unless the environment failed it. Also `ingest
    /// --lines`'s, whose batches are the stream's, not the arrivals'.
    package static func outcomes(of items: [Item], committing commit: Commit) async -> [Result<Outcome, any Error>] {
        do {
            let outcomes = try await commit(items)
            precondition(outcomes.count == items.count, "a commit answers every write it is given")
            return outcomes.map { $0.mapError { $0 } }
        } catch {
            // A store that is unavailable or locked fails each alone as it failed them all: answer them all now
            // rather than make each wait its turn to fail again.
            guard items.count > 1, !((error as? VaultError)?.isEnvironmentFault ?? false) else {
                return items.map { _ in .failure(error) }
            }
            var alone: [Result<Outcome, any Error>] = []
            for item in items { alone += await outcomes(of: [item], committing: commit) }
            return alone
        }
    }
}
