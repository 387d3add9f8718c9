import Foundation
import ShareMath

/// The audit report as one self-contained HTML page (DESIGN section 6): CSS in a `<style>`, charts as inline SVG,
/// no script, no font, no image and no link to anything outside the page, and a Content-Security-Policy that
/// forbids loading anything, so the page can be attached to an audit and opened anywhere, offline.
///
/// Every text that comes from the vault (client ids, method names, the vault's location, recorded outcomes) is
/// HTML-escaped. Each figure carries `data-figure` (and `data-key`, or the inventory's `data-curve`,
/// `data-method`, `data-status`) so that a program can read it back from the page; each listed pair's row carries
/// `data-list` and `data-pair-id`.
public enum HTMLReport {
    /// The page; a pure function of the report.
    public static func render(_ report: VaultReport) -> String {
        let generated = VaultClock.format(report.generatedAt)
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
            base-uri 'none'; form-action 'none'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>sharevault report: \(escape(report.vault)), \(generated)</title>
            <style>\(style)</style>
            </head>
            <body>
            <header>
            <h1>sharevault audit report</h1>
            <p>Vault <code id="vault">\(escape(report.vault))</code>, as of <time id="generated-at" \
            datetime="\(generated)">\(generated)</time>. Public material only: counts, client ids, methods and \
            times; no share, key or ciphertext is in this page.</p>
            </header>

            """
        page += summary(report)
        page += inventory(report)
        page += staleness(report)
        page += outcomes(report)
        page += recordedRuns(report)
        page += signing(report)
        page += vaultKey(report)
        page += auditChain(report)
        page += """
            <footer>Made by <code>sharevault report</code> from the vault opened read-only, without its key. \
            Ages are measured from \(generated). Lists show at most \(report.listLimit) pairs (every pair: \
            <code>sharevault list --json</code>); the audit chain's runs and drills, the last \(report.runLimit).\
            </footer>
            </body>
            </html>

            """
        return page
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element content and in any quoted
    /// attribute value.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A count with thousands separated by commas (`12,345`), whatever the locale.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    // MARK: Sections

    private static func summary(_ report: VaultReport) -> String {
        let chain = report.auditChain
        let items: [(String, String, Int, String?)] = [
            ("Clients", "clients", report.clients, nil),
            ("Wallets", "wallets", report.wallets, nil),
            ("Live backup pairs", "live-pairs", report.livePairs, nil),
            ("Completed", "completed-pairs", report.completedPairs, nil),
            ("Incomplete", "incomplete-pairs", report.livePairs - report.completedPairs, nil),
            ("Never verified", "never-verified", report.verification.never, "warn"),
            ("Last verification failed", "verify-failed", report.verification.failed, "bad"),
            ("Never drilled", "never-drilled", report.drill.never, "warn"),
            ("Last drill failed", "drill-failed", report.drill.failed, "bad"),
            (
                "Client half missing > \(VaultReport.awaitingClientHalfDays) day", "awaiting-client-half",
                report.awaitingClientHalf.total, "warn"
            ),
        ]
        var out = "<section id=\"summary\"><h2>Summary</h2>\n<dl class=\"cards\">\n"
        for (label, key, value, tone) in items {
            let toneClass = tone.map { value > 0 ? " \($0)" : " good" } ?? ""
            out += """
                <div class="card\(toneClass)"><dt>\(label)</dt><dd data-figure="total" data-key="\(key)">\
                \(grouped(value))</dd></div>

                """
        }
        out += """
            <div class="card \(chain.intact ? "good" : "bad")"><dt>Audit chain</dt><dd data-figure="audit" \
            data-key="state">\(chain.intact ? "holds" : "BROKEN")</dd></div>
            </dl></section>

            """
        return out
    }

    private static func inventory(_ report: VaultReport) -> String {
        let statusChart = BarChart(
            title: "Live pairs by status", name: "status", series: [.init(name: "pairs", cssClass: "bar")],
            rows: BackupStatus.allCases.map {
                .init(
                    label: statusLabel($0.rawValue), key: $0.rawValue, values: [report.pairsByStatus[$0.rawValue] ?? 0])
            })
        // The methods with the most pairs, the rest as one bar (methods are free strings: there may be many).
        let methods = report.pairsByMethod.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var methodRows = methods.prefix(chartMethods).map {
            BarChart.Row(label: $0.key, key: $0.key, values: [$0.value])
        }
        if methods.count > chartMethods {
            let rest = methods.dropFirst(chartMethods)
            methodRows.append(
                .init(
                    label: "\(rest.count) other methods", key: "(other)", values: [rest.reduce(0) { $0 + $1.value }]))
        }
        let methodChart = BarChart(
            title: "Live pairs by method", name: "method", series: [.init(name: "pairs", cssClass: "bar")],
            rows: methodRows)

        var out = """
            <section id="inventory"><h2>Inventory of live pairs</h2>
            <div class="charts"><figure>\(statusChart.svg())<figcaption>By status</figcaption></figure>
            <figure>\(methodChart.svg())<figcaption>By method</figcaption></figure></div>
            <div class="tables">
            <table id="by-status"><caption>By status</caption><thead><tr><th>status</th><th class="n">pairs</th>\
            </tr></thead><tbody>

            """
        for status in BackupStatus.allCases {
            out += """
                <tr><td>\(status.rawValue)<br><small>\(statusLabel(status.rawValue))</small></td>\
                \(cell("by-status", key: status.rawValue, report.pairsByStatus[status.rawValue] ?? 0))</tr>

                """
        }
        out += """
            </tbody></table>
            <table id="by-curve"><caption>By curve</caption><thead><tr><th>curve</th><th class="n">pairs</th></tr>\
            </thead><tbody>

            """
        for (curve, count) in report.pairsByCurve.sorted(by: { $0.key < $1.key }) {
            out += "<tr><td>\(escape(curve))</td>\(cell("by-curve", key: curve, count))</tr>\n"
        }
        out += """
            </tbody></table>
            <table id="by-method"><caption>By method</caption><thead><tr><th>method</th><th class="n">pairs</th>\
            </tr></thead><tbody>

            """
        for (method, count) in methods.prefix(tableRows) {
            out += "<tr><td>\(escape(method))</td>\(cell("by-method", key: method, count))</tr>\n"
        }
        out += more(methods.count, shown: tableRows, columns: 2, what: "methods")
        out += """
            </tbody></table></div>
            <table id="inventory-table"><caption>By curve, method and status</caption><thead><tr><th>curve</th>\
            <th>method</th><th>status</th><th class="n">pairs</th></tr></thead><tbody>

            """
        for row in report.inventory.prefix(tableRows) {
            out += """
                <tr><td>\(escape(row.curve))</td><td>\(escape(row.method))</td><td>\(escape(row.status))</td>\
                <td class="n" data-figure="inventory" data-curve="\(escape(row.curve))" \
                data-method="\(escape(row.method))" data-status="\(escape(row.status))">\(grouped(row.pairs))</td></tr>

                """
        }
        out += more(report.inventory.count, shown: tableRows, columns: 4, what: "rows")
        return out + "</tbody></table></section>\n"
    }

    private static func staleness(_ report: VaultReport) -> String {
        let chart = BarChart(
            title: "Live pairs by days since their last verification and their last drill", name: "age",
            series: [
                .init(name: "last verified", cssClass: "verified"), .init(name: "last drilled", cssClass: "drilled"),
            ],
            rows: AgeBucket.allCases.map {
                .init(
                    label: $0.label, key: $0.rawValue,
                    values: [report.verification.daysSince[$0.rawValue] ?? 0, report.drill.daysSince[$0.rawValue] ?? 0])
            })
        var out = """
            <section id="staleness"><h2>Staleness</h2>
            <div class="charts"><figure>\(chart.svg())<figcaption>Days since the last verification and the last \
            drill</figcaption></figure>
            <table id="ages"><caption>Live pairs by days since</caption><thead><tr><th>days since</th>\
            <th class="n">last verified</th><th class="n">last drilled</th></tr></thead><tbody>

            """
        for bucket in AgeBucket.allCases {
            let verified = report.verification.daysSince[bucket.rawValue] ?? 0
            let drilled = report.drill.daysSince[bucket.rawValue] ?? 0
            out += """
                <tr><td>\(bucket.label)</td>\(cell("verified-age", key: bucket.rawValue, verified))\
                \(cell("drilled-age", key: bucket.rawValue, drilled))</tr>

                """
        }
        out += """
            </tbody></table></div>
            <h3>Client half missing</h3>
            <p>Live pairs whose custodian half arrived more than \(VaultReport.awaitingClientHalfDays) day ago and \
            whose client half never did (status STORED_CUSTODIAN_BACKUP_SHARE): \
            <strong data-figure="awaiting-client-half" data-key="total">\(grouped(report.awaitingClientHalf.total))\
            </strong>.</p>

            """
        out += pairTable(
            report.awaitingClientHalf, list: "awaiting-client-half", now: report.generatedAt, timeHeading: nil)
        return out + "</section>\n"
    }

    private static func outcomes(_ report: VaultReport) -> String {
        var out = """
            <section id="outcomes"><h2>Last verification and drill outcomes</h2>
            <p>What each live pair's last verification and last drill found, as recorded on the pair.</p>
            <table id="outcome-totals"><thead><tr><th></th><th class="n">passed</th><th class="n">failed</th>\
            <th class="n">never</th><th>latest</th><th>oldest</th></tr></thead><tbody>

            """
        for (name, figures) in [("verification", report.verification), ("drill", report.drill)] {
            out += """
                <tr><th>\(name)</th>\(cell(name, key: "passed", figures.passed))\
                \(cell(name, key: "failed", figures.failed))\(cell(name, key: "never", figures.never))\
                <td>\(time(figures.latest))</td><td>\(time(figures.oldest))</td></tr>

                """
        }
        out += """
            </tbody></table>
            <table id="failures-by-reason"><caption>Failed pairs by reason</caption><thead><tr><th>reason</th>\
            <th class="n">verification</th><th class="n">drill</th></tr></thead><tbody>

            """
        let reasons = Set(report.verification.failedByReason.keys).union(report.drill.failedByReason.keys).sorted()
        if reasons.isEmpty { out += "<tr><td colspan=\"3\" class=\"none\">no failures</td></tr>\n" }
        for reason in reasons {
            out += """
                <tr><td>\(reasonText(reason))</td>\
                \(cell("verify-failed-reason", key: reason, report.verification.failedByReason[reason] ?? 0))\
                \(cell("drill-failed-reason", key: reason, report.drill.failedByReason[reason] ?? 0))</tr>

                """
        }
        out += "</tbody></table>\n<h3>Pairs whose last verification failed</h3>\n"
        out += pairTable(
            report.verification.failures, list: "verify-failures", now: report.generatedAt, timeHeading: "verified")
        out += "<h3>Pairs whose last drill failed</h3>\n"
        out += pairTable(report.drill.failures, list: "drill-failures", now: report.generatedAt, timeHeading: "drilled")
        return out + "</section>\n"
    }

    private static func recordedRuns(_ report: VaultReport) -> String {
        let runs = report.recordedRuns
        var out = """
            <section id="runs"><h2>Runs the audit chain records</h2>
            <p><span data-figure="recorded" data-key="verify-runs">\(grouped(runs.verifyRuns))</span> verification \
            runs; <span data-figure="recorded" data-key="drills">\(grouped(runs.drills))</span> drills, \
            <span data-figure="recorded" data-key="drills-passed">\(grouped(runs.drillsPassed))</span> passed and \
            <span data-figure="recorded" data-key="drills-failed">\(grouped(runs.drillsFailed))</span> failed, over \
            the vault's history (pairs since replaced included).</p>
            <table id="verify-runs"><caption>The last verification runs</caption><thead><tr><th>event</th>\
            <th>at</th><th>level</th><th>scope</th><th class="n">checked</th><th class="n">passed</th>\
            <th class="n">failed</th><th>audit chain</th><th class="n">bookkeeping problems</th></tr></thead><tbody>

            """
        if runs.lastVerifyRuns.isEmpty { out += "<tr><td colspan=\"9\" class=\"none\">never verified</td></tr>\n" }
        for run in runs.lastVerifyRuns {
            var scope = run.clientId.map { "client " + escape($0) } ?? "every pair"
            if let shard = run.shard { scope += ", shard " + escape(shard) }
            let chain = run.auditChainIntact.map { $0 ? "held" : "<span class=\"bad\">broken</span>" } ?? "?"
            out += """
                <tr data-list="verify-runs" data-event="\(run.event)"><td>\(run.event)</td><td>\(escape(run.at))</td>\
                <td>\(escape(run.level ?? "?"))</td><td>\(scope)</td><td class="n">\(optional(run.checked))</td>\
                <td class="n">\(optional(run.passed))</td><td class="n\((run.failed ?? 0) > 0 ? " bad" : "")">\
                \(optional(run.failed))</td><td>\(chain)</td>\
                <td class="n">\(optional(run.bookkeepingProblems))</td></tr>

                """
        }
        out += """
            </tbody></table>
            <table id="drill-reasons"><caption>Failed drills by reason, over the history</caption><thead><tr>\
            <th>reason</th><th class="n">drills</th></tr></thead><tbody>

            """
        if runs.drillFailuresByReason.isEmpty { out += "<tr><td colspan=\"2\" class=\"none\">no failures</td></tr>\n" }
        for (reason, count) in runs.drillFailuresByReason.sorted(by: { $0.key < $1.key }) {
            out += "<tr><td>\(reasonText(reason))</td>\(cell("recorded-drill-reason", key: reason, count))</tr>\n"
        }
        out += """
            </tbody></table>
            <table id="last-drills"><caption>The last drills</caption><thead><tr><th>event</th><th>at</th>\
            <th>client</th><th>curve</th><th>method</th><th class="n">pair</th><th>outcome</th></tr></thead><tbody>

            """
        if runs.lastDrills.isEmpty { out += "<tr><td colspan=\"7\" class=\"none\">never drilled</td></tr>\n" }
        for drill in runs.lastDrills {
            out += """
                <tr data-list="last-drills" data-event="\(drill.event)"><td>\(drill.event)</td>\
                <td>\(escape(drill.at))</td><td>\(escape(drill.clientId ?? "?"))</td><td>\(escape(drill.curve ?? "?"))\
                </td><td>\(escape(drill.method ?? "?"))</td><td class="n">\(drill.pairId.map(String.init) ?? "?")</td>\
                <td>\(outcomeText(drill.outcome))</td></tr>

                """
        }
        return out + "</tbody></table></section>\n"
    }

    private static func signing(_ report: VaultReport) -> String {
        var out = """
            <section id="signing"><h2>Signing generations</h2>
            <p>Each wallet's active signing generation: 1 as made, one more with each recovery.</p>
            <table id="signing-generations"><thead><tr><th>curve</th><th class="n">generation</th>\
            <th class="n">wallets</th></tr></thead><tbody>

            """
        if report.signingGenerations.isEmpty {
            out += "<tr><td colspan=\"3\" class=\"none\">no wallets</td></tr>\n"
        }
        for row in report.signingGenerations.prefix(tableRows) {
            out += """
                <tr><td>\(escape(row.curve))</td><td class="n">\(row.generation)</td><td class="n" \
                data-figure="signing" data-curve="\(escape(row.curve))" data-generation="\(row.generation)">\
                \(grouped(row.wallets))</td></tr>

                """
        }
        out += more(report.signingGenerations.count, shown: tableRows, columns: 3, what: "rows")
        return out + "</tbody></table></section>\n"
    }

    private static func vaultKey(_ report: VaultReport) -> String {
        guard let key = report.keyState else { return "" }
        let kind =
            key.key.quorum.map { quorum in
                "officers' quorum <span data-figure=\"key\" data-key=\"quorum\">\(escape(quorum))</span> ("
                    + escape((key.key.officers ?? []).joined(separator: ", ")) + "), fingerprint <code>"
                    + escape(key.key.fingerprint ?? "?") + "</code>"
            } ?? "a key file"
        let versions = { (list: [Int]) in list.isEmpty ? "none" : list.map(String.init).joined(separator: ", ") }
        let rekey =
            key.rekey.map { rekey in
                (rekey.aborting
                    ? "<span class=\"warn\">being aborted</span>: the rekey to version \(rekey.toVersion)"
                    : "<span class=\"warn\">in progress</span> to version \(rekey.toVersion)")
                    + ", begun \(escape(rekey.startedAt)); \(grouped(key.sharesNotUnderCurrentVersion)) shares not "
                    + "under the current version"
            } ?? "none"
        var out = """
            <section id="vault-key"><h2>Vault key</h2>
            <table id="key-state"><tbody>
            <tr><th>key version</th><td data-figure="key" data-key="version">\(key.keyVersion)</td></tr>
            <tr><th>key</th><td>\(kind)</td></tr>
            <tr><th>retired versions</th><td data-figure="key" data-key="retired">\(versions(key.retiredVersions))\
            </td></tr>
            <tr><th>abandoned versions</th><td data-figure="key" data-key="abandoned">\
            \(versions(key.abandonedVersions))</td></tr>
            <tr><th>rekey</th><td data-figure="key" data-key="rekey">\(rekey)</td></tr>
            </tbody></table>
            <table id="shares-by-key-version"><caption>Custodian shares (live and in history) by the key version \
            that sealed them</caption><thead><tr><th class="n">key version</th><th class="n">shares</th></tr>\
            </thead><tbody>

            """
        if key.sharesByKeyVersion.isEmpty {
            out += "<tr><td colspan=\"2\" class=\"none\">no custodian shares</td></tr>\n"
        }
        for row in key.sharesByKeyVersion {
            out +=
                "<tr><td class=\"n\">\(row.keyVersion)</td>\(cell("key-shares", key: String(row.keyVersion), row.shares))</tr>\n"
        }
        return out + "</tbody></table></section>\n"
    }

    private static func auditChain(_ report: VaultReport) -> String {
        let chain = report.auditChain
        let state =
            chain.intact
            ? "<span class=\"good\">holds</span>"
            : "<span class=\"bad\">BROKEN at event \(chain.firstBadEvent.map(String.init) ?? "?"): "
                + "\(escape(chain.problem ?? ""))</span>"
        let head = chain.headHash ?? "none: the chain does not hold"
        let macs = chain.macsChecked ? "checked" : "not checked"
        var out = """
            <section id="audit"><h2>Audit chain</h2>
            <table id="audit-state"><tbody>
            <tr><th>structure</th><td data-figure="audit" data-key="structure">\(state)</td></tr>
            <tr><th>events</th><td data-figure="audit" data-key="events">\(grouped(chain.events))</td></tr>
            <tr><th>head</th><td><code data-figure="audit" data-key="head">\(head)</code></td></tr>
            <tr><th>written without the key, at the end</th><td data-figure="audit" data-key="unsealed-tail">\
            \(grouped(chain.unsealedTail))</td></tr>
            <tr><th>from before the chain was keyed</th><td data-figure="audit" data-key="unauthenticated-prefix">\
            \(grouped(chain.unauthenticatedPrefix))</td></tr>
            <tr><th>MACs</th><td data-figure="audit" data-key="macs">\(macs)</td></tr>
            </tbody></table>
            <p>Walked without the vault key: every link, the init event first, and a MAC on every event that must \
            carry one. The MACs themselves are checked with the key by <code>sharevault audit --verify</code>; \
            compare the head with one exported earlier by <code>sharevault audit --head</code> and kept off the \
            machine (its <code>events</code> and <code>hash</code>).</p>
            <table id="events-by-kind"><caption>Events by kind</caption><thead><tr><th>kind</th>\
            <th class="n">events</th></tr></thead><tbody>

            """
        for (kind, count) in chain.eventsByKind.sorted(by: { $0.key < $1.key }) {
            out += "<tr><td>\(escape(kind))</td>\(cell("audit-kind", key: kind, count))</tr>\n"
        }
        return out + "</tbody></table></section>\n"
    }

    // MARK: Pieces

    /// How many methods the method chart shows before grouping the rest, and how many rows a table shows.
    private static let chartMethods = 12
    private static let tableRows = 500

    /// A count's cell, findable by its figure and key.
    private static func cell(_ figure: String, key: String, _ value: Int) -> String {
        "<td class=\"n\" data-figure=\"\(escape(figure))\" data-key=\"\(escape(key))\">\(grouped(value))</td>"
    }

    /// A table row saying how many rows were left out, when any were.
    private static func more(_ count: Int, shown: Int, columns: Int, what: String) -> String {
        guard count > shown else { return "" }
        return "<tr><td colspan=\"\(columns)\" class=\"none\">and \(grouped(count - shown)) more \(what)</td></tr>\n"
    }

    /// A list of pairs with its total; `timeHeading` names the check the list's times and outcomes are of.
    private static func pairTable(
        _ list: VaultReport.PairList, list name: String, now: Date, timeHeading: String?
    ) -> String {
        guard list.total > 0 else { return "<p class=\"none\">none</p>\n" }
        var out = """
            <table class="pairs" id="\(name)"><thead><tr><th>client</th><th>curve</th><th>method</th>\
            <th class="n">pair</th><th>status</th><th>created</th>
            """
        out += timeHeading.map { "<th>\($0)</th><th>outcome</th>" } ?? "<th class=\"n\">days</th>"
        out += "</tr></thead><tbody>\n"
        for pair in list.pairs {
            out += """
                <tr data-list="\(name)" data-pair-id="\(pair.pairId)"><td>\(escape(pair.clientId))</td>\
                <td>\(escape(pair.curve))</td><td>\(escape(pair.method))</td><td class="n">\(pair.pairId)</td>\
                <td>\(escape(pair.status))</td><td>\(time(pair.createdAt))</td>
                """
            if timeHeading != nil {
                out += "<td>\(time(pair.at))</td><td>\(outcomeText(pair.outcome))</td>"
            } else {
                out += "<td class=\"n\">\(Int(now.timeIntervalSince(pair.createdAt) / 86_400))</td>"
            }
            out += "</tr>\n"
        }
        let columns = timeHeading == nil ? 7 : 8
        let shown = list.pairs.count < list.total ? "the first \(list.pairs.count) of " : ""
        out += """
            </tbody><tfoot><tr><td colspan="\(columns)">\(shown)<span data-figure="list-total" \
            data-key="\(name)">\(grouped(list.total))</span> in all</td></tr></tfoot></table>

            """
        return out
    }

    /// A time as the vault writes it, in a `<time>` element; `never` when there is none.
    private static func time(_ date: Date?) -> String {
        guard let date else { return "never" }
        let text = VaultClock.format(date)
        return "<time datetime=\"\(text)\">\(text)</time>"
    }

    private static func optional(_ value: Int?) -> String { value.map(grouped) ?? "?" }

    /// A recorded outcome, marked when it failed.
    private static func outcomeText(_ outcome: String?) -> String {
        guard let outcome else { return "?" }
        return outcome == "passed" ? "passed" : "<span class=\"bad\">\(escape(outcome))</span>"
    }

    /// A failure's reason with what it means, when this build knows the reason.
    private static func reasonText(_ reason: String) -> String {
        let meaning = PairProblem(rawValue: reason).map { "<br><small>\(escape($0.description))</small>" } ?? ""
        return "<code>\(escape(reason))</code>\(meaning)"
    }

    /// What a status means, in words.
    private static func statusLabel(_ status: String) -> String {
        switch BackupStatus(rawValue: status) {
        case .storedCustodianBackupShare?: return "custodian half only"
        case .storedClientBackupShareKey?: return "both halves, unconfirmed"
        case .storedClientBackupShare?: return "completed"
        case nil: return status
        }
    }

    private static let style = """

        :root { color-scheme: light; --ink: #1d2430; --muted: #5b6573; --line: #d9dee5; --good: #1f7a44; \
        --warn: #9a6200; --bad: #b3261e; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); \
        margin: 0 auto; padding: 16px 24px 32px; max-width: 1140px; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 17px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
        h3 { font-size: 14px; margin: 14px 0 6px; }
        header p, footer, section > p { color: var(--muted); margin: 4px 0 8px; }
        footer { margin-top: 24px; font-size: 12px; }
        code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 8px; margin: 0; }
        .card { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 4px; \
        padding: 6px 10px; }
        .card dt { color: var(--muted); font-size: 12px; }
        .card dd { margin: 0; font-size: 20px; font-weight: 600; }
        .card.good { border-left-color: var(--good); }
        .card.warn { border-left-color: var(--warn); }
        .card.bad { border-left-color: var(--bad); }
        .card.bad dd, span.bad, td.bad { color: var(--bad); }
        span.good { color: var(--good); font-weight: 600; }
        span.bad { font-weight: 600; }
        .charts, .tables { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
        figure { margin: 0; }
        figcaption, caption { color: var(--muted); font-size: 12px; text-align: left; padding: 2px 0; }
        svg.chart { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
        svg .bar { fill: #3b6fb6; }
        svg .verified { fill: #3b6fb6; }
        svg .drilled { fill: #c77d1a; }
        svg .value, svg .label { fill: var(--ink); }
        table { border-collapse: collapse; margin: 6px 0 10px; }
        th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); \
        vertical-align: top; }
        thead th { font-size: 12px; color: var(--muted); font-weight: 600; }
        tbody th { font-weight: 600; }
        td small { color: var(--muted); }
        .n { text-align: right; font-variant-numeric: tabular-nums; }
        .none { color: var(--muted); font-style: italic; }
        tfoot td { color: var(--muted); font-size: 12px; border-bottom: 0; }
        table.pairs td { font-size: 12px; }
        time { white-space: nowrap; }
        @media print { body { padding: 0; } section { break-inside: avoid; } }

        """
}
