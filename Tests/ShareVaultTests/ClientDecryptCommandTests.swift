import Foundation
import PropertyBased
import ShareMath
import Testing

@testable import ShareVault

/// `--client-decrypt-command`: the operator's program gets `{"clientId", "backupMethod", "cipherText"}` on its
/// standard input and answers with the plaintext on its standard output; every way it can fail is one
/// `Failure`, which never carries what the program printed.
@Suite struct ClientDecryptCommandTests {
    /// A temporary folder of small programs, removed after the test.
    final class Programs {
        let directory: String

        init() throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent("sv-decrypt-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        /// Writes an executable script and returns its path.
        func script(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
            return path
        }

        func path(_ name: String) -> String { directory + "/" + name }
    }

    static func bytes(_ secure: SecureBytes) -> [UInt8] { secure.withUnsafeBytes { Array($0) } }

    /// The failure `decrypt` throws, or nil when it succeeds.
    static func failure(_ command: ClientDecryptCommand, cipherText: String = "c2VjcmV0") -> ClientDecryptCommand
        .Failure?
    {
        do throws(ClientDecryptCommand.Failure) {
            _ = try command.decrypt(
                clientId: "c1", method: BackupMethod(name: "GDRIVE", curve: nil), cipherText: cipherText)
            return nil
        } catch {
            return error
        }
    }

    @Test func theProgramGetsTheRequestAsJSONAndItsOutputIsThePlaintext() async throws {
        let programs = try Programs()
        // Saves its standard input, then prints a plaintext of every byte value.
        let script = try programs.script(
            "echo.py",
            """
            import sys
            data = sys.stdin.buffer.read()
            open(sys.argv[1], "wb").write(data)
            sys.stdout.buffer.write(bytes(range(256)) + b"\\n")
            """)
        await propertyCheck(count: 8, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let clientId = RandomJSON.string(random: &random) + "\"'\\ id"
            let method = RandomJSON.string(random: &random) + "GDRIVE"
            let cipherText = RandomJSON.string(random: &random) + "U1ZDQ/+=="
            let saved = programs.path("request-\(seed).json")
            let command = try ClientDecryptCommand(
                commandLine: "python3 '\(script)' \"\(saved)\"", timeout: .seconds(30))
            let plaintext = try command.decrypt(
                clientId: clientId, method: BackupMethod(name: method, curve: nil), cipherText: cipherText)
            #expect(Self.bytes(plaintext) == Array(0...255) + [0x0A])

            // Read with StrictJSON: Foundation's reader on Linux drops U+FEFF inside strings.
            let request = try StrictJSON.parse(Data(contentsOf: URL(fileURLWithPath: saved)))
            guard case .object(let members) = request else {
                Issue.record("the request is not an object")
                return
            }
            #expect(members.count == 3)
            #expect(request["clientId"] == .string(clientId))
            #expect(request["backupMethod"] == .string(method))
            #expect(request["cipherText"] == .string(cipherText))
        }
    }

    @Test func theToyCipherOpensWhatItSealed() throws {
        let programs = try Programs()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/portal/toy-cipher.py").path
        let keyFile = programs.path("key.hex")
        try Hex.encode(Array(SecureBytes.random(count: 32).withUnsafeBytes { Array($0) })).write(
            toFile: keyFile, atomically: true, encoding: .utf8)
        let plaintext = "{\"SECP256K1\":{\"id\":\"x\",\"share\":\"{}\"}}"
        let encrypt = Process()
        encrypt.executableURL = URL(fileURLWithPath: ClientDecryptCommand.resolve("python3"))
        encrypt.arguments = [root, "encrypt", keyFile]
        let input = Pipe()
        let output = Pipe()
        encrypt.standardInput = input
        encrypt.standardOutput = output
        try encrypt.run()
        try input.fileHandleForWriting.write(contentsOf: Data(plaintext.utf8))
        try input.fileHandleForWriting.close()
        let cipherText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        encrypt.waitUntilExit()
        #expect(encrypt.terminationStatus == 0)

        let command = try ClientDecryptCommand(commandLine: "python3 \(root) decrypt \(keyFile)", timeout: .seconds(30))
        #expect(
            try Self.bytes(
                command.decrypt(
                    clientId: "c1", method: BackupMethod(name: "GDRIVE", curve: nil), cipherText: cipherText))
                == Array(plaintext.utf8))
        // A tampered ciphertext: the program exits 1, and its complaint on stderr goes nowhere.
        var tampered = Array(cipherText)
        tampered[40] = tampered[40] == "0" ? "1" : "0"
        #expect(Self.failure(command, cipherText: String(tampered)) == .exited(1))
    }

    @Test func aNonZeroExitFailsWithItsStatus() throws {
        let programs = try Programs()
        let three = try programs.script("three.sh", "#!/bin/sh\ncat > /dev/null\nexit 3\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: three)) == .exited(3))
        // Output before a failing exit is not a plaintext.
        let printsThenFails = try programs.script("fails.sh", "#!/bin/sh\ncat > /dev/null\necho plaintext\nexit 1\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: printsThenFails)) == .exited(1))
        let killed = try programs.script("killed.sh", "#!/bin/sh\ncat > /dev/null\necho plaintext\nkill -9 $$\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: killed)) == .signalled(9))
    }

    @Test func aProgramThatSleepsPastTheTimeoutIsStopped() throws {
        let programs = try Programs()
        let sleeper = try programs.script("sleep.py", "import time\nprint('partial', flush=True)\ntime.sleep(600)\n")
        let command = try ClientDecryptCommand(commandLine: "python3 \(sleeper)", timeout: .seconds(1))
        #expect(Self.failure(command) == .timedOut)
    }

    /// A wrapper script whose own child is what hangs: the timeout must stop the child too, or `decrypt` waits
    /// for it (its standard output is still open). Here the child would touch a file 4 seconds in; with a
    /// 1-second timeout it must not live to do so.
    @Test func theTimeoutStopsWhatTheProgramStarted() throws {
        let programs = try Programs()
        let marker = programs.path("child-outlived-the-timeout")
        let wrapper = try programs.script("wrapper.sh", "#!/bin/sh\n(sleep 4; touch \"$1\")\necho late\n")
        let command = try ClientDecryptCommand(commandLine: "\(wrapper) \(marker)", timeout: .seconds(1))
        #expect(Self.failure(command) == .timedOut)
        #expect(
            !FileManager.default.fileExists(atPath: marker), "decrypt returned only after the program's child finished")
    }

    @Test func printingMoreThan64KiBFails() throws {
        let programs = try Programs()
        let flood = try programs.script(
            "flood.py", "import sys\nsys.stdin.read()\nsys.stdout.buffer.write(b'x' * (64 * 1024 + 1))\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: "python3 \(flood)")) == .outputTooLarge)
        let endless = try programs.script(
            "endless.py", "import sys\nsys.stdin.read()\nwhile True:\n    sys.stdout.buffer.write(b'y' * 4096)\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: "python3 \(endless)")) == .outputTooLarge)
        // Exactly 64 KiB is allowed.
        let exact = try programs.script(
            "exact.py", "import sys\nsys.stdin.read()\nsys.stdout.buffer.write(b'z' * (64 * 1024))\n")
        let command = try ClientDecryptCommand(commandLine: "python3 \(exact)")
        #expect(
            try Self.bytes(command.decrypt(clientId: "c", method: BackupMethod(name: "M", curve: nil), cipherText: "t"))
                .count
                == ClientDecryptCommand.maximumOutput)
    }

    @Test func printingNothingFails() throws {
        let programs = try Programs()
        let silent = try programs.script("silent.sh", "#!/bin/sh\ncat > /dev/null\n")
        #expect(Self.failure(try ClientDecryptCommand(commandLine: silent)) == .noOutput)
    }

    @Test func aMissingProgramCannotStart() throws {
        let programs = try Programs()
        let missing = programs.path("no-such-program")
        guard case .couldNotStart? = Self.failure(try ClientDecryptCommand(commandLine: missing)) else {
            Issue.record("a missing program did not fail to start")
            return
        }
        guard
            case .couldNotStart? = Self.failure(
                try ClientDecryptCommand(commandLine: "no-such-program-\(UUID().uuidString)"))
        else {
            Issue.record("a program not on PATH did not fail to start")
            return
        }
        // Not executable.
        let plain = programs.path("not-executable.sh")
        try "#!/bin/sh\necho x\n".write(toFile: plain, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: plain)
        guard case .couldNotStart? = Self.failure(try ClientDecryptCommand(commandLine: plain)) else {
            Issue.record("a file that is not executable did not fail to start")
            return
        }
    }

    @Test func stderrNeverReachesTheFailure() throws {
        let programs = try Programs()
        let secret = "SECRET-\(UUID().uuidString)"
        let scripts = [
            "#!/bin/sh\necho \(secret) >&2\ncat > /dev/null\nexit 4\n",
            "#!/bin/sh\necho \(secret) >&2\ncat > /dev/null\n",
            "#!/bin/sh\ncat > /dev/null\nhead -c 70000 /dev/zero\necho \(secret) >&2\n",
        ]
        for (index, text) in scripts.enumerated() {
            let command = try ClientDecryptCommand(commandLine: try programs.script("stderr-\(index).sh", text))
            let failure = try #require(Self.failure(command))
            #expect(!failure.description.contains(secret))
            #expect(!"\(failure)".contains(secret))
            #expect(!String(reflecting: failure).contains(secret))
        }
        // And a success returns stdout only.
        let both = try programs.script("both.sh", "#!/bin/sh\ncat > /dev/null\necho \(secret) >&2\nprintf out\n")
        #expect(
            try Self.bytes(
                ClientDecryptCommand(commandLine: both).decrypt(
                    clientId: "c", method: BackupMethod(name: "M", curve: nil), cipherText: "t"))
                == Array("out".utf8))
    }

    @Test func commandLinesSplitAtSpacesWithQuotesKeepingThem() throws {
        #expect(try ClientDecryptCommand(commandLine: "prog a b").arguments == ["prog", "a", "b"])
        #expect(try ClientDecryptCommand(commandLine: "  prog\t a   b  ").arguments == ["prog", "a", "b"])
        #expect(try ClientDecryptCommand(commandLine: "prog 'a b' \"c d\"").arguments == ["prog", "a b", "c d"])
        #expect(try ClientDecryptCommand(commandLine: "prog 'it\"s' \"it's\"").arguments == ["prog", "it\"s", "it's"])
        #expect(try ClientDecryptCommand(commandLine: "prog ''").arguments == ["prog", ""])
        #expect(try ClientDecryptCommand(commandLine: "prog a'b c'd").arguments == ["prog", "ab cd"])
        #expect(
            try ClientDecryptCommand(commandLine: "'/opt/my tools/decrypt' --key=k").arguments == [
                "/opt/my tools/decrypt", "--key=k",
            ])
        #expect(throws: VaultError.invalidDecryptCommand("an unclosed quote")) {
            try ClientDecryptCommand(commandLine: "prog 'a b")
        }
        #expect(throws: VaultError.invalidDecryptCommand("an unclosed quote")) {
            try ClientDecryptCommand(commandLine: "prog \"")
        }
        #expect(throws: VaultError.invalidDecryptCommand("no program named")) {
            try ClientDecryptCommand(commandLine: "")
        }
        #expect(throws: VaultError.invalidDecryptCommand("no program named")) {
            try ClientDecryptCommand(commandLine: "   ")
        }
        #expect(throws: VaultError.invalidDecryptCommand("no program named")) {
            try ClientDecryptCommand(commandLine: "'' a")
        }
    }

    @Test func quotedArgumentsReachTheProgramWhole() throws {
        let programs = try Programs()
        let script = try programs.script(
            "args.py", "import sys, json\nsys.stdin.read()\nprint(json.dumps(sys.argv[1:]))\n")
        let command = try ClientDecryptCommand(commandLine: "python3 '\(script)' 'a b' \"c  d\" e")
        let output = try Self.bytes(
            command.decrypt(clientId: "c", method: BackupMethod(name: "M", curve: nil), cipherText: "t"))
        #expect(try JSONSerialization.jsonObject(with: Data(output)) as? [String] == ["a b", "c  d", "e"])
    }

    /// A program that prints most of its answer before reading a request larger than a pipe holds: the
    /// request is written while the answer is read, so neither side waits on the other.
    @Test func aProgramThatPrintsBeforeReadingDoesNotDeadlock() throws {
        let programs = try Programs()
        let script = try programs.script(
            "early.py",
            """
            import sys, json
            sys.stdout.buffer.write(b'a' * 60000)
            sys.stdout.buffer.flush()
            request = json.loads(sys.stdin.buffer.read())
            sys.stdout.buffer.write(b'|' + str(len(request["cipherText"])).encode())
            """)
        let cipherText = String(repeating: "Q", count: 1_000_000)
        let command = try ClientDecryptCommand(commandLine: "python3 \(script)", timeout: .seconds(60))
        let output = try Self.bytes(
            command.decrypt(clientId: "c", method: BackupMethod(name: "M", curve: nil), cipherText: cipherText))
        #expect(output == Array(repeating: UInt8(ascii: "a"), count: 60000) + Array("|1000000".utf8))
    }

    /// A program that answers without reading its (large) request and exits: writing the rest of the request
    /// into a closed pipe must fail quietly, not kill sharevault with SIGPIPE. Run in a child process so that a
    /// SIGPIPE is seen as such.
    @Test func aProgramThatNeverReadsItsRequestDoesNotKillTheCaller() async {
        await #expect(processExitsWith: .success) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "sv-decrypt-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/answer.sh"
            try "#!/bin/sh\nprintf plaintext\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
            let command = try ClientDecryptCommand(commandLine: path, timeout: .seconds(30))
            for _ in 0..<5 {
                let plaintext = try command.decrypt(
                    clientId: "c", method: BackupMethod(name: "M", curve: nil),
                    cipherText: String(repeating: "Q", count: 1_000_000))
                guard plaintext.withUnsafeBytes({ Array($0) }) == Array("plaintext".utf8) else { exit(3) }
            }
        }
    }
}
