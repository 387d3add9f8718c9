import ArgumentParser
import Foundation
import ShareMath
import ShareVault

/// The contract's exit statuses.
enum ExitStatus: Int32 {
    case ok = 0
    /// The work ran and found a problem (a failed verification, a broken chain).
    case problemFound = 1
    /// Bad usage or input.
    case badInput = 2
    /// An environment fault (missing key file, locked vault).
    case environment = 3
}

/// A failure with its message and exit status; every error reaching `main` is turned into one here.
struct CommandFailure: Error {
    let status: ExitStatus
    let message: String

    init(status: ExitStatus, message: String) {
        self.status = status
        self.message = message
    }

    /// Maps library and parser errors to a message and an exit status.
    init(_ error: any Error, context: String? = nil) {
        let prefix = context.map { "\($0): " } ?? ""
        switch error {
        case let failure as CommandFailure:
            self = failure
        case let error as DocumentError:
            self.init(status: .badInput, message: "error: \(prefix)\(error)")
        case let error as ShareMathError:
            self.init(status: .badInput, message: "error: \(prefix)\(error)")
        case let error as ShareSetError:
            if case .invalidShare = error {
                self.init(status: .problemFound, message: "error: \(prefix)\(error)")
            } else {
                self.init(status: .badInput, message: "error: \(prefix)\(error)")
            }
        case let error as SecretFileError:
            switch error {
            case .missing, .unreadable, .tooOpen: self.init(status: .environment, message: "error: \(error)")
            case .tooLarge, .invalidContents: self.init(status: .badInput, message: "error: \(error)")
            }
        case let error as VaultError:
            self.init(status: error.isEnvironmentFault ? .environment : .badInput, message: "error: \(prefix)\(error)")
        case let error as PairProblem:
            self.init(status: .problemFound, message: "error: \(prefix)\(error)")
        case let error as SealingError:
            self.init(status: .environment, message: "error: \(prefix)\(error)")
        case let error as StoreLocationError:
            self.init(status: .badInput, message: "error: \(error)")
        case let error as InputFileError:
            self.init(status: .badInput, message: "error: \(error)")
        default:
            if SharevaultCommand.exitCode(for: error) == .validationFailure {
                // ArgumentParser's usage errors (help and version requests are handled before this).
                self.init(status: .badInput, message: SharevaultCommand.fullMessage(for: error))
            } else {
                // Anything else reaching here came from the system (a file that could not be written, say), not
                // from the input.
                self.init(status: .environment, message: "error: \(prefix)\(error)")
            }
        }
    }
}
