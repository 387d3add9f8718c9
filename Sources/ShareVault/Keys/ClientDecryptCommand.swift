internal import CSodium
import Dispatch
import Foundation
import ShareMath

/// An operator's program that opens client ciphertexts sharevault cannot (Portal's device encrypts with a
/// closed library): run with no shell, once per ciphertext, given `{"clientId", "backupMethod", "cipherText"}`
/// as JSON on its standard input, answering with the plaintext on its standard output (DESIGN section 5).
///
/// A program that fails, takes longer than `timeout`, or prints more than `maximumOutput` bytes fails that
/// pair only. Its standard error is discarded, never logged: it may echo a secret.
public struct ClientDecryptCommand: Sendable {
    /// The most a program may print.
    public static let maximumOutput = 64 * 1024

    /// The program and its arguments.
    public let arguments: [String]
    public let timeout: Duration

    /// Why a run failed; never carries the program's output.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case couldNotStart(String)
        case exited(Int32)
        case timedOut
        case outputTooLarge
        case noOutput

        public var description: String {
            switch self {
            case .couldNotStart(let why): return "the decrypt command could not start: \(why)"
            case .exited(let status): return "the decrypt command exited with status \(status)"
            case .timedOut: return "the decrypt command did not finish in time"
            case .outputTooLarge: return "the decrypt command printed more than \(ClientDecryptCommand.maximumOutput) bytes"
            case .noOutput: return "the decrypt command printed nothing"
            }
        }
    }

    /// Parses `'PROGRAM ARG...'`: words split at spaces, single or double quotes keeping spaces in a word.
    public init(commandLine: String, timeout: Duration = .seconds(10)) throws(VaultError) {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        for character in commandLine {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil else { throw .invalidDecryptCommand("an unclosed quote") }
        if inWord { words.append(word) }
        guard let program = words.first, !program.isEmpty else { throw .invalidDecryptCommand("no program named") }
        self.arguments = words
        self.timeout = timeout
    }

    /// Runs the program on one ciphertext; the plaintext comes back in guarded memory.
    public func decrypt(clientId: String, method: String, cipherText: String) throws(Failure) -> SecureBytes {
        let request: Data
        do {
            request = try JSONEncoder().encode(["clientId": clientId, "backupMethod": method, "cipherText": cipherText])
        } catch {
            throw .couldNotStart("the request could not be encoded")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.resolve(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .couldNotStart((error as NSError).localizedDescription)
        }
        // The request is written off this thread, so a program that prints before reading cannot deadlock us.
        let writer = DispatchQueue(label: "sharevault.decrypt.stdin")
        writer.async {
            try? input.fileHandleForWriting.write(contentsOf: request)
            try? input.fileHandleForWriting.close()
        }
        let deadline = DispatchTime.now() + .nanoseconds(Int(timeout.components.seconds * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000))
        let pid = process.processIdentifier
        let timedOut = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let watchdog = DispatchQueue(label: "sharevault.decrypt.watchdog")
        watchdog.async {
            if finished.wait(timeout: deadline) == .timedOut {
                timedOut.signal()
                kill(pid, SIGKILL)
            }
        }
        var buffer = [UInt8]()
        var tooLarge = false
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if buffer.count + chunk.count > Self.maximumOutput {
                tooLarge = true
                kill(pid, SIGKILL)
                break
            }
            buffer.append(contentsOf: chunk)
        }
        process.waitUntilExit()
        finished.signal()
        writer.sync {}
        defer { buffer.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) } }
        if timedOut.wait(timeout: .now()) == .success { throw .timedOut }
        if tooLarge { throw .outputTooLarge }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .exited(process.terminationStatus)
        }
        guard !buffer.isEmpty else { throw .noOutput }
        return SecureBytes(copying: buffer)
    }

    /// A bare program name is looked up on `PATH`, as a shell would.
    static func resolve(_ program: String) -> String {
        guard !program.contains("/") else { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return program
    }
}
