import Foundation
import Testing

/// Runs the built `sharevault` binary and captures what it printed, as a user's shell would see it.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum Sharevault {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `sharevault` binary built next to the test bundle.
    static let binary: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sharevault")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/sharevault")
    }()

    /// Runs `sharevault arguments...` in `directory` with `stdin` as standard input.
    static func run(
        _ arguments: [String], in directory: URL? = nil, stdin: Data? = nil, environment: [String: String] = [:]
    ) throws -> CommandResult {
        try Subprocess.run(binary, arguments, in: directory, stdin: stdin, environment: environment)
    }
}

/// Runs a program to completion and captures what it printed.
enum Subprocess {
    static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, stdin: Data? = nil,
        environment: [String: String] = [:]
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        // Write stdin on its own queue and ignore SIGPIPE, so a child that stops reading early (a body over a
        // limit) cannot block or kill the test process.
        signal(SIGPIPE, SIG_IGN)
        let group = DispatchGroup()
        let writer = inPipe.fileHandleForWriting
        group.enter()
        DispatchQueue.global().async {
            if let stdin { try? writer.write(contentsOf: stdin) }
            try? writer.close()
            group.leave()
        }
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Runs python3 (the fixture generator; sqlite3 edits behind the tool's back).
enum Python {
    static func run(_ arguments: [String]) throws -> CommandResult {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-B"] + arguments)
    }

    /// Runs a script of SQL statements on a database file, or one query whose rows are printed as a repr.
    static func sql(_ database: String, execute statements: String) throws -> CommandResult {
        try run([
            "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()",
            database, statements,
        ])
    }

    static func query(_ database: String, _ sql: String) throws -> String {
        try run([
            "-c", "import sqlite3,sys; print(repr(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))",
            database, sql,
        ])
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sharevault-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` with `mode`, returning the path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = self.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
}

/// SIGKILL tests that prove where their kill landed: a probe (python3's sqlite3) tries the vault's write lock
/// without waiting, over and over, and kills the process the moment the lock is held by someone else, that is
/// while the process is inside a write transaction. A kill at a random moment may land before the process has
/// opened the vault, and then shows nothing.
final class WriteLockKiller: @unchecked Sendable {
    static let probe = """
        import os, signal, sqlite3, subprocess, sys, time
        vault, deadline, armed_by = sys.argv[1], time.time() + float(sys.argv[2]), sys.argv[3]
        del sys.argv[3]
        connection = sqlite3.connect(vault, timeout=0, isolation_level=None)
        if sys.argv[3] == "--":
            child = subprocess.Popen(sys.argv[4:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pid, alive = child.pid, lambda: child.poll() is None
        else:
            pid = int(sys.argv[3])
            def alive():
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        return stat.read().split(") ")[1][0] != "Z"
                except OSError:
                    return False
        print("ready", flush=True)
        armed = armed_by == ""
        while time.time() < deadline and alive():
            if not armed:
                armed = os.path.exists(armed_by)
                continue
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
            except sqlite3.OperationalError:
                os.kill(pid, signal.SIGKILL)
                print("killed mid-write", flush=True)
                break
        else:
            print("missed", flush=True)
        if sys.argv[3] == "--":
            child.wait()
        """

    private let process = Process()
    private let output = Pipe()

    /// Starts the probe on `vault`: against a running process (`pid`), or starting `command` itself once it is
    /// ready, so that the command's write cannot come before the probe. With `armedBy`, the probe kills only at a
    /// write lock taken once that file exists (an earlier write, such as SQLite's own set-up on open, is let
    /// be). Returns once the probe is polling.
    init(vault: String, pid: Int32? = nil, command: [String] = [], armedBy: String = "", seconds: Double = 30) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", "-B", "-c", Self.probe, vault, String(seconds), armedBy]
            + (pid.map { [String($0)] } ?? ["--"] + command)
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.readData(ofLength: 1)
            if chunk.isEmpty { break }
            line.append(chunk)
        }
    }

    /// Waits for the probe; true when it killed the process inside a write transaction.
    func killedMidWrite() -> Bool {
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: rest, as: UTF8.self).contains("killed mid-write")
    }
}
