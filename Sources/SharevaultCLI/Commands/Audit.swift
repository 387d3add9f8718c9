import ArgumentParser
import Foundation
import ShareMath
import ShareVault

extension SharevaultCommand {
    /// `sharevault audit`: the keyed, hash-chained audit log.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit log; check its keyed chain; export its head.",
            discussion: """
                Every event is chained to the one before it by BLAKE2b, and every event written with the vault key \
                carries a MAC (a key derived from the vault key) over the chain through it, so write access to the \
                database alone cannot rewrite history. Events written by commands run without the key (ingest \
                client, confirm, a public verify) are sealed by the next event written with it.

                --verify (needs the vault key) exits 1 and names the first bad event when any event was edited, \
                reordered, deleted or forged. --head (needs the vault key) prints the chain's head with a MAC: keep \
                it off the machine. --verify --expect-head FILE also fails when the vault no longer holds that head \
                unchanged: restored from an older copy, cut short, or rewritten.
                """
        )

        @Flag(help: "Check the chain: its links and, with the vault key, its MACs.")
        var verify = false

        @Flag(help: "Print the chain's head (event count, hash, MAC) to keep off the machine.")
        var head = false

        @Option(help: "With --verify: a head printed by --head earlier, that the vault must still hold.")
        var expectHead: String?

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if expectHead != nil, !verify { throw ValidationError("--expect-head goes with --verify") }
            if head, verify { throw ValidationError("give --head or --verify, not both") }
        }

        func run() async throws {
            if head { return try await exportHead() }
            if verify { return try await verifyChain() }
            let opened = try await vault.open(needsKey: false, readOnly: true)
            var out = BufferedOutput()
            if output.json { out.write("[") }
            var first = true
            let encoder = Terminal.jsonEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try await opened.forEachAuditEvent { event in
                if output.json {
                    let object = AuditEventReport(
                        id: event.id, at: event.at, kind: event.kind, clientId: event.clientId,
                        detail: (try? JSONSerialization.jsonObject(with: Data(event.detail.utf8))) as? [String: String]
                            ?? [:],
                        hash: Hex.encode(event.hash), sealed: event.mac != nil)
                    out.write((first ? "\n" : ",\n") + String(decoding: try encoder.encode(object), as: UTF8.self))
                } else {
                    out.write("\(event.id)  \(event.at)  \(event.kind)  \(event.clientId ?? "-")  \(event.detail)\n")
                }
                first = false
            }
            if output.json { out.write("\n]\n") }
            out.flush()
        }

        private func exportHead() async throws {
            let (exported, verification) = try await vault.open(needsKey: true, readOnly: true).exportAuditHead()
            guard let exported else {
                report(verification, expected: nil)
                throw CommandFailure(status: .problemFound, message: "")
            }
            if verification.unsealedTail > 0 {
                Terminal.writeError(
                    "note: the last \(verification.unsealedTail) events were written without the vault key: this head vouches "
                        + "for them as they stand now; a command run with the key seals them in the vault itself")
            }
            print(exported.document, terminator: "")
        }

        private func verifyChain() async throws {
            let expected = try expectHead.map { path in
                let data = try InputFile.read(path, limit: AuditHead.maximumSize)
                do {
                    return try AuditHead(document: data)
                } catch {
                    throw CommandFailure(error, context: "\(path): not an audit head")
                }
            }
            let result = try await vault.open(needsKey: true, readOnly: true).verifyAuditLog(expecting: expected)
            report(result, expected: expected)
            if !result.isIntact { throw CommandFailure(status: .problemFound, message: "") }
        }

        private func report(_ result: AuditVerification, expected: AuditHead?) {
            if output.json {
                try? Terminal.printJSON(
                    AuditVerifyReport(
                        events: result.events, intact: result.isIntact, firstBadEvent: result.firstBadEvent?.id,
                        reason: result.firstBadEvent?.reason, unsealedTail: result.unsealedTail,
                        unauthenticatedPrefix: result.unauthenticatedPrefix, expectedHeadEvents: expected?.events))
            } else if let bad = result.firstBadEvent {
                print("audit chain BROKEN at event \(bad.id): \(bad.reason)")
            } else {
                var line = "audit chain intact: \(result.events) events, sealed with the vault key"
                if result.unsealedTail > 0 {
                    line +=
                        " (the last \(result.unsealedTail) written without the key; the next command run with it seals them)"
                }
                if result.unauthenticatedPrefix > 0 {
                    line +=
                        "; the first \(result.unauthenticatedPrefix) events predate the keyed chain (an upgraded vault) and "
                        + "are vouched for by their links only"
                }
                if let expected { line += "; holds the exported head (event \(expected.events))" }
                print(line)
            }
        }
    }

    struct AuditVerifyReport: Encodable {
        let events: Int
        let intact: Bool
        let firstBadEvent: Int64?
        let reason: String?
        let unsealedTail: Int
        let unauthenticatedPrefix: Int
        let expectedHeadEvents: Int64?
    }

    struct AuditEventReport: Encodable {
        let id: Int64
        let at: String
        let kind: String
        let clientId: String?
        let detail: [String: String]
        let hash: String
        let sealed: Bool
    }
}
