import Synchronization

extension Array where Element: Sendable {
    /// `transform` applied to every element by `parallelism` tasks at once, each taking the next element not yet
    /// taken, so that one slowed by a neighbour on its core does not hold the others back at the end. The results
    /// come back in the array's order; the first error thrown ends the map.
    func concurrentMap<T: Sendable>(
        parallelism: Int, _ transform: @escaping @Sendable (Element) throws -> T
    ) async throws -> [T] {
        let cursor = WorkCursor()
        let found = try await withThrowingTaskGroup(of: [(Int, T)].self) { group in
            for _ in 0..<Swift.max(1, Swift.min(parallelism, count)) {
                group.addTask {
                    var local: [(Int, T)] = []
                    while case let index = cursor.take(), index < count {
                        local.append((index, try transform(self[index])))
                    }
                    return local
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// Hands out indices 0, 1, 2, ... to the tasks sharing a map, each index once.
private final class WorkCursor: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}
