import Foundation
import Testing

@testable import ShareVault

/// The bench's "one core" figure rests on this: inside `onOneCore` every thread, new ones included, may run on
/// one CPU only, and afterwards each has its CPUs back.
@Suite struct CoreConfinementTests {
    /// The CPUs the calling thread may run on, as the kernel lists them (for instance "0-1" or "1").
    static func allowedCPUs() throws -> String {
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
    }

    static func allowedCPUsOnAnotherQueue() throws -> String {
        let slot = ResultSlots<String>(count: 1, pending: true)
        DispatchQueue(label: "confinement-test").async { slot.set(0, Result { try allowedCPUs() }) }
        return try slot.wait()
    }

    @Test func everyThreadRunsOnOneCPUInsideAndGetsItsCPUsBackAfter() throws {
        let before = try Self.allowedCPUs()
        let inside = try CoreConfinement.onOneCore { () throws -> (String, String, String) in
            let spawned = ResultSlots<String>(count: 1, pending: true)
            let thread = Thread { spawned.set(0, Result { try Self.allowedCPUs() }) }
            thread.start()
            return (try Self.allowedCPUs(), try Self.allowedCPUsOnAnotherQueue(), try spawned.wait())
        }
        try #require(inside.confined, "the affinity calls are available on Linux")
        let (caller, queue, newThread) = inside.result
        #expect(Int(caller) != nil, "one CPU, not \(caller)")
        #expect(queue == caller)
        #expect(newThread == caller)
        #expect(try Self.allowedCPUs() == before)
        #expect(try Self.allowedCPUsOnAnotherQueue() == before)
    }
}
