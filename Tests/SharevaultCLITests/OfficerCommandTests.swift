import Foundation
import ShareMath
import ShareVault
import Testing

/// The officers' ceremony through the command line: `init --key-shares`, `--key-share` on the commands that need
/// the key, `key verify-shares` and `key reshare`.
@Suite struct OfficerCommandTests {
    /// A vault whose key is split 3-of-5 among officers, with a few pairs made under it.
    final class Quorum {
        let scratch: ScratchDirectory
        var vault: String { scratch.path("v.db") }
        var officers: String { scratch.path("officers") }

        init(wrapped: Bool = false) throws {
            scratch = try ScratchDirectory()
            try FileManager.default.createDirectory(atPath: officers, withIntermediateDirectories: true)
            var arguments = [
                "init", "--vault", vault, "--key-shares", "5", "--key-threshold", "3", "--officer-dir", officers,
            ]
            if wrapped {
                for index in 1...5 {
                    arguments += [
                        "--officer-passphrase-file", try scratch.write("pass-\(index)", "passphrase \(index)\n"),
                    ]
                }
            }
            let created = try Sharevault.run(arguments)
            #expect(created.status == 0, "\(created.stderr)")
            let made = try run(
                [
                    "create", "--client-id", "c", "--count", "3", "--curve", "all", "--method", "GDRIVE", "--key-store",
                    scratch.path("keys"),
                ] + shares(wrapped ? [1, 2, 3] : [1, 3, 5], passphrases: wrapped))
            #expect(made.status == 0, "\(made.stderr)")
        }

        func share(_ index: Int) -> String { (officers as NSString).appendingPathComponent("officer-\(index).share") }

        func shares(_ indices: [Int], passphrases: Bool = false) -> [String] {
            indices.flatMap { index in
                ["--key-share", share(index)]
                    + (passphrases ? ["--key-share-passphrase-file", scratch.path("pass-\(index)")] : [])
            }
        }

        func run(_ arguments: [String]) throws -> CommandResult {
            try Sharevault.run(arguments + ["--vault", vault])
        }

        /// How many audit events the vault holds: a refused command adds none.
        func auditEvents() throws -> Int {
            // Python prints the rows' repr: `[(7,)]`.
            let count = Int(try Python.query(vault, "SELECT COUNT(*) FROM auditEvent").filter(\.isNumber))
            return try #require(count)
        }
    }

    /// All subsets of `size` of 1...5.
    static func subsets(of size: Int) -> [[Int]] {
        (0..<32).map { mask in (1...5).filter { mask & (1 << ($0 - 1)) != 0 } }.filter { $0.count == size }
    }

    @Test func everyThreeOfFiveUnlockAndNoTwoDo() throws {
        let quorum = try Quorum()
        for index in 1...5 {
            let attributes = try FileManager.default.attributesOfItem(atPath: quorum.share(index))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
        #expect(!FileManager.default.fileExists(atPath: quorum.vault + ".key"), "a split vault has no key file")
        let subsets = Self.subsets(of: 3)
        #expect(subsets.count == 10)
        for subset in subsets {
            let verified = try quorum.run(["verify", "--custodian", "--all"] + quorum.shares(subset))
            #expect(verified.status == 0, "shares \(subset): \(verified.stderr)")
            #expect(verified.stdout.contains("6 checked, 6 passed"), "shares \(subset): \(verified.stdout)")
        }
        let before = try quorum.auditEvents()
        for subset in Self.subsets(of: 2) + Self.subsets(of: 1) {
            let refused = try quorum.run(["verify", "--custodian", "--all"] + quorum.shares(subset))
            #expect(refused.status == 3, "shares \(subset)")
            #expect(
                refused.stderr.contains("3 officer key shares are needed")
                    && refused.stderr.contains("\(subset.count) given: \(3 - subset.count) more needed"),
                "\(refused.stderr)")
        }
        let none = try quorum.run(["verify", "--custodian", "--all"])
        #expect(none.status == 3)
        #expect(none.stderr.contains("split among officers"), "\(none.stderr)")
        #expect(try quorum.auditEvents() == before, "a refused command wrote nothing")
    }

    @Test func aCorruptedOfficerFileIsNamed() throws {
        let quorum = try Quorum()
        // One hex digit of officer 2's share changed: the file still reads, its value is off the committed line.
        var lines = try String(contentsOfFile: quorum.share(2), encoding: .utf8).components(separatedBy: "\n")
        let shareLine = try #require(lines.firstIndex { $0.hasPrefix("share ") })
        let last = lines[shareLine].removeLast()
        lines[shareLine].append(last == "0" ? "1" : "0")
        let corrupted = try quorum.scratch.write("corrupted.share", lines.joined(separator: "\n"))
        let before = try quorum.auditEvents()
        let refused = try quorum.run(
            ["verify", "--custodian", "--all", "--key-share", corrupted] + quorum.shares([1, 3]))
        #expect(refused.status == 3)
        #expect(refused.stderr.contains(corrupted) && refused.stderr.contains("corrupted"), "\(refused.stderr)")
        // A truncated file and a file with another header are named too.
        let truncated = try quorum.scratch.write(
            "truncated.share", lines.prefix(3).joined(separator: "\n"))
        let other = try quorum.scratch.write("other.share", "sharevault vault key v1\nkey 00\n")
        for bad in [truncated, other] {
            let result = try quorum.run(
                ["verify", "--custodian", "--all", "--key-share", bad] + quorum.shares([1, 3]))
            #expect(result.status == 3)
            #expect(result.stderr.contains(bad) && result.stderr.contains("not a sharevault officer key share"))
        }
        // The same officer twice counts once.
        let twice = try quorum.run(["verify", "--custodian", "--all"] + quorum.shares([1, 1, 3]))
        #expect(twice.status == 3)
        #expect(twice.stderr.contains("same officer's key share"), "\(twice.stderr)")
        #expect(try quorum.auditEvents() == before)

        // verify-shares names the corrupted one and passes the others: exit 1, and the check is audited.
        let checked = try quorum.run(
            ["key", "verify-shares", "--key-share", corrupted, "--json"] + quorum.shares([1, 3, 4, 5]))
        #expect(checked.status == 1, "\(checked.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any])
        let shares = try #require(report["shares"] as? [[String: Any]])
        #expect(shares.count == 5)
        #expect(shares.filter { $0["problem"] != nil }.map { $0["file"] as? String } == [corrupted])
        #expect(report["unlockPassed"] as? Bool == true, "the four sound shares unlock the vault's key")
        #expect(try quorum.auditEvents() == before + 1)
        let kinds = try Python.query(
            quorum.vault, "SELECT kind || ' ' || detail FROM auditEvent ORDER BY id DESC LIMIT 1")
        #expect(kinds.contains("key-shares-verified") && kinds.contains("\"failed\":\"officer-2\""), "\(kinds)")
    }

    @Test func everyShareIsProvenOnItsOwnAndTogether() throws {
        let quorum = try Quorum()
        for index in 1...5 {
            let alone = try quorum.run(["key", "verify-shares"] + quorum.shares([index]))
            #expect(alone.status == 0, "\(alone.stderr)")
            #expect(alone.stdout.contains("officer-\(index) (share \(index)): sound"), "\(alone.stdout)")
            #expect(alone.stdout.contains("not checked"))
        }
        let all = try quorum.run(["key", "verify-shares"] + quorum.shares([1, 2, 3, 4, 5]))
        #expect(all.status == 0)
        #expect(all.stdout.contains("together they unlock the vault's key"))
        // Shares checked one by one leave their events unsealed; a quorum that formed the key seals its own.
        let sealed = try Python.query(
            quorum.vault, "SELECT mac IS NOT NULL FROM auditEvent WHERE kind = 'key-shares-verified' ORDER BY id")
        #expect(sealed == "[(0,), (0,), (0,), (0,), (0,), (1,)]", "\(sealed)")
        // `key status` names the quorum, with no share given.
        let status = try quorum.run(["key", "status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(
            status.stdout.contains(
                "key version 1: an officers' quorum 3-of-5 (officer-1, officer-2, officer-3, officer-4, officer-5)"),
            "\(status.stdout)")
        // The chain holds these events written without the key (a quorum checks the MACs of the others).
        let audited = try quorum.run(["audit", "--verify"] + quorum.shares([2, 4, 5]))
        #expect(audited.status == 0, "\(audited.stdout) \(audited.stderr)")
        #expect(audited.stdout.contains("audit chain intact"))
    }

    @Test func reshareGivesNewSharesOfTheSameKeyAndRetiresTheOld() throws {
        let quorum = try Quorum()
        let newDirectory = quorum.scratch.path("new")
        try FileManager.default.createDirectory(atPath: newDirectory, withIntermediateDirectories: true)
        let reshared = try quorum.run(
            [
                "key", "reshare", "--new-key-shares", "3", "--new-key-threshold", "2", "--officer-dir", newDirectory,
                "--officer", "alice", "--officer", "bob", "--officer", "carol",
            ] + quorum.shares([2, 4, 5]))
        #expect(reshared.status == 0, "\(reshared.stderr)")
        for pair in [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]] {
            let files = pair.flatMap {
                ["--key-share", (newDirectory as NSString).appendingPathComponent("\($0).share")]
            }
            let verified = try quorum.run(["verify", "--custodian", "--all"] + files)
            #expect(verified.status == 0, "\(pair): \(verified.stderr)")
        }
        let old = try quorum.run(["verify", "--custodian", "--all"] + quorum.shares([1, 2, 3]))
        #expect(old.status == 3)
        #expect(old.stderr.contains("before a re-share"), "\(old.stderr)")
        // Resharing again from the old shares is refused, and writes no file.
        let again = quorum.scratch.path("again")
        try FileManager.default.createDirectory(atPath: again, withIntermediateDirectories: true)
        let refused = try quorum.run(
            ["key", "reshare", "--new-key-shares", "2", "--new-key-threshold", "2", "--officer-dir", again]
                + quorum.shares([1, 2, 3]))
        #expect(refused.status == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: again).isEmpty)
        let events = try Python.query(quorum.vault, "SELECT kind FROM auditEvent WHERE kind = 'key-reshared'")
        #expect(events == "[('key-reshared',)]", "\(events)")
    }

    @Test func passphraseWrappedSharesNeedTheirOfficersPassphrases() throws {
        let quorum = try Quorum(wrapped: true)
        let text = try String(contentsOfFile: quorum.share(1), encoding: .utf8)
        #expect(!text.contains("\nshare "), "a wrapped share is not in the clear")
        #expect(
            try quorum.run(["verify", "--custodian", "--all"] + quorum.shares([3, 4, 5], passphrases: true)).status
                == 0)
        let unwrapped = try quorum.run(["verify", "--custodian", "--all"] + quorum.shares([3, 4, 5]))
        #expect(unwrapped.status == 3)
        #expect(unwrapped.stderr.contains(quorum.share(3)), "\(unwrapped.stderr)")
        // Officer 4's passphrase handed to officer 3's file.
        let swapped = try quorum.run(
            [
                "verify", "--custodian", "--all", "--key-share", quorum.share(3), "--key-share-passphrase-file",
                quorum.scratch.path("pass-4"),
            ] + quorum.shares([4, 5], passphrases: true))
        #expect(swapped.status == 3)
        #expect(swapped.stderr.contains("wrong passphrase") && swapped.stderr.contains(quorum.share(3)))
    }

    @Test func badQuorumOptionsAreRefusedAndMakeNothing() throws {
        let scratch = try ScratchDirectory()
        let officers = scratch.path("officers")
        try FileManager.default.createDirectory(atPath: officers, withIntermediateDirectories: true)
        let vault = scratch.path("v.db")
        let cases: [[String]] = [
            ["--key-shares", "5", "--officer-dir", officers],
            ["--key-shares", "5", "--key-threshold", "6", "--officer-dir", officers],
            ["--key-shares", "5", "--key-threshold", "1", "--officer-dir", officers],
            ["--key-shares", "5", "--key-threshold", "3"],
            [
                "--key-shares", "3", "--key-threshold", "2", "--officer-dir", officers, "--officer", "a", "--officer",
                "b",
            ],
            [
                "--key-shares", "2", "--key-threshold", "2", "--officer-dir", officers, "--officer", "a", "--officer",
                "a",
            ],
            [
                "--key-shares", "2", "--key-threshold", "2", "--officer-dir", officers, "--officer", "a b", "--officer",
                "c",
            ],
            ["--key-shares", "3", "--key-threshold", "2", "--officer-dir", scratch.path("missing")],
            ["--key-shares", "3", "--key-threshold", "2", "--officer-dir", officers, "--vault-key", scratch.path("k")],
        ]
        for arguments in cases {
            let result = try Sharevault.run(["init", "--vault", vault] + arguments)
            #expect(result.status == 2 || result.status == 3, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: vault), "\(arguments) made a vault")
            #expect(try FileManager.default.contentsOfDirectory(atPath: officers).isEmpty, "\(arguments) left files")
        }
        // A vault whose key is a key file takes no officers' shares.
        #expect(try Sharevault.run(["init", "--vault", vault]).status == 0)
        let share = try scratch.write("stray.share", "sharevault officer share v1\n")
        let mixed = try Sharevault.run(["verify", "--custodian", "--vault", vault, "--key-share", share])
        #expect(mixed.status == 3 || mixed.status == 2)
        #expect(!mixed.stderr.isEmpty)
    }
}
