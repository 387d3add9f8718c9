import ArgumentParser
import Foundation
import ShareVault

extension SharevaultCommand {
    /// `sharevault shares`: the share math on its own, for ceremonies and checks.
    struct Shares: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split, combine and verify share documents, outside any vault.",
            subcommands: [Split.self, Combine.self, Verify.self]
        )
    }
}

extension SharevaultCommand.Shares {
    /// Reads every share document from the given files, labelled `file` or `file#N` when a file holds several.
    static func readDocuments(_ paths: [String]) throws -> [LabeledShareDocument] {
        var labeled: [LabeledShareDocument] = []
        for path in paths {
            let data = try InputFile.read(path, limit: AnyShareDocument.maximumFileSize)
            let name = path == "-" ? "stdin" : path
            let documents: [AnyShareDocument]
            do {
                documents = try AnyShareDocument.decodeAll(data)
            } catch {
                throw CommandFailure(error, context: name)
            }
            for (index, document) in documents.enumerated() {
                let label = documents.count == 1 ? name : "\(name)#\(index + 1)"
                labeled.append(LabeledShareDocument(label: label, document: document))
            }
        }
        return labeled
    }
}
