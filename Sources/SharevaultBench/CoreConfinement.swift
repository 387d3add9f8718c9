import Foundation

/// Confines the whole process to one CPU for a while, so that a bench figure labelled "one core" gets one
/// core: the checking worker and the pipeline's reader and writer threads alike.
///
/// Linux only: the affinity calls are looked up at run time (Swift's Glibc module does not import them);
/// elsewhere, or if they fail, `body` runs unconfined and the result says so.
enum CoreConfinement {
    private typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    private typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    /// glibc's `cpu_set_t`: 1,024 CPUs.
    private static let maskSize = 128

    /// Runs `body` with every thread of the process (and so every thread they start) on one CPU, then gives
    /// each thread back the CPUs the calling thread had. Returns `body`'s result and whether it was confined.
    static func onOneCore<R>(_ body: () async throws -> R) async rethrows -> (result: R, confined: Bool) {
        guard let get = symbol("sched_getaffinity", as: GetAffinity.self),
            let set = symbol("sched_setaffinity", as: SetAffinity.self)
        else { return (try await body(), false) }
        var original = [UInt8](repeating: 0, count: maskSize)
        guard get(0, maskSize, &original) == 0, let byte = original.firstIndex(where: { $0 != 0 }) else {
            return (try await body(), false)
        }
        var single = [UInt8](repeating: 0, count: maskSize)
        single[byte] = original[byte] & (~original[byte] &+ 1)  // the lowest CPU allowed
        guard applyToEveryThread(single, set), everyThreadAllows(onlyCPU: cpuIndex(of: single)) else {
            _ = applyToEveryThread(original, set)
            return (try await body(), false)
        }
        defer { _ = applyToEveryThread(original, set) }
        let result = try await body()
        // The kernel's own account, read again after the run: threads the run started were confined too.
        return (result, everyThreadAllows(onlyCPU: cpuIndex(of: single)))
    }

    /// The CPU a single-CPU mask names.
    private static func cpuIndex(of mask: [UInt8]) -> Int {
        let byte = mask.firstIndex { $0 != 0 } ?? 0
        return byte * 8 + mask[byte].trailingZeroBitCount
    }

    /// Whether the kernel lists exactly `cpu` as allowed for every thread of the process (`Cpus_allowed_list` in
    /// /proc/self/task/*/status): the bench's claim checked, not assumed.
    private static func everyThreadAllows(onlyCPU cpu: Int) -> Bool {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else {
            return false
        }
        var checked = 0
        for thread in threads {
            // A thread that has ended since the listing has no status to read.
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(thread)/status", encoding: .utf8) else {
                continue
            }
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
                line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) == String(cpu)
            else { return false }
            checked += 1
        }
        return checked > 0
    }

    private static func applyToEveryThread(_ mask: [UInt8], _ set: SetAffinity) -> Bool {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else {
            return false
        }
        var all = true
        for thread in threads.compactMap({ pid_t($0) }) where set(thread, mask.count, mask) != 0 {
            all = all && errno == ESRCH  // a thread that has just ended
        }
        return all
    }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}
