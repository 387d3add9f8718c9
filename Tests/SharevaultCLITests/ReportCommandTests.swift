import Foundation
import Testing

/// `sharevault report`: its figures against `list --json` and `audit --json` of the same vault (a vault with
/// failed verifications and drills, a tampered pair, pairs waiting for their client half, a recovered wallet and
/// a client id full of markup), the HTML page as a real browser renders it, escaping, and bad input.
@Suite struct ReportCommandTests {
    /// A client id that breaks a page that does not escape it (and loads a remote image if it gets through).
    static let hostileClientId = "<script>alert(\"x\")</script>&'<img/src=https://example.com/x.png>"
    /// A method name (any printable ASCII is one) that breaks a chart or an attribute that does not escape it.
    static let hostileMethod = "<svg/onload=alert(1)>\"&'"

    // MARK: The figures

    /// Every figure of `report --json` is what `list --json` and `audit --json` of the same vault give.
    @Test func theFiguresAreTheListsAndTheAuditChains() throws {
        let vault = try ReportVault.shared.get()
        let result = try vault.run(["report", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let now = try #require(ReportVault.date(report["generatedAt"] as? String))
        let expected = try vault.expected(now: now)

        // The fixture holds what the report is for: without these, the comparisons below would prove little.
        #expect(expected.verification["failed"]! >= 2)
        #expect(expected.drill["failed"]! >= 1)
        #expect(expected.drill["passed"]! >= 4)
        #expect(expected.awaiting.count == 1)
        #expect(expected.verifiedAge.values.filter { $0 > 0 }.count >= 4)
        #expect(expected.signing.keys.contains { $0.hasSuffix(" 2") })

        #expect(report["livePairs"] as? Int == expected.pairs)
        #expect(report["completedPairs"] as? Int == expected.completed)
        #expect(report["clients"] as? Int == expected.clients)
        #expect(report["wallets"] as? Int == expected.wallets)
        #expect(report["pairsByStatus"] as? [String: Int] == expected.byStatus)
        #expect(report["pairsByMethod"] as? [String: Int] == expected.byMethod)
        #expect(report["pairsByCurve"] as? [String: Int] == expected.byCurve)
        let inventory = try #require(report["inventory"] as? [[String: Any]])
        #expect(
            Dictionary(
                uniqueKeysWithValues: inventory.map {
                    ("\($0["curve"]!) \($0["method"]!) \($0["status"]!)", $0["pairs"] as! Int)
                }) == expected.inventory)

        for (name, figures, ages, failedByReason, failures) in [
            (
                "verification", expected.verification, expected.verifiedAge, expected.verifyReasons,
                expected.verifyFailures
            ),
            ("drill", expected.drill, expected.drilledAge, expected.drillReasons, expected.drillFailures),
        ] {
            let reported = try #require(report[name] as? [String: Any], "\(name)")
            for key in ["passed", "failed", "never"] {
                #expect(reported[key] as? Int == figures[key], "\(name) \(key)")
            }
            #expect(reported["daysSince"] as? [String: Int] == ages, "\(name)")
            #expect(reported["failedByReason"] as? [String: Int] == failedByReason, "\(name)")
            let list = try #require(reported["failures"] as? [String: Any])
            #expect(list["total"] as? Int == failures.count)
            #expect((list["pairs"] as? [[String: Any]])?.compactMap { $0["pairId"] as? Int } == failures)
        }
        let awaiting = try #require(report["awaitingClientHalf"] as? [String: Any])
        #expect(awaiting["total"] as? Int == expected.awaiting.count)
        #expect((awaiting["pairs"] as? [[String: Any]])?.compactMap { $0["pairId"] as? Int } == expected.awaiting)

        let signing = try #require(report["signingGenerations"] as? [[String: Any]])
        #expect(
            Dictionary(
                uniqueKeysWithValues: signing.map { ("\($0["curve"]!) \($0["generation"]!)", $0["wallets"] as! Int) })
                == expected.signing)

        let chain = try #require(report["auditChain"] as? [String: Any])
        #expect(chain["intact"] as? Bool == true)
        #expect(chain["macsChecked"] as? Bool == false)
        #expect(chain["events"] as? Int == expected.events.count)
        #expect(chain["eventsByKind"] as? [String: Int] == expected.eventsByKind)
        #expect(chain["headHash"] as? String == expected.head)

        // The key state is what `key status` of the same vault says.
        let status = try vault.run(["key", "status", "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let keyState = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? NSDictionary)
        #expect(report["keyState"] as? NSDictionary == keyState, "\(report["keyState"] ?? "none")")
        #expect(keyState["keyVersion"] as? Int == 1 && keyState["rekey"] == nil)
        let shares = try #require(keyState["sharesByKeyVersion"] as? [[String: Int]])
        #expect(shares.count == 1 && shares[0]["keyVersion"] == 1 && shares[0]["shares"]! >= expected.pairs)

        let runs = try #require(report["recordedRuns"] as? [String: Any])
        #expect(runs["verifyRuns"] as? Int == expected.verifyRunIds.count)
        #expect(
            (runs["lastVerifyRuns"] as? [[String: Any]])?.compactMap { $0["event"] as? Int }
                == expected.verifyRunIds.suffix(10).reversed().map { $0 })
        #expect(runs["drills"] as? Int == expected.recordedDrills.count)
        #expect(runs["drillsPassed"] as? Int == expected.recordedDrills.filter { $0 == "passed" }.count)
        #expect(runs["drillsFailed"] as? Int == expected.recordedDrills.filter { $0 != "passed" }.count)
        let lastRun = try #require((runs["lastVerifyRuns"] as? [[String: Any]])?.first)
        #expect(lastRun["clientId"] as? String == "c-2")
        #expect(lastRun["level"] as? String == "public")
        #expect(lastRun["checked"] as? Int == 4)
    }

    /// The readable summary says what the figures say, and a report writes nothing to the vault.
    @Test func theSummaryIsReadableAndTheVaultIsUntouched() throws {
        let vault = try ReportVault.shared.get()
        let before = try Data(contentsOf: URL(fileURLWithPath: vault.path))
        let events = try vault.expected(now: Date()).events.count
        let result = try vault.run(["report"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("live pair(s)"), "\(result.stdout)")
        #expect(result.stdout.contains("audit chain: holds"), "\(result.stdout)")
        #expect(result.stdout.contains("vault key: version 1, a key file\n"), "\(result.stdout)")
        #expect(!result.stdout.contains("wrote"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.path)) == before)
        #expect(try vault.expected(now: Date()).events.count == events)
    }

    /// The same vault copied to PostgreSQL reports the same figures (the report reads both stores through the
    /// same calls).
    @Test func aCopyOnPostgreSQLReportsTheSame() async throws {
        let vault = try ReportVault.shared.get()
        let database = try await StoreOptionTests.newDatabase()
        let copied = try vault.run(["copy", "--to", database])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        var figures: [[String: Any]] = []
        for result in [
            try vault.run(["report", "--json"]), try Sharevault.run(["report", "--json", "--store", database]),
        ] {
            #expect(result.status == 0, "\(result.stderr)")
            var report = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            report["vault"] = nil
            report["generatedAt"] = nil
            figures.append(report)
        }
        #expect((figures[0]["livePairs"] as? Int ?? 0) > 0)
        #expect(NSDictionary(dictionary: figures[0]).isEqual(to: figures[1]))
    }

    // MARK: The page

    /// Client ids, methods and every other text from the vault are escaped: the hostile id shows as text, and no
    /// tag from it reaches the page.
    @Test func textFromTheVaultIsEscaped() throws {
        let vault = try ReportVault.shared.get()
        let page = try vault.page()
        #expect(!page.lowercased().contains("<script"))
        #expect(!page.contains("<img"))
        #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&lt;img/src=https://"))
        #expect(!page.contains("<svg/onload"))
        #expect(page.contains("&lt;svg/onload=alert(1)&gt;&quot;&amp;&#39;"))
        #expect(page.contains("data-key=\"&lt;svg/onload=alert(1)&gt;&quot;&amp;&#39;\""))
        // Public material only: no ciphertext (sharevault's own start with base64 of "SVCB") and no share.
        #expect(!page.contains("U1ZDQ"))
        #expect(!page.contains("\"share\""))
    }

    /// Headless Chromium renders the page: the figures in the DOM it built are those of `list --json`, nothing
    /// outside the page is referenced, the console stays silent, and a screenshot is taken.
    @Test func aBrowserRendersTheFiguresWithNoConsoleMessage() throws {
        let chromium = try #require(
            Browser.chromium,
            "chromium not found on PATH: run `bash .ci/install-deps` (it installs Debian's chromium package)")
        let vault = try ReportVault.shared.get()
        let file = vault.scratch.path("browser-\(UUID().uuidString).html")
        let written = try vault.run(["report", "--html", file])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("wrote \(file)"))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let rendered = try Browser.run(
            chromium, ["--enable-logging=stderr", "--v=0", "--dump-dom", URL(fileURLWithPath: file).absoluteString])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let dom = rendered.stdout
        #expect(dom.contains("sharevault audit report"), "\(dom.prefix(400))")
        let console = rendered.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console messages: \(console)")

        // No reference to anything outside the page, in the file or in the DOM the browser built.
        let page = try String(contentsOfFile: file, encoding: .utf8)
        for text in [page, dom] {
            #expect(
                text.firstMatch(of: #/(?i)<[^>]*[\s/](src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//|file:)/#)
                    == nil)
            #expect(text.firstMatch(of: #/(?i)<(script|link|img|iframe|object|embed)\b/#) == nil)
            #expect(text.firstMatch(of: #/(?i)(url\(|@import)/#) == nil)
        }

        let figures = Browser.figures(in: dom)
        let generated = try #require(dom.firstMatch(of: #/id="generated-at" datetime="([^"]+)"/#)?.output.1)
        let expected = try vault.expected(now: try #require(ReportVault.date(String(generated))))
        func value(_ figure: String, _ attributes: [String: String]) -> Int? {
            let matches = figures.filter { found in
                found.attributes["data-figure"] == figure
                    && attributes.allSatisfy { found.attributes[$0.key] == $0.value }
            }
            guard matches.count == 1 else { return nil }
            return Int(matches[0].text.replacingOccurrences(of: ",", with: ""))
        }
        #expect(value("total", ["data-key": "live-pairs"]) == expected.pairs)
        #expect(value("total", ["data-key": "completed-pairs"]) == expected.completed)
        #expect(value("total", ["data-key": "incomplete-pairs"]) == expected.pairs - expected.completed)
        #expect(value("total", ["data-key": "clients"]) == expected.clients)
        #expect(value("total", ["data-key": "wallets"]) == expected.wallets)
        #expect(value("total", ["data-key": "never-verified"]) == expected.verification["never"])
        #expect(value("total", ["data-key": "verify-failed"]) == expected.verification["failed"])
        #expect(value("total", ["data-key": "never-drilled"]) == expected.drill["never"])
        #expect(value("total", ["data-key": "drill-failed"]) == expected.drill["failed"])
        #expect(value("total", ["data-key": "awaiting-client-half"]) == expected.awaiting.count)
        for (status, count) in expected.byStatus {
            #expect(value("by-status", ["data-key": status]) == count, "\(status)")
            let bar = figures.first {
                $0.attributes["data-chart"] == "status" && $0.attributes["data-key"] == status
            }
            #expect(bar?.attributes["data-value"] == String(count), "bar \(status)")
        }
        for (method, count) in expected.byMethod {
            #expect(value("by-method", ["data-key": method]) == count, "\(method)")
        }
        for (curve, count) in expected.byCurve {
            #expect(value("by-curve", ["data-key": curve]) == count, "\(curve)")
        }
        let inventoryCells = figures.filter { $0.attributes["data-figure"] == "inventory" }
        #expect(inventoryCells.count == expected.inventory.count)
        for (key, count) in expected.inventory {
            let parts = key.split(separator: " ").map(String.init)
            #expect(
                value("inventory", ["data-curve": parts[0], "data-method": parts[1], "data-status": parts[2]]) == count,
                "\(key)")
        }
        for (bucket, count) in expected.verifiedAge {
            #expect(value("verified-age", ["data-key": bucket]) == count, "verified \(bucket)")
        }
        for (bucket, count) in expected.drilledAge {
            #expect(value("drilled-age", ["data-key": bucket]) == count, "drilled \(bucket)")
        }
        for key in ["passed", "failed", "never"] {
            #expect(value("verification", ["data-key": key]) == expected.verification[key], "verification \(key)")
            #expect(value("drill", ["data-key": key]) == expected.drill[key], "drill \(key)")
        }
        for (reason, count) in expected.verifyReasons {
            #expect(value("verify-failed-reason", ["data-key": reason]) == count, "\(reason)")
        }
        for (reason, count) in expected.drillReasons {
            #expect(value("drill-failed-reason", ["data-key": reason]) == count, "\(reason)")
        }
        for (key, count) in expected.signing {
            let parts = key.split(separator: " ").map(String.init)
            #expect(value("signing", ["data-curve": parts[0], "data-generation": parts[1]]) == count, "\(key)")
        }
        #expect(value("audit", ["data-key": "events"]) == expected.events.count)
        let keyStatus = try vault.run(["key", "status", "--json"])
        let keyState = try #require(
            try JSONSerialization.jsonObject(with: Data(keyStatus.stdout.utf8)) as? [String: Any])
        #expect(value("key", ["data-key": "version"]) == keyState["keyVersion"] as? Int)
        #expect(figures.first { $0.attributes["data-key"] == "rekey" }?.text == "none")
        for row in try #require(keyState["sharesByKeyVersion"] as? [[String: Int]]) {
            #expect(value("key-shares", ["data-key": String(row["keyVersion"]!)]) == row["shares"])
        }
        #expect(figures.first { $0.attributes["data-key"] == "head" }?.text == expected.head)
        #expect(figures.first { $0.attributes["data-key"] == "state" }?.text == "holds")
        #expect(Browser.listed("verify-failures", in: dom) == expected.verifyFailures)
        #expect(Browser.listed("drill-failures", in: dom) == expected.drillFailures)
        #expect(Browser.listed("awaiting-client-half", in: dom) == expected.awaiting)
        // The hostile id is text in the DOM the browser built.
        #expect(dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;&amp;'&lt;img/src=https://"))
        #expect(value("by-method", ["data-key": ReportCommandTests.hostileMethod]) == 1)

        let screenshot = vault.scratch.path("report-\(UUID().uuidString).png")
        let shot = try Browser.run(
            chromium,
            [
                "--hide-scrollbars", "--window-size=1200,1600", "--screenshot=\(screenshot)",
                URL(fileURLWithPath: file).absoluteString,
            ])
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000, "a screenshot of \(png.count) bytes shows next to nothing")
    }

    // MARK: Bad input

    /// A missing or empty --html path, a file that exists, a path that cannot be written, a file that is not a
    /// vault, no vault: each refused with its exit status and message, nothing written.
    @Test func badInputIsRefusedAndNothingIsWritten() throws {
        let vault = try ReportVault.shared.get()
        let scratch = try ScratchDirectory()

        let missing = try vault.run(["report", "--html"])
        #expect(missing.status == 2, "\(missing.stderr)")
        #expect(missing.stderr.contains("Missing value for '--html <file>'"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
        let empty = try vault.run(["report", "--html", ""])
        #expect(empty.status == 2, "\(empty.stderr)")
        #expect(empty.stderr.contains("--html needs a file path"), "\(empty.stderr)")

        let existing = try scratch.write("existing.html", "keep me\n")
        let refused = try vault.run(["report", "--html", existing])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("\(existing): already exists; not overwriting it"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try scratch.read("existing.html") == "keep me\n")

        let notAFolder = scratch.path("existing.html/report.html")
        let noFolder = scratch.path("no-such-folder/report.html")
        for path in [notAFolder, noFolder] {
            let unwritable = try vault.run(["report", "--html", path])
            #expect(unwritable.status == 3, "\(path): \(unwritable.stderr)")
            #expect(unwritable.stderr.contains("\(path): cannot write it"), "\(unwritable.stderr)")
            #expect(unwritable.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("no-such-folder")))

        let notAVault = try scratch.write("not-a-vault.db", "just some text, not SQLite\n")
        let out = scratch.path("out.html")
        let notVault = try Sharevault.run(
            ["report", "--vault", notAVault, "--html", out], environment: TestVault.quietEnvironment)
        #expect(notVault.status == 3, "\(notVault.stderr)")
        #expect(notVault.stderr.contains("not a sharevault vault"), "\(notVault.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try scratch.read("not-a-vault.db") == "just some text, not SQLite\n")

        let noVault = try Sharevault.run(
            ["report", "--vault", scratch.path("nothing.db"), "--html", out], environment: TestVault.quietEnvironment)
        #expect(noVault.status == 3, "\(noVault.stderr)")
        #expect(noVault.stderr.contains("no vault here"), "\(noVault.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("nothing.db")))
    }
}

/// The report tests' vault, made once per test run (every report only reads it): clients c-1 to c-3 with GDRIVE
/// and PASSWORD pairs on both curves, the hostile client with one GDRIVE pair whose public share was replaced
/// behind the tool's back (its verification and drill fail), three custodian halves with no client half (one of
/// them three days old, one under the hostile method), a recovered wallet (generation 2), verifications and
/// drills, and last-verified times moved into every age bucket.
final class ReportVault: @unchecked Sendable {
    /// Only read once made: every test runs read-only commands on it.
    let vault: TestVault

    static let shared: Result<ReportVault, any Error> = Result { try ReportVault() }

    var scratch: ScratchDirectory { vault.scratch }
    var path: String { vault.path }

    private init() throws {
        vault = try TestVault()
        let scratch = vault.scratch
        try scratch.write("password", "correct horse\n")
        let keys = ["--key-store", scratch.path("keys"), "--password-file", scratch.path("password")]
        /// SQL for the vault's text of a time `days` days ago.
        func ago(_ days: Int) -> String { "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-\(days) days')" }
        // The native secp256k1 webhook under the hostile method: a fourth custodian half with no client half.
        let native = IngestFixtureTests.good.first { $0.name == "native-secp256k1" }!
        guard
            var body = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: native.bodyPath)))
                as? [String: Any]
        else { throw TemplateError(message: "\(native.bodyPath) is not a JSON object") }
        body["backupMethod"] = ReportCommandTests.hostileMethod
        let hostileBody = scratch.path("hostile-method.json")
        try JSONSerialization.data(withJSONObject: body).write(to: URL(fileURLWithPath: hostileBody))
        let steps: [([String], Int32)] = [
            (["init"], 0),
            (["create", "--client-id", "c", "--count", "3", "--method", "GDRIVE", "--method", "PASSWORD"] + keys, 0),
            (
                [
                    "create", "--client-id", ReportCommandTests.hostileClientId, "--curve", "secp256k1", "--method",
                    "GDRIVE",
                ]
                    + keys, 0
            ),
            (["ingest", "custodian", VaultCommandTests.portal.bodyPath], 0),
            (["ingest", "custodian", VaultCommandTests.native.bodyPath], 0),
            (["ingest", "custodian", hostileBody], 0),
            (
                ["recover", "--client-id", "c-3", "--method", "GDRIVE-SECP256K1", "--out", scratch.path("recovered")]
                    + keys, 0
            ),
            (
                [
                    "sql",
                    """
                    UPDATE custodianShare SET publicShare = (SELECT publicShare FROM custodianShare WHERE pairId = 1)
                        WHERE pairId = 13
                    """,
                ], 0
            ),
            (["verify"], 1),
            (["drill", "--client-id", "c-1"] + keys, 0),
            (["drill", "--client-id", ReportCommandTests.hostileClientId] + keys, 1),
            (
                [
                    "sql",
                    """
                    UPDATE backupPair SET createdAt = \(ago(3)) WHERE id = 14;
                    UPDATE backupPair SET lastVerifiedAt = \(ago(3)) WHERE id = 9;
                    UPDATE backupPair SET lastVerifiedAt = \(ago(10)) WHERE id = 10;
                    UPDATE backupPair SET lastVerifiedAt = \(ago(40)) WHERE id = 11;
                    UPDATE backupPair SET lastVerifiedAt = \(ago(100)) WHERE id = 12;
                    UPDATE backupPair SET lastDrilledAt = \(ago(2)) WHERE id = 1;
                    """,
                ], 0
            ),
            (["verify", "--client-id", "c-2"], 0),
        ]
        for (arguments, status) in steps {
            let result: CommandResult
            if arguments.first == "sql" {
                result = try Python.sql(vault.path, execute: arguments[1])
            } else {
                result = try vault.run(arguments)
            }
            guard result.status == status else {
                throw TemplateError(message: "\(arguments): exit \(result.status): \(result.stderr)")
            }
        }
    }

    func run(_ arguments: [String]) throws -> CommandResult { try vault.run(arguments) }

    /// The page `report --html` writes, read back.
    func page() throws -> String {
        let file = scratch.path("page-\(UUID().uuidString).html")
        let result = try run(["report", "--html", file])
        #expect(result.status == 0, "\(result.stderr)")
        return try String(contentsOfFile: file, encoding: .utf8)
    }

    /// A time as the vault writes it.
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The report's figures as computed here from `list --json`, `audit --json` and `audit --head`, with ages
    /// measured from `now`.
    func expected(now: Date) throws -> Expected {
        let listed = try run(["list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let pairs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let audited = try run(["audit", "--json"])
        let events = try #require(try JSONSerialization.jsonObject(with: Data(audited.stdout.utf8)) as? [[String: Any]])
        let head = try run(["audit", "--head"])
        #expect(head.status == 0, "\(head.stderr)")
        let headDocument = try #require(
            try JSONSerialization.jsonObject(with: Data(head.stdout.utf8)) as? [String: Any])

        var expected = Expected(pairs: pairs.count, events: events)
        expected.head = headDocument["hash"] as? String
        var wallets = Set<String>()
        var generations: [String: Int] = [:]
        for pair in pairs {
            let clientId = pair["clientId"] as! String
            let curve = pair["curve"] as! String
            let method = pair["method"] as! String
            let status = pair["status"] as! String
            let id = pair["pairId"] as! Int
            if pair["completed"] as! Bool { expected.completed += 1 }
            expected.byStatus[status, default: 0] += 1
            expected.byMethod[method, default: 0] += 1
            expected.byCurve[curve, default: 0] += 1
            expected.inventory["\(curve) \(method) \(status)", default: 0] += 1
            wallets.insert("\(clientId) \(curve)")
            if let generation = pair["generation"] as? Int { generations["\(clientId) \(curve)"] = generation }
            let created = Self.date(pair["createdAt"] as? String)!
            if status == "STORED_CUSTODIAN_BACKUP_SHARE", now.timeIntervalSince(created) > 86_400 {
                expected.awaiting.append(id)
            }
            for check in ["Verified", "Drilled"] {
                let at = Self.date(pair["last\(check)At"] as? String)
                let outcome = pair["last\(check)Outcome"] as? String
                let bucket = Self.bucket(at, now: now)
                var figures = check == "Verified" ? expected.verification : expected.drill
                switch outcome {
                case nil: figures["never"]! += 1
                case "passed": figures["passed"]! += 1
                default: figures["failed"]! += 1
                }
                if check == "Verified" {
                    expected.verification = figures
                    expected.verifiedAge[bucket]! += 1
                    if let outcome, outcome != "passed" {
                        expected.verifyReasons[outcome, default: 0] += 1
                        expected.verifyFailures.append(id)
                    }
                } else {
                    expected.drill = figures
                    expected.drilledAge[bucket]! += 1
                    if let outcome, outcome != "passed" {
                        expected.drillReasons[outcome, default: 0] += 1
                        expected.drillFailures.append(id)
                    }
                }
            }
        }
        expected.clients = Set(pairs.map { $0["clientId"] as! String }).count
        expected.wallets = wallets.count
        for (key, generation) in generations {
            expected.signing["\(key.split(separator: " ").last!) \(generation)", default: 0] += 1
        }
        for event in events {
            let kind = event["kind"] as! String
            expected.eventsByKind[kind, default: 0] += 1
            if kind == "verify" { expected.verifyRunIds.append(event["id"] as! Int) }
            if kind == "drill" {
                expected.recordedDrills.append((event["detail"] as? [String: String])?["outcome"] ?? "")
            }
        }
        return expected
    }

    /// The age buckets, as DESIGN's report names them: under a day, 1-7, 7-30, 30-90, 90 and more, never.
    static func bucket(_ date: Date?, now: Date) -> String {
        guard let date else { return "never" }
        let days = now.timeIntervalSince(date) / 86_400
        if days < 1 { return "0-1" }
        if days < 7 { return "1-7" }
        if days < 30 { return "7-30" }
        if days < 90 { return "30-90" }
        return "90+"
    }

    /// What the report should show.
    struct Expected {
        var pairs: Int
        var events: [[String: Any]]
        var completed = 0
        var clients = 0
        var wallets = 0
        var byStatus = [
            "STORED_CUSTODIAN_BACKUP_SHARE": 0, "STORED_CLIENT_BACKUP_SHARE_KEY": 0, "STORED_CLIENT_BACKUP_SHARE": 0,
        ]
        var byMethod: [String: Int] = [:]
        var byCurve = ["secp256k1": 0, "ed25519": 0]
        var inventory: [String: Int] = [:]
        var verification = ["passed": 0, "failed": 0, "never": 0]
        var drill = ["passed": 0, "failed": 0, "never": 0]
        var verifiedAge = ["0-1": 0, "1-7": 0, "7-30": 0, "30-90": 0, "90+": 0, "never": 0]
        var drilledAge = ["0-1": 0, "1-7": 0, "7-30": 0, "30-90": 0, "90+": 0, "never": 0]
        var verifyReasons: [String: Int] = [:]
        var drillReasons: [String: Int] = [:]
        var verifyFailures: [Int] = []
        var drillFailures: [Int] = []
        var awaiting: [Int] = []
        var signing: [String: Int] = [:]
        var eventsByKind: [String: Int] = [:]
        var verifyRunIds: [Int] = []
        var recordedDrills: [String] = []
        var head: String?
    }
}

/// Headless Chromium (Debian's `chromium` package, which .ci/install-deps installs), and reading the figures back
/// from the DOM it dumps.
enum Browser {
    /// `chromium` on PATH, if any.
    static let chromium: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("chromium") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs Chromium headless, in a throwaway profile, under `timeout` so a hung browser fails the test.
    static func run(_ chromium: URL, _ arguments: [String]) throws -> CommandResult {
        let profile = try ScratchDirectory()
        return try Subprocess.run(
            URL(fileURLWithPath: "/usr/bin/timeout"),
            [
                "120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=\(profile.url.path)",
            ] + arguments)
    }

    /// An element carrying a figure: its attributes (entities decoded) and its text.
    struct Figure {
        var attributes: [String: String]
        var text: String
    }

    /// Every element with a `data-figure` or `data-chart` attribute whose content starts with text.
    static func figures(in dom: String) -> [Figure] {
        dom.matches(of: #/<([a-z]+)((?:\s+[a-z-]+="[^"]*")*)\s*/?>([^<]*)/#).compactMap { match in
            let attributes = Dictionary(
                match.output.2.matches(of: #/([a-z-]+)="([^"]*)"/#).map {
                    (String($0.output.1), unescape(String($0.output.2)))
                }, uniquingKeysWith: { first, _ in first })
            guard attributes["data-figure"] != nil || attributes["data-chart"] != nil else { return nil }
            return Figure(
                attributes: attributes,
                text: unescape(String(match.output.3)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The pair ids of a list's rows, in order.
    static func listed(_ list: String, in dom: String) -> [Int] {
        dom.matches(of: #/<tr data-list="([^"]+)" data-pair-id="(\d+)"/#).filter { $0.output.1 == list }
            .compactMap { Int($0.output.2) }
    }

    /// The entities a serialised DOM uses.
    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{a0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
