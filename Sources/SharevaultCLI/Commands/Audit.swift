import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault audit`: the hash-chained audit log.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit log; with --verify, check its hash chain.",
            discussion: "--verify exits 1 and names the first bad event when any event was edited, reordered or deleted."
        )

        @Flag(help: "Check the hash chain instead of printing the events.")
        var verify = false

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let opened = try vault.open(needsKey: false, readOnly: true)
            if verify {
                let result = try opened.verifyAuditLog()
                if output.json {
                    try Terminal.printJSON(
                        AuditVerifyReport(
                            events: result.events, intact: result.isIntact, firstBadEvent: result.firstBadEvent?.id,
                            reason: result.firstBadEvent?.reason))
                } else if let bad = result.firstBadEvent {
                    print("audit chain BROKEN at event \(bad.id): \(bad.reason)")
                } else {
                    print("audit chain intact: \(result.events) events")
                }
                if !result.isIntact { throw CommandFailure(status: .problemFound, message: "") }
                return
            }
            var out = BufferedOutput()
            if output.json { out.write("[") }
            var first = true
            try opened.forEachAuditEvent { event in
                if output.json {
                    let object = AuditEventReport(
                        id: event.id, at: event.at, kind: event.kind, clientId: event.clientId,
                        detail: (try? JSONSerialization.jsonObject(with: Data(event.detail.utf8))) as? [String: String] ?? [:],
                        hash: Hex.encode(event.hash))
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    out.write((first ? "\n" : ",\n") + String(decoding: try encoder.encode(object), as: UTF8.self))
                } else {
                    out.write("\(event.id)  \(event.at)  \(event.kind)  \(event.clientId ?? "-")  \(event.detail)\n")
                }
                first = false
            }
            if output.json { out.write("\n]\n") }
            out.flush()
        }
    }

    struct AuditVerifyReport: Encodable {
        let events: Int
        let intact: Bool
        let firstBadEvent: Int64?
        let reason: String?
    }

    struct AuditEventReport: Encodable {
        let id: Int64
        let at: String
        let kind: String
        let clientId: String?
        let detail: [String: String]
        let hash: String
    }
}
