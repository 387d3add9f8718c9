import ArgumentParser
import Foundation
import Logging
import ShareMath
import ShareVault
import Synchronization

/// Flags every vault command shares: where the vault and its key are.
struct VaultOptions: ParsableArguments {
    @Option(help: "The vault file (default: $SHAREVAULT_VAULT, else ./sharevault.db).")
    var vault: String?

    @Option(help: "The vault key file (default: the vault's path with .key appended).")
    var vaultKey: String?

    @Option(help: "A file holding the passphrase that wraps the vault key (or $SHAREVAULT_PASSPHRASE).")
    var passphraseFile: String?

    var vaultPath: String {
        vault ?? ProcessInfo.processInfo.environment["SHAREVAULT_VAULT"] ?? "sharevault.db"
    }

    /// The passphrase from its file or the environment, if any.
    func passphrase() throws -> SecureBytes? {
        try Secrets.read(file: passphraseFile, environment: "SHAREVAULT_PASSPHRASE")
    }

    /// Opens the vault, with its key when the operation opens shares; read-only for commands that only read.
    func open(needsKey: Bool, readOnly: Bool = false) throws -> Vault {
        try Vault.open(
            at: vaultPath, keyPath: vaultKey, needsKey: needsKey, readOnly: readOnly, passphrase: { try passphrase() },
            logger: Logger(label: "sharevault"))
    }
}

/// Secrets come from files or the environment, never from the command line.
enum Secrets {
    static func read(file: String?, environment name: String) throws -> SecureBytes? {
        if let file {
            let bytes = try SecretFile.readBytes(at: file, limit: 4096)
            return trimmingNewline(bytes)
        }
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
            return SecureBytes(copying: Array(value.utf8))
        }
        return nil
    }

    /// A passphrase file's trailing newline is not part of the passphrase.
    private static func trimmingNewline(_ bytes: SecureBytes) -> SecureBytes {
        let trailing = bytes.withUnsafeBytes { buffer in
            var count = 0
            while count < buffer.count,
                buffer[buffer.count - 1 - count] == 0x0a || buffer[buffer.count - 1 - count] == 0x0d
            {
                count += 1
            }
            return count
        }
        guard trailing > 0, trailing < bytes.count else { return bytes }
        return bytes.withUnsafeBytes {
            SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<($0.count - trailing)]))
        }
    }
}

/// Shows an operation's progress on stderr, only when it is a terminal, at most a few times a second.
final class ProgressLine: Sendable {
    private let label: String
    /// When the line was last drawn.
    private let lastShown = Mutex(ContinuousClock.now - .seconds(1))

    init(_ label: String) { self.label = label }

    /// The handler to pass to library calls; nil when stderr is not a terminal.
    var handler: ProgressHandler? {
        guard Terminal.showsProgress else { return nil }
        return { [self] step, completed, total in show(step, completed, total) }
    }

    private func show(_ step: ProgressStep, _ completed: Int, _ total: Int) {
        let now = ContinuousClock.now
        let due = lastShown.withLock { lastShown in
            guard step == .done || now - lastShown > .milliseconds(100) else { return false }
            lastShown = now
            return true
        }
        guard due else { return }
        let line = "\r\(label): \(step.rawValue) \(completed)/\(total)\u{1B}[K" + (step == .done ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }
}
