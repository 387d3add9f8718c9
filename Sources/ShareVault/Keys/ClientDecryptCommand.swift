internal import CSodium
import Foundation
import ShareMath
import Synchronization

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
        case signalled(Int32)
        case timedOut
        case outputTooLarge
        case noOutput

        public var description: String {
            switch self {
            case .couldNotStart(let why): return "the decrypt command could not start: \(why)"
            case .exited(let status): return "the decrypt command exited with status \(status)"
            case .signalled(let signal): return "the decrypt command was ended by signal \(signal)"
            case .timedOut: return "the decrypt command did not finish in time"
            case .outputTooLarge:
                return "the decrypt command printed more than \(ClientDecryptCommand.maximumOutput) bytes"
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
    ///
    /// The program runs in a process group of its own, so that a timeout or an oversized answer ends whatever it
    /// started too, and its pipes are opened close-on-exec, so that programs run at once for other pairs never
    /// hold them open. A program that exits without reading its request does not take the caller down: SIGPIPE
    /// is ignored (as servers do), and the write just fails. The request names the method as the provider does,
    /// without a curve: one ciphertext serves the method on every curve.
    public func decrypt(clientId: String, method: BackupMethod, cipherText: String) throws(Failure) -> SecureBytes {
        let request: Data
        do {
            request = try JSONEncoder().encode([
                "clientId": clientId, "backupMethod": method.name, "cipherText": cipherText,
            ])
        } catch {
            throw .couldNotStart("the request could not be encoded")
        }
        Self.ignoreSIGPIPE
        let child = try Self.spawn(Self.resolve(arguments[0]), arguments)
        let deadline = ContinuousClock.now + timeout
        // One loop writes the request and reads the answer as each pipe is ready, so a program that prints before it
        // reads cannot deadlock us; the write end is non-blocking, and every wait is bounded by the deadline.
        _ = fcntl(child.input, F_SETFL, fcntl(child.input, F_GETFL) | O_NONBLOCK)
        var input = child.input
        var sent = 0
        // Room for the largest answer up front, so that growing never leaves a copy of the plaintext behind.
        var buffer = [UInt8]()
        buffer.reserveCapacity(Self.maximumOutput + 16 * 1024)
        defer { buffer.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) } }
        var failure: Failure?
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        exchange: while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                failure = .timedOut
                break
            }
            var descriptors = [
                pollfd(fd: child.output, events: Int16(POLLIN), revents: 0),
                pollfd(fd: input, events: Int16(POLLOUT), revents: 0),
            ]
            let milliseconds = Int32(min(remaining / .milliseconds(1) + 1, 60_000))
            let ready = poll(&descriptors, input >= 0 ? 2 : 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            if input >= 0, descriptors[1].revents != 0 {
                let count = request.withUnsafeBytes { bytes in
                    Glibc.write(input, bytes.uint8 + sent, bytes.count - sent)
                }
                if count > 0 { sent += count }
                // Sent whole, or the program stopped reading (it may still answer): its input is closed either way.
                if sent == request.count || (count < 0 && errno != EINTR && errno != EAGAIN) {
                    close(input)
                    input = -1
                }
            }
            guard descriptors[0].revents != 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { break exchange }
            guard buffer.count + count <= Self.maximumOutput else {
                failure = .outputTooLarge
                break
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
        if input >= 0 { close(input) }
        chunk.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
        close(child.output)
        // Whatever the outcome, nothing the program started outlives the run.
        var status: Int32 = 0
        while true {
            let done = waitpid(child.pid, &status, WNOHANG)
            if done == child.pid { break }
            if done < 0 && errno != EINTR {
                // The status is lost (someone else reaped the child): the run cannot count as a clean exit.
                failure = failure ?? .couldNotStart("its exit status was lost")
                break
            }
            if failure != nil || ContinuousClock.now >= deadline {
                if failure == nil { failure = .timedOut }
                kill(-child.pid, SIGKILL)
                _ = waitpid(child.pid, &status, 0)
                break
            }
            usleep(1000)
        }
        kill(-child.pid, SIGKILL)
        if let failure { throw failure }
        // The exit status, as the shell reads waitpid's: exited normally with 0.
        let exitedNormally = status & 0x7f == 0
        let exitStatus = (status >> 8) & 0xff
        guard exitedNormally else { throw .signalled(status & 0x7f) }
        guard exitStatus == 0 else { throw .exited(exitStatus) }
        guard !buffer.isEmpty else { throw .noOutput }
        return SecureBytes(copying: buffer)
    }

    /// SIGPIPE ignored, once per process.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// A started program: its id (also its process group's) and our ends of its standard input and output.
    private struct Child {
        let pid: pid_t
        let input: Int32
        let output: Int32
    }

    /// Held while a spawn makes its pipes and starts its program (see `spawn`).
    private static let spawning = Mutex(())

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// import; looked up at run time, and skipped where the C library has none.
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard
                let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                address, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    /// Starts `path` with `arguments` in a new process group, its standard error sent to /dev/null.
    private static func spawn(_ path: String, _ arguments: [String]) throws(Failure) -> Child {
        // Glibc's module does not offer pipe2, so the pipes are made close-on-exec with fcntl, and spawns are
        // serialised so that no other spawn can start between the two and inherit them.
        try spawning.withLock { (_) throws(Failure) in try spawnLocked(path, arguments) }
    }

    private static func spawnLocked(_ path: String, _ arguments: [String]) throws(Failure) -> Child {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { throw .couldNotStart(String(cString: strerror(errno))) }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0])
            close(toChild[1])
            throw .couldNotStart(String(cString: strerror(errno)))
        }
        for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else of ours (a file another thread has open for writing, say) reaches the program.
        _ = Self.addCloseFrom?(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own; SIGPIPE back to its default (we ignore it) and no signal blocked.
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        // The program gets our environment less sharevault's own variables (the vault key's passphrase, the backup
        // password): it is the provider's code, not ours.
        var environment: [UnsafeMutablePointer<CChar>?] =
            ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix("SHAREVAULT_") }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in environment { free(pointer) } }
        let result = posix_spawn(&pid, path, &actions, &attributes, &argv, &environment)
        close(toChild[0])
        close(fromChild[1])
        guard result == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw .couldNotStart(String(cString: strerror(result)))
        }
        return Child(pid: pid, input: toChild[1], output: fromChild[0])
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
