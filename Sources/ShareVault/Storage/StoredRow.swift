import Foundation
import GRDB

/// A row read by position, whichever engine read it: the decoders of pairs, summaries, signing pairs, ciphertexts
/// and audit events are written once, over this, for SQLite's rows and PostgreSQL's.
protocol StoredRow {
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
    func int(_ index: Int) throws -> Int { Int(try int64(index)) }
    func intOrNil(_ index: Int) throws -> Int? { try int64OrNil(index).map(Int.init) }
}

/// GRDB's rows: SQLite's INTEGER, TEXT and BLOB columns (booleans are integers).
extension Row: StoredRow {
    func int64(_ index: Int) throws -> Int64 { self[index] }
    func int64OrNil(_ index: Int) throws -> Int64? { self[index] }
    func text(_ index: Int) throws -> String { self[index] }
    func textOrNil(_ index: Int) throws -> String? { self[index] }
    func bytes(_ index: Int) throws -> [UInt8] { [UInt8]((self[index] as Data?) ?? Data()) }
    func bytesOrNil(_ index: Int) throws -> [UInt8]? { (self[index] as Data?).map { [UInt8]($0) } }
    func bool(_ index: Int) throws -> Bool { self[index] }
    func boolOrNil(_ index: Int) throws -> Bool? { self[index] }
}
