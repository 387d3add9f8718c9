import Foundation
import PropertyBased
import Testing

@testable import ShareVault

/// StrictJSON: a deterministic RFC 8259 reader that refuses a key given twice or in two letter cases, caps
/// nesting, keeps numbers as written and insists on UTF-8. Known cases first, then laws over random documents:
/// agreement with Foundation's reader on every document both accept, refusal of every duplicated key, and no
/// crash (only a `DocumentError`) on random bytes and mutated documents.
@Suite struct StrictJSONTests {
    // MARK: Known cases

    static func parse(_ text: String) throws(DocumentError) -> JSONValue { try StrictJSON.parse(Data(text.utf8)) }

    /// Whether `bytes` are refused as malformed JSON (not for an ambiguous key, not accepted).
    static func isMalformed(_ bytes: [UInt8]) -> Bool {
        do throws(DocumentError) {
            _ = try StrictJSON.parse(Data(bytes))
            return false
        } catch {
            if case .malformedJSON = error { return true }
            return false
        }
    }

    static func isMalformed(_ text: String) -> Bool { isMalformed(Array(text.utf8)) }

    @Test func aKeyGivenTwiceIsRefusedNamingIt() {
        #expect(throws: DocumentError.ambiguousField("a")) { try Self.parse(#"{"a":1,"a":2}"#) }
        #expect(throws: DocumentError.ambiguousField("share")) { try Self.parse(#"{"share":"1","x":"2","share":"1"}"#) }
        #expect(throws: DocumentError.ambiguousField("")) { try Self.parse(#"{"":1,"":2}"#) }
        // Equal once the escapes are read.
        #expect(throws: DocumentError.ambiguousField("ab")) { try Self.parse(#"{"ab":1,"\u0061\u0062":2}"#) }
        // In an object inside an array too.
        #expect(throws: DocumentError.ambiguousField("k")) { try Self.parse(#"[1,{"k":null,"k":null}]"#) }
    }

    @Test func keysDifferingOnlyInCaseAreRefusedAtTopLevelAndNested() {
        #expect(throws: DocumentError.ambiguousField(#"share" and "SHARE"#)) {
            try Self.parse(#"{"share":"1","SHARE":"2"}"#)
        }
        #expect(throws: DocumentError.ambiguousField(#"serverBk" and "ServerBK"#)) {
            try Self.parse(#"{"x":"1","serverBk":"2","y":"3","ServerBK":"2"}"#)
        }
        #expect(throws: DocumentError.ambiguousField(#"X" and "x"#)) {
            try Self.parse(#"{"bks":{"client":{"X":"1","Rank":0,"x":"2"}}}"#)
        }
        #expect(throws: DocumentError.ambiguousField(#"Rank" and "RANK"#)) {
            try Self.parse(#"{"bks":{"server":{"Rank":0,"RANK":1}}}"#)
        }
        // Non-ASCII letters by the same rule (lowercased): É and é.
        #expect(throws: DocumentError.ambiguousField("\u{C9}\" and \"\u{E9}")) {
            try Self.parse("{\"\u{C9}\":1,\"\u{E9}\":2}")
        }
    }

    @Test func theSameKeyInDifferentObjectsIsFine() throws {
        let value = try Self.parse(#"{"a":{"a":1,"b":2},"b":[{"a":3},{"A":4}]}"#)
        #expect(value["a"]?["a"] == .number("1"))
        #expect(value["A"]?["B"] == .number("2"))
        guard case .array(let list)? = value["b"] else {
            Issue.record("b is not an array")
            return
        }
        #expect(list == [.object([(key: "a", value: .number("3"))]), .object([(key: "A", value: .number("4"))])])
    }

    @Test func membersKeepTheirOrderAndKeysAsWritten() throws {
        let value = try Self.parse(#"{"Zeta":1,"alpha":true,"Mid":null}"#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["Zeta", "alpha", "Mid"])
        #expect(members.map(\.value) == [.number("1"), .bool(true), .null])
    }

    /// The subscript matches a key in any case, and (keys being unique ignoring case) names one member only:
    /// it must use the parser's rule (`lowercased()`). Foundation's `caseInsensitiveCompare` folds further
    /// ("ſ" (U+017F) and "s", "ß" and "ss", "ς" and "σ", "ﬁ" and "fi"), so a subscript using it would read
    /// `{"share":"1","ſhare":"2"}`'s "ſhare" as "share", which the parser accepts as two keys.
    @Test func everyKeyOfAnAcceptedObjectNamesOneMemberOnly() throws {
        for (first, second) in [("share", "\u{17F}hare"), ("\u{DF}", "ss"), ("\u{3C2}", "\u{3C3}"), ("\u{FB01}", "fi")]
        {
            let text = "{\"\(first)\":\"1\",\"\(second)\":\"2\"}"
            guard let value = try? Self.parse(text) else { continue }  // refused: no ambiguity
            guard case .object(let members) = value else {
                Issue.record("not an object")
                continue
            }
            for member in members {
                let matching = members.filter { $0.key.lowercased() == member.key.lowercased() }
                #expect(
                    matching.count == 1, "\(text): the subscript takes \(matching.map(\.key)) for \"\(member.key)\"")
                #expect(value[member.key] == member.value, "\(text): [\"\(member.key)\"] reads another member")
            }
        }
    }

    @Test func escapesIncludingSurrogatePairsAreRead() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try Self.parse(#""\u0041\u00e9\u00E9\u20AC\u0000""#) == .string("A\u{E9}\u{E9}\u{20AC}\u{0}"))
        // U+1F600 and U+10FFFF as UTF-16 surrogate pairs, in either hex case; and raw UTF-8 beside them.
        #expect(try Self.parse(#""\uD83D\uDE00|\udbff\udfff|😀""#) == .string("\u{1F600}|\u{10FFFF}|\u{1F600}"))
        #expect(try Self.parse(#""a\u0062c""#) == .string("abc"))
        #expect(try Self.parse("\"\u{7F}\u{2028}\"") == .string("\u{7F}\u{2028}"))
        for bad in [
            #""\uD83D""#, #""\uDE00""#, #""\uD83D\u0041""#, #""\uD83Dx""#, #""\uD83D\uD83D""#, #""\x""#, #""\u12G4""#,
            #""\u12""#, #""\U0041""#, #""\'""#, #""\"#, #""abc"#, "\"\\\u{E9}\"",
        ] {
            #expect(Self.isMalformed(bad), "\(bad)")
        }
    }

    @Test func numbersAreKeptAsWritten() throws {
        let numbers = [
            "0", "-0", "12", "-3.5e2", "1E+10", "1e-07", "0.000", "2.50",
            "123456789012345678901234567890123456789012345678901234567890", "1e400", "-0.0E-0",
        ]
        for number in numbers {
            #expect(try Self.parse(number) == .number(number))
            #expect(try Self.parse(" [\(number)] ") == .array([.number(number)]))
        }
        for bad in [
            "01", "-01", "-", "1.", ".5", "1e", "1e+", "+1", "1.e3", "Infinity", "NaN", "0x10", "1_000", "--1", "- 1",
        ] {
            #expect(Self.isMalformed(bad), "\(bad)")
            #expect(Self.isMalformed("[\(bad)]"), "[\(bad)]")
        }
    }

    @Test func nestingIsCappedAtTheMaximumDepth() throws {
        let depth = StrictJSON.maximumDepth
        func arrays(_ n: Int, inner: String = "") -> String {
            String(repeating: "[", count: n) + inner + String(repeating: "]", count: n)
        }
        // Containers at depths 0...maximumDepth - 1 are read; a value at maximumDepth is not.
        #expect(throws: Never.self) { try Self.parse(arrays(depth)) }
        #expect(throws: Never.self) { try Self.parse(arrays(depth - 1, inner: "1")) }
        #expect(Self.isMalformed(arrays(depth + 1)))
        #expect(Self.isMalformed(arrays(depth, inner: "1")))
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        #expect(throws: Never.self) { try Self.parse(objects) }
        #expect(
            Self.isMalformed(String(repeating: #"{"a":"#, count: depth) + "{}" + String(repeating: "}", count: depth)))
        // Far deeper than any stack allows recursion for: refused, not a crash.
        #expect(Self.isMalformed(String(repeating: "[", count: 200_000)))
        #expect(Self.isMalformed(String(repeating: #"{"a":"#, count: 100_000)))
    }

    @Test func textAfterTheValueIsRefused() throws {
        for bad in ["{} x", "{}{}", "1 2", #""a""b""#, "[] ,", "null null", "{}\u{0}", "true false", "[1]]"] {
            #expect(Self.isMalformed(bad), "\(bad)")
        }
        #expect(try Self.parse(" \t\r\n{} \t\r\n") == .object([]))
        #expect(try Self.parse("\n[ 1 , 2 ]\n") == .array([.number("1"), .number("2")]))
    }

    @Test func invalidUTF8IsRefused() {
        let quote = UInt8(ascii: "\"")
        for bad: [UInt8] in [
            [0xC3, 0x28], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0x80], [0xF4, 0x90, 0x80, 0x80],
        ] {
            #expect(Self.isMalformed([quote] + bad + [quote]), "\(bad)")
            #expect(Self.isMalformed(Array(#"{"k":"#.utf8) + [quote] + bad + [quote, UInt8(ascii: "}")]), "\(bad)")
            #expect(Self.isMalformed(Array(#"{""#.utf8) + bad + Array(#"":1}"#.utf8)), "key \(bad)")
            #expect(Self.isMalformed(bad), "bare \(bad)")
        }
        // Valid multi-byte UTF-8 is read as such.
        #expect(
            (try? StrictJSON.parse(Data([quote, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, quote])))
                == .string("\u{E9}\u{1F600}"))
    }

    @Test func controlCharactersInsideStringsAreRefused() {
        for byte in UInt8(0)..<0x20 {
            #expect(
                Self.isMalformed([UInt8(ascii: "\""), UInt8(ascii: "a"), byte, UInt8(ascii: "\"")]), "byte \(byte)")
            #expect(Self.isMalformed(Array(#"{""#.utf8) + [byte] + Array(#"":1}"#.utf8)), "key byte \(byte)")
        }
    }

    @Test func malformedStructureIsRefused() {
        for bad in [
            "", " ", "{", "}", "[", "]", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "[1,]", "{,}", "{1:2}", "[,1]",
            #"{"a" 1}"#,
            "tru", "nul", "True", "NULL", "fals", "'a'", #"{'a':1}"#, "[1 2]", #"{"a":1 "b":2}"#, "\u{FEFF}{}",
        ] {
            #expect(Self.isMalformed(bad), "\(bad.debugDescription)")
        }
        #expect((try? Self.parse("true")) == .bool(true))
        #expect((try? Self.parse("false")) == .bool(false))
        #expect((try? Self.parse("null")) == .null)
        #expect((try? Self.parse(#""""#)) == .string(""))
    }

    // MARK: Laws over random documents

    @Test func agreesWithFoundationOnRandomDocuments() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let value = RandomJSON.value(depth: 0, random: &random)

            // Foundation writes it (its own number and escape forms); both readers must read the same tree.
            let foundationText = try JSONSerialization.data(
                withJSONObject: RandomJSON.foundationObject(value), options: [.fragmentsAllowed])
            let strict = RandomJSON.revealed(try StrictJSON.parse(foundationText))
            let foundation = try JSONSerialization.jsonObject(with: foundationText, options: [.fragmentsAllowed])
            #expect(RandomJSON.agrees(strict, foundation), "\(String(decoding: foundationText, as: UTF8.self))")
            #expect(RandomJSON.sameIgnoringNumberText(strict, value))

            // Written with random whitespace, random \u escapes (surrogate pairs beyond the BMP) and our numbers:
            // the tree comes back exactly, numbers as written, and Foundation reads the same.
            let ownText = Data(RandomJSON.write(value, random: &random).utf8)
            let guarded = try StrictJSON.parse(ownText)
            #expect(RandomJSON.secretsAreGuarded(guarded), "\(String(decoding: ownText, as: UTF8.self))")
            let exact = RandomJSON.revealed(guarded)
            #expect(exact == value, "\(String(decoding: ownText, as: UTF8.self))")
            let foundationReading = try JSONSerialization.jsonObject(with: ownText, options: [.fragmentsAllowed])
            #expect(RandomJSON.agrees(exact, foundationReading), "\(String(decoding: ownText, as: UTF8.self))")
        }
    }

    @Test func aDuplicatedKeyInAnyObjectIsRefusedNamingIt() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            var value = RandomJSON.object(depth: 0, random: &random, minimumCount: 1)
            let objects = RandomJSON.objectPaths(value).filter { path in
                if case .object(let members) = RandomJSON.at(path, in: value) { return !members.isEmpty }
                return false
            }
            let path = objects[Int(random.next() % UInt64(objects.count))]
            guard case .object(var members) = RandomJSON.at(path, in: value) else { return }
            let original = members[Int(random.next() % UInt64(members.count))].key
            // The same key, or the same in another mix of letter cases.
            let recased = original.map { random.next() % 2 == 0 ? $0.uppercased() : $0.lowercased() }.joined()
            let duplicate = recased.lowercased() == original.lowercased() ? recased : original
            let position = Int(random.next() % UInt64(members.count + 1))
            members.insert((key: duplicate, value: RandomJSON.value(depth: 4, random: &random)), at: position)
            value = RandomJSON.replacing(path, in: value, with: .object(members))

            // The parser names the key as first written, then the one that repeats it.
            let clashing = members.filter { $0.key.lowercased() == original.lowercased() }.map(\.key)
            #expect(clashing.count == 2)
            let expected = clashing[0] == clashing[1] ? clashing[1] : "\(clashing[0])\" and \"\(clashing[1])"
            let text = RandomJSON.write(value, random: &random)
            #expect(throws: DocumentError.ambiguousField(expected), "\(text)") { try StrictJSON.parse(Data(text.utf8)) }
        }
    }

    /// Any bytes at all: parsed or refused with a `DocumentError`, never a crash; and what is accepted,
    /// Foundation reads the same (numbers beyond a Double aside, which Foundation refuses).
    @Test func randomBytesAndMutatedDocumentsNeverCrash() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            var inputs: [[UInt8]] = []
            // Random bytes, mostly from JSON's own alphabet.
            for _ in 0..<3 {
                let alphabet =
                    Array(#"{}[]:,"\ tfnrue0123456789-+.eEaA/bu"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xFF]
                inputs.append(
                    (0..<Int(random.next() % 40)).map { _ in
                        random.next() % 4 == 0
                            ? UInt8(truncatingIfNeeded: random.next())
                            : alphabet[Int(random.next() % UInt64(alphabet.count))]
                    })
            }
            // Single-byte mutations and truncations of a valid document.
            let valid = Array(RandomJSON.write(RandomJSON.value(depth: 0, random: &random), random: &random).utf8)
            for _ in 0..<7 {
                var bytes = valid
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
                default: bytes = Array(bytes.prefix(index))
                }
                inputs.append(bytes)
            }
            for bytes in inputs {
                let strict: JSONValue
                do throws(DocumentError) {
                    strict = RandomJSON.revealed(try StrictJSON.parse(Data(bytes)))
                } catch {
                    // The error is a DocumentError by its type; a malformed document is the only kind possible
                    // here besides a repeated key.
                    switch error {
                    case .malformedJSON, .ambiguousField: break
                    default: Issue.record("unexpected \(error) for \(bytes)")
                    }
                    continue
                }
                guard RandomJSON.numbersFitDouble(strict) else { continue }
                let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
                #expect(foundation.map { RandomJSON.agrees(strict, $0) } == true, "\(bytes)")
            }
        }
    }
}

/// A small seeded generator: every random document comes from one 64-bit seed that `propertyCheck` draws.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random JSON trees (objects with keys unique ignoring case, arrays, strings over all of Unicode, numbers,
/// booleans, null), a writer with random escapes and whitespace, and a structural comparison with Foundation.
enum RandomJSON {
    static func value(depth: Int, random: inout SplitMix) -> JSONValue {
        let kinds = depth >= 4 ? 4 : 6
        switch random.next() % UInt64(kinds) {
        case 0: return .string(string(random: &random))
        case 1: return .number(number(random: &random))
        case 2: return random.next() % 3 == 0 ? .null : .bool(random.next() % 2 == 0)
        case 3: return .string(string(random: &random))
        case 4: return .array((0..<Int(random.next() % 5)).map { _ in value(depth: depth + 1, random: &random) })
        default: return object(depth: depth, random: &random)
        }
    }

    static func object(depth: Int, random: inout SplitMix, minimumCount: Int = 0) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        for _ in 0..<(minimumCount + Int(random.next() % 5)) {
            // Now and then a secret member's name, in a random mix of cases.
            let key =
                random.next() % 6 == 0
                ? StrictJSON.secretMembers.sorted()[Int(random.next() % 5)].map {
                    random.next() % 2 == 0 ? $0.uppercased() : String($0)
                }.joined()
                : string(random: &random)
            guard seen.insert(key.lowercased()).inserted else { continue }
            members.append((key, value(depth: depth + 1, random: &random)))
        }
        if members.count < minimumCount { members.append(("k\(random.next())", .null)) }
        return .object(members)
    }

    /// Characters from every part of Unicode JSON cares about: ASCII letters in both cases, controls, the
    /// characters that must be escaped, Latin-1, the BMP, combining marks, and beyond the BMP.
    static func string(random: inout SplitMix) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int(random.next() % 9) {
            let value: UInt32
            switch random.next() % 8 {
            case 0: value = UInt32(0x41 + random.next() % 26)
            case 1: value = UInt32(0x61 + random.next() % 26)
            case 2: value = UInt32(random.next() % 0x20)
            case 3: value = [0x22, 0x5C, 0x2F, 0x7F, 0x20][Int(random.next() % 5)]
            case 4: value = UInt32(0x80 + random.next() % 0x180)
            case 5: value = [0x301, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0x4E2D, 0x20AC, 0xE000][Int(random.next() % 8)]
            case 6: value = UInt32(0x10000 + random.next() % 0x100000)
            default: value = UInt32(0x21 + random.next() % 0x5E)
            }
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// A number in one of JSON's forms, as text.
    static func number(random: inout SplitMix) -> String {
        switch random.next() % 4 {
        case 0: return String(Int64(bitPattern: random.next()) >> Int64(random.next() % 64))
        case 1:
            let double = Double(bitPattern: random.next())
            return double.isFinite ? "\(double)" : "0"
        case 2:
            let sign = random.next() % 2 == 0 ? "-" : ""
            let integer = random.next() % 4 == 0 ? "0" : String(1 + random.next() % 9999)
            let fraction = random.next() % 2 == 0 ? "" : "." + String(random.next() % 100_000)
            let exponent =
                random.next() % 2 == 0
                ? ""
                : (random.next() % 2 == 0 ? "e" : "E")
                    + ["", "+", "-"][Int(random.next() % 3)] + String(random.next() % 40)
            return sign + integer + fraction + exponent
        default: return String(random.next() % 1000)
        }
    }

    /// The tree with every secret value (read into guarded memory) as the plain string or number it was written as.
    static func revealed(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.map { ($0.key, revealed($0.value)) })
        case .array(let elements): return .array(elements.map(revealed))
        case .secretString(let bytes): return .string(bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        case .secretNumber(let bytes): return .number(bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        default: return value
        }
    }

    /// Whether every non-empty string and every number under a secret member's name, however deeply nested below
    /// it, was read into guarded memory.
    static func secretsAreGuarded(_ value: JSONValue, underSecret: Bool = false) -> Bool {
        switch value {
        case .object(let members):
            return members.allSatisfy { member in
                secretsAreGuarded(
                    member.value,
                    underSecret: underSecret || StrictJSON.secretMembers.contains(member.key.lowercased()))
            }
        case .array(let elements): return elements.allSatisfy { secretsAreGuarded($0, underSecret: underSecret) }
        case .number: return !underSecret
        case .string(let text): return !underSecret || text.isEmpty
        default: return true
        }
    }

    /// The tree as Foundation objects, for `JSONSerialization` to write.
    static func foundationObject(_ value: JSONValue) -> Any {
        switch value {
        case .object(let members):
            var dictionary: [String: Any] = [:]
            for member in members { dictionary[member.key] = foundationObject(member.value) }
            return dictionary
        case .array(let elements): return elements.map(foundationObject)
        case .string(let text): return text
        case .number(let text): return Int64(text).map { NSNumber(value: $0) } ?? NSNumber(value: Double(text)!)
        case .bool(let flag): return flag
        case .null: return NSNull()
        case .secretString, .secretNumber: return foundationObject(revealed(value))
        }
    }

    /// Whether StrictJSON's tree and Foundation's reading of the same text agree: the same objects (keys
    /// compared as strings), arrays, strings, booleans and null, and numbers of equal value.
    ///
    /// Two quirks of Foundation on Linux are allowed for, as they are Foundation's and not StrictJSON's: it drops
    /// U+FEFF inside strings (StrictJSON keeps it, as RFC 8259 says), and it rounds some decimals a few ulps
    /// away from the nearest double (so numbers agree to 12 significant digits, and tiny ones to zero).
    static func agrees(_ strict: JSONValue, _ foundation: Any) -> Bool {
        func plain(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" }))
        }
        switch strict {
        case .object(let members):
            // Keys that differ only by U+FEFF are one key once Foundation has dropped it: nothing to compare.
            if Set(members.map { plain($0.key) }).count < members.count { return foundation is [String: Any] }
            guard let dictionary = foundation as? [String: Any], dictionary.count == members.count else { return false }
            var plainKeys: [String: Any] = [:]
            for (key, value) in dictionary { plainKeys[plain(key)] = value }
            return members.allSatisfy { member in plainKeys[plain(member.key)].map { agrees(member.value, $0) } ?? false
            }
        case .array(let elements):
            guard let array = foundation as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { agrees($0, $1) }
        case .string(let text): return (foundation as? String).map(plain) == plain(text)
        case .number(let text):
            guard let number = foundation as? NSNumber, let expected = Double(text) else { return false }
            let actual = number.doubleValue
            return actual == expected || abs(actual - expected) <= max(abs(actual), abs(expected)) * 1e-12
                || max(abs(actual), abs(expected)) < 1e-300
        case .bool(let flag): return (foundation as? Bool) == flag
        case .null: return foundation is NSNull
        case .secretString, .secretNumber: return agrees(revealed(strict), foundation)
        }
    }

    /// Equality with numbers compared by value (Foundation rewrites them) and object members in any order.
    static func sameIgnoringNumberText(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count
                && x.allSatisfy { member in
                    y.first { $0.key == member.key }.map { sameIgnoringNumberText(member.value, $0.value) } ?? false
                }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameIgnoringNumberText($0, $1) }
        case (.number(let x), .number(let y)): return Double(x) == Double(y)
        default: return a == b
        }
    }

    /// Whether every number is a finite Double (Foundation refuses the others).
    static func numbersFitDouble(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): return members.allSatisfy { numbersFitDouble($0.value) }
        case .array(let elements): return elements.allSatisfy(numbersFitDouble)
        case .number(let text): return Double(text)?.isFinite ?? false
        default: return true
        }
    }

    /// JSON text with random whitespace between tokens and random (valid) escapes.
    static func write(_ value: JSONValue, random: inout SplitMix) -> String {
        func space(_ random: inout SplitMix) -> String {
            random.next() % 3 != 0
                ? ""
                : String((0..<Int(1 + random.next() % 3)).map { _ in [" ", "\t", "\n", "\r"][Int(random.next() % 4)] })
        }
        var text = space(&random)
        switch value {
        case .object(let members):
            text += "{" + space(&random)
            text += members.map { member in
                quoted(member.key, random: &random) + space(&random) + ":" + write(member.value, random: &random)
            }.joined(separator: ",")
            text += space(&random) + "}"
        case .array(let elements):
            text +=
                "[" + space(&random) + elements.map { write($0, random: &random) }.joined(separator: ",")
                + space(&random) + "]"
        case .string(let string): text += quoted(string, random: &random)
        case .number(let number): text += number
        case .bool(let flag): text += flag ? "true" : "false"
        case .null: text += "null"
        case .secretString, .secretNumber: text += write(revealed(value), random: &random)
        }
        return text + space(&random)
    }

    static func quoted(_ string: String, random: inout SplitMix) -> String {
        func hex(_ unit: UInt32, _ random: inout SplitMix) -> String {
            let digits = String(unit, radix: 16)
            let padded = String(repeating: "0", count: 4 - digits.count) + digits
            return "\\u" + (random.next() % 2 == 0 ? padded : padded.uppercased())
        }
        var text = "\""
        for scalar in string.unicodeScalars {
            let short: [UInt32: String] = [
                0x22: "\\\"", 0x5C: "\\\\", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t",
            ]
            let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
            if !mustEscape && random.next() % 4 != 0 {
                text.unicodeScalars.append(scalar)
            } else if let escape = short[scalar.value], random.next() % 2 == 0 {
                text += escape
            } else if scalar == "/" && random.next() % 2 == 0 {
                text += "\\/"
            } else if scalar.value >= 0x10000 {
                let offset = scalar.value - 0x10000
                text += hex(0xD800 + (offset >> 10), &random) + hex(0xDC00 + (offset & 0x3FF), &random)
            } else {
                text += hex(scalar.value, &random)
            }
        }
        return text + "\""
    }

    /// Paths (member or element indices) of every object in the tree, the root's included.
    static func objectPaths(_ value: JSONValue, prefix: [Int] = []) -> [[Int]] {
        switch value {
        case .object(let members):
            return [prefix] + members.enumerated().flatMap { objectPaths($1.value, prefix: prefix + [$0]) }
        case .array(let elements):
            return elements.enumerated().flatMap { objectPaths($1, prefix: prefix + [$0]) }
        default: return []
        }
    }

    static func at(_ path: [Int], in value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        switch value {
        case .object(let members): return at(Array(path.dropFirst()), in: members[first].value)
        case .array(let elements): return at(Array(path.dropFirst()), in: elements[first])
        default: return value
        }
    }

    static func replacing(_ path: [Int], in value: JSONValue, with new: JSONValue) -> JSONValue {
        guard let first = path.first else { return new }
        switch value {
        case .object(var members):
            members[first].value = replacing(Array(path.dropFirst()), in: members[first].value, with: new)
            return .object(members)
        case .array(var elements):
            elements[first] = replacing(Array(path.dropFirst()), in: elements[first], with: new)
            return .array(elements)
        default: return value
        }
    }
}
