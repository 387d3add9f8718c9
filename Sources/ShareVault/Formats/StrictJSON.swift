import Foundation

/// A JSON value read by `StrictJSON`: object members keep their order and their keys as written.
public enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number as written (`12`, `-3.5e2`): Portal's integers can exceed any fixed-width type.
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The member named `key` in any letter case (keys are unique ignoring case, `StrictJSON` sees to it).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        let folded = key.lowercased()
        return members.first { $0.key.lowercased() == folded }?.value
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// A name for the value's type, for messages ("a string", "an object").
    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A deterministic JSON reader for outside input (RFC 8259), stricter than Foundation's in one way that
/// matters: an object that names a key twice, or in two letter cases (`share` and `SHARE`), is refused,
/// naming the key. Foundation keeps one of the two at its whim, so the same body could pass or fail from
/// run to run. Nesting is capped, and the bytes must be UTF-8.
public enum StrictJSON {
    /// Deeper nesting than any share format needs.
    public static let maximumDepth = 32

    public static func parse(_ data: Data) throws(DocumentError) -> JSONValue {
        // Read in place: a document that holds a secret (an opened share) is not copied whole.
        let result = data.withUnsafeBytes { bytes in Result { () throws(DocumentError) in try parse(bytes: bytes) } }
        return try result.get()
    }

    static func parse(bytes: UnsafeRawBufferPointer) throws(DocumentError) -> JSONValue {
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

        mutating func value(depth: Int) throws(DocumentError) -> JSONValue {
            guard depth < StrictJSON.maximumDepth else { throw malformed("nested too deeply") }
            skipWhitespace()
            guard index < bytes.count else { throw malformed("the document ends early") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
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

        mutating func object(depth: Int) throws(DocumentError) -> JSONValue {
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
                members.append((key, try value(depth: depth + 1)))
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

        mutating func array(depth: Int) throws(DocumentError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try value(depth: depth + 1))
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
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A string's UTF-8 bytes are gathered as they are (escapes written out as UTF-8), then validated once.
        mutating func string() throws(DocumentError) -> String {
            index += 1
            var utf8: [UInt8] = []
            var runStart = index
            while true {
                guard index < bytes.count else { throw malformed("a string is not closed") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    utf8.append(contentsOf: bytes[runStart..<index])
                    index += 1
                    guard let text = String(validating: utf8, as: UTF8.self) else {
                        throw malformed("a string is not valid UTF-8")
                    }
                    return text
                }
                guard byte >= 0x20 else { throw malformed("a control character inside a string") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                utf8.append(contentsOf: bytes[runStart..<index])
                index += 1
                guard index < bytes.count else { throw malformed("a string is not closed") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
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
                    utf8.append(contentsOf: UTF8.encode(scalar)!)
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
