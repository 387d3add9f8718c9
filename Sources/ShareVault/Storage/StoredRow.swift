import Foundation
import GRDB

/// A row read by position, whichever engine read it: the decoders of pairs, summaries, signing pairs, ciphertexts
/// and audit events are written once, over this, for SQLite's rows and PostgreSQL's.
package protocol StoredRow {
    func int64(_ index: Int) throws -> Int64
    func int64OrNil(_ index: Int) throws -> Int64?
    func text(_ index: Int) throws -> String
    func textOrNil(_ index: Int) throws -> String?
    func bytes(_ index: Int) throws -> [UInt8]
    func bytesOrNil(_ index: Int) throws -> [UInt8]?
    func bool(_ index: Int) throws -> Bool
    func boolOrNil(_ index: Int) throws -> Bool?
}

extension StoredRow {
    package func int(_ index: Int) throws -> Int { Int(try int64(index)) }
    package func intOrNil(_ index: Int) throws -> Int? { try int64OrNil(index).map(Int.init) }
}

/// GRDB's rows: SQLite's INTEGER, TEXT and BLOB columns (booleans are integers).
extension Row: StoredRow {
    package func int64(_ index: Int) throws -> Int64 { self[index] }
    package func int64OrNil(_ index: Int) throws -> Int64? { self[index] }
    package func text(_ index: Int) throws -> String { self[index] }
    package func textOrNil(_ index: Int) throws -> String? { self[index] }
    package func bytes(_ index: Int) throws -> [UInt8] { [UInt8]((self[index] as Data?) ?? Data()) }
    package func bytesOrNil(_ index: Int) throws -> [UInt8]? { (self[index] as Data?).map { [UInt8]($0) } }
    package func bool(_ index: Int) throws -> Bool { self[index] }
    package func boolOrNil(_ index: Int) throws -> Bool? { self[index] }
}
