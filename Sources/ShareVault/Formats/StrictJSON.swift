import Foundation
import ShareMath

/// A JSON value read by `StrictJSON`: object members keep their order and their keys as written.
package enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number as written (`12`, `-3.5e2`): Portal's integers can exceed any fixed-width type.
    case number(String)
    case bool(Bool)
    case null
    /// A non-empty string under a secret member name (`StrictJSON.secretMembers`): its UTF-8, escapes
    /// resolved, in guarded memory. It never becomes a `String`.
    case secretString(SecureBytes)
    /// A number under a secret member name, as written, in guarded memory.
    case secretNumber(SecureBytes)

    package static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.secretString(let a), .secretString(let b)): return a == b
        case (.secretNumber(let a), .secretNumber(let b)): return a == b
        default: return false
        }
    }

    /// The member named `key` in any letter case (keys are unique ignoring case, `StrictJSON` sees to it).
    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        let folded = key.lowercased()
        return members.first { $0.key.lowercased() == folded }?.value
    }

    package var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// A name for the value's type, for messages ("a string", "an object").
    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string, .secretString: return "a string"
        case .number, .secretNumber: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A deterministic JSON reader for outside input (RFC 8259), stricter than Foundation's in one way that
/// matters: an object that names a key twice, or in two letter cases (`share` and `SHARE`), is refused,
/// naming the key. Foundation keeps one of the two at its whim, so the same body could pass or fail from
/// run to run. Nesting is capped, and the bytes must be UTF-8.
///
/// A string or number under a secret member name (`secretMembers`, at any depth, in any letter case), however
/// deeply nested below it, is read straight into guarded memory (`JSONValue.secretString`, `.secretNumber`), never
/// into a `String`.
package enum StrictJSON {
    /// Deeper nesting than any share format needs.
    package static let maximumDepth = 32

    /// The member names whose values are secrets (DESIGN section 4): a share's scalar (and the webhook's and
    /// the client plaintext's `share`, a whole share as a string) and Portal's Paillier primes. Lowercase.
    package static let secretMembers: Set<String> = ["share", "p", "q", "pailler_p", "pailler_q"]

    package static func parse(_ data: Data) throws(DocumentError) -> JSONValue {
        // Read in place: a document that holds a secret (an opened share) is not copied whole.
        try data.withDocumentBytes { (bytes) throws(DocumentError) in try parse(bytes: bytes) }
    }

    /// Parses bytes in place (for instance a secret held in `SecureBytes`).
    package static func parse(bytes: UnsafeRawBufferPointer) throws(DocumentError) -> JSONValue {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.malformed("unexpected text after the JSON value") }
        return value
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func malformed(_ why: String) -> DocumentError { .malformedJSON("\(why) (at byte \(index))") }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        /// The next value; a string or number is read into guarded memory when `secret`.
        mutating func value(depth: Int, secret: Bool = false) throws(DocumentError) -> JSONValue {
            guard depth < StrictJSON.maximumDepth else { throw malformed("nested too deeply") }
            skipWhitespace()
            guard index < bytes.count else { throw malformed("the document ends early") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth, secret: secret)
            case UInt8(ascii: "["): return try array(depth: depth, secret: secret)
            case UInt8(ascii: "\""):
                guard secret else { return .string(try string()) }
                return try secretString()
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard secret else { return .number(try number()) }
                let span = try numberSpan()
                return .secretNumber(SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[span])))
            default: throw malformed("not valid JSON")
            }
        }

        mutating func literal(_ word: String) throws(DocumentError) {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw malformed("not valid JSON")
            }
            index += expected.count
        }

        /// An object; with `secret` (it lies under a secret member), every string and number in it is guarded too.
        mutating func object(depth: Int, secret: Bool) throws(DocumentError) -> JSONValue {
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            var seen = Set<String>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw malformed("expected a key") }
                let key = try string()
                guard seen.insert(key.lowercased()).inserted else {
                    let first = members.first { $0.key.lowercased() == key.lowercased() }?.key ?? key
                    throw .ambiguousField(first == key ? key : "\(first)\" and \"\(key)")
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw malformed("expected ':'") }
                index += 1
                let guarded = secret || StrictJSON.secretMembers.contains(key.lowercased())
                members.append((key, try value(depth: depth + 1, secret: guarded)))
                skipWhitespace()
                guard index < bytes.count else { throw malformed("the document ends early") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw malformed("expected ',' or '}'") }
                index += 1
                return .object(members)
            }
        }

        /// An array; with `secret`, every string and number in it is guarded.
        mutating func array(depth: Int, secret: Bool) throws(DocumentError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try value(depth: depth + 1, secret: secret))
                skipWhitespace()
                guard index < bytes.count else { throw malformed("the document ends early") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw malformed("expected ',' or ']'") }
                index += 1
                return .array(elements)
            }
        }

        mutating func number() throws(DocumentError) -> String {
            String(decoding: bytes[try numberSpan()], as: UTF8.self)
        }

        /// Reads a number, returning where its text lies.
        mutating func numberSpan() throws(DocumentError) -> Range<Int> {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            func digits(_ reader: inout Reader) -> Int {
                let from = reader.index
                while reader.index < reader.bytes.count, (0x30...0x39).contains(reader.bytes[reader.index]) {
                    reader.index += 1
                }
                return reader.index - from
            }
            let integerStart = index
            let integerDigits = digits(&self)
            guard integerDigits > 0, !(integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0")) else {
                throw malformed("not a valid number")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw malformed("not a valid number") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw malformed("not a valid number") }
            }
            return start..<index
        }

        /// A string's UTF-8 bytes are gathered as they are (escapes written out as UTF-8), then validated once.
        mutating func string() throws(DocumentError) -> String {
            var utf8: [UInt8] = []
            try unescapedString { utf8.append(contentsOf: $0) }
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw malformed("a string is not valid UTF-8")
            }
            return text
        }

        /// A string read into guarded memory in two passes over the same reader: the first counts its unescaped
        /// bytes, the second writes them into a buffer of exactly that size. Empty is not a secret.
        mutating func secretString() throws(DocumentError) -> JSONValue {
            let start = index
            var length = 0
            try unescapedString { length += $0.count }
            guard length > 0 else { return .string("") }
            index = start
            let buffer = SecureBytes(zeroedCount: length)
            try buffer.withUnsafeMutableBytes { (out) throws(DocumentError) in
                var written = 0
                try unescapedString { (run) in
                    UnsafeMutableRawBufferPointer(rebasing: out[written..<written + run.count]).copyMemory(from: run)
                    written += run.count
                }
            }
            let valid = buffer.withUnsafeBytes { Self.isValidUTF8($0) }
            guard valid else { throw malformed("a string is not valid UTF-8") }
            return .secretString(buffer)
        }

        /// Whether bytes are UTF-8, checked without copying them.
        static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }

        /// Reads a string from its opening quote, handing its unescaped UTF-8 to `emit` run by run (the bytes
        /// handed over are valid only during the call; escapes come as runs of their own).
        mutating func unescapedString(_ emit: (UnsafeRawBufferPointer) -> Void) throws(DocumentError) {
            index += 1
            var runStart = index
            func emitRun(_ reader: Reader, to end: Int) {
                if end > runStart { emit(UnsafeRawBufferPointer(rebasing: reader.bytes[runStart..<end])) }
            }
            // An escaped character is written out on the stack, not in a heap array: it may be part of a secret.
            func emitScalar(_ scalar: Unicode.Scalar) {
                var encoded: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
                var count = 0
                withUnsafeMutableBytes(of: &encoded) { out in
                    for byte in scalar.utf8 {
                        out[count] = byte
                        count += 1
                    }
                }
                withUnsafeBytes(of: &encoded) { emit(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
            while true {
                guard index < bytes.count else { throw malformed("a string is not closed") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    emitRun(self, to: index)
                    index += 1
                    return
                }
                guard byte >= 0x20 else { throw malformed("a control character inside a string") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                emitRun(self, to: index)
                index += 1
                guard index < bytes.count else { throw malformed("a string is not closed") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): emitScalar(Unicode.Scalar(escape))
                case UInt8(ascii: "b"): emitScalar("\u{08}")
                case UInt8(ascii: "f"): emitScalar("\u{0C}")
                case UInt8(ascii: "n"): emitScalar("\n")
                case UInt8(ascii: "r"): emitScalar("\r")
                case UInt8(ascii: "t"): emitScalar("\t")
                case UInt8(ascii: "u"):
                    var unit = try hexQuad()
                    if (0xD800...0xDBFF).contains(unit) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw malformed("an unpaired surrogate in a string") }
                        index += 2
                        let low = try hexQuad()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw malformed("an unpaired surrogate in a string")
                        }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw malformed("an unpaired surrogate in a string")
                    }
                    guard let scalar = Unicode.Scalar(unit) else { throw malformed("a bad \\u escape") }
                    emitScalar(scalar)
                default:
                    throw malformed("a bad escape in a string")
                }
                runStart = index
            }
        }

        mutating func hexQuad() throws(DocumentError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw malformed("a bad \\u escape") }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: throw malformed("a bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
    }
}
