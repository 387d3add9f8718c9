import ArgumentParser
import Foundation
import Logging
import SharevaultBench

/// The entry point: maps every failure to the contract's exit statuses (DESIGN section 5) in one place:
/// 0 all good, 1 a problem found, 2 bad usage or input, 3 an environment fault.
@main
enum Entry {
    static func main() async {
        umask(0o077)  // whatever this process creates is private to its owner
        LoggingSystem.bootstrap { label in
            let level = ProcessInfo.processInfo.environment["SHAREVAULT_LOG_LEVEL"].flatMap(
                Logger.Level.init(rawValue:))
            return LogFormat.handler(label: label, level: level ?? .warning)
        }
        do {
            var command = try await SharevaultCommand.asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            // A diagnostic for measuring a command from outside (the bench's listing figure): a parent's `wait4`
            // would also count the memory of the parent the child was spawned from.
            if ProcessInfo.processInfo.environment["SHAREVAULT_REPORT_PEAK_MEMORY"] != nil {
                Terminal.writeError("peak memory: \(PeakMemory.ownKiB()) kB")
            }
        } catch {
            if !(error is CommandFailure), SharevaultCommand.exitCode(for: error) == .success {
                SharevaultCommand.exit(withError: error)  // help, version and dump requests: stdout, status 0
            }
            let failure = CommandFailure(error)
            if !failure.message.isEmpty {
                Terminal.writeError(failure.message)
            }
            exit(failure.status.rawValue)
        }
    }
}
