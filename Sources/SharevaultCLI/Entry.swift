import ArgumentParser
import Foundation
import Logging

/// The entry point: maps every failure to the contract's exit statuses (DESIGN section 5) in one place:
/// 0 all good, 1 a problem found, 2 bad usage or input, 3 an environment fault.
@main
enum Entry {
    static func main() async {
        umask(0o077)  // whatever this process creates is private to its owner
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            let level = ProcessInfo.processInfo.environment["SHAREVAULT_LOG_LEVEL"].flatMap(
                Logger.Level.init(rawValue:))
            handler.logLevel = level ?? .warning
            return handler
        }
        do {
            var command = try await SharevaultCommand.asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
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
