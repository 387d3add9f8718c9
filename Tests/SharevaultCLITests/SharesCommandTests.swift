import Foundation
import ShareMath
import Testing

/// `sharevault shares split|combine|verify`, run as a user would, with every kind of bad input.
@Suite struct SharesCommandTests {
    static let groupOrderHex: [CurveID: String] = [
        .secp256k1: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        .ed25519: "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
    ]

    /// Splits on `curve` and returns the documents as JSON objects.
    func split(_ curve: CurveID, threshold: Int = 2, count: Int = 3, extra: [String] = []) throws -> [[String: Any]] {
        let result = try Sharevault.run(
            ["shares", "split", "--curve", curve.rawValue, "--threshold", "\(threshold)", "--count", "\(count)"] + extra
        )
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == count)
        return try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: CurveID.allCases)
    func splitVerifyCombineRoundTrip(curve: CurveID) throws {
        let scratch = try ScratchDirectory()
        let documents = try split(curve, threshold: 2, count: 3)
        for (index, document) in documents.enumerated() {
            #expect(document["format"] as? String == "sharevault.share")
            #expect(document["version"] as? Int == 1)
            #expect(document["curve"] as? String == curve.rawValue)
            #expect((document["commitments"] as? [String])?.count == 2)
            try scratch.write("s\(index).json", try json(document))
        }
        let verify = try Sharevault.run([
            "shares", "verify", scratch.path("s0.json"), scratch.path("s1.json"), scratch.path("s2.json"),
        ])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("3 checked, 3 passed, 0 failed"))

        let publicKey = documents[0]["publicKey"] as! String
        let combine = try Sharevault.run(["shares", "combine", scratch.path("s2.json"), scratch.path("s0.json")])
        #expect(combine.status == 0, "\(combine.stderr)")
        #expect(combine.stdout.contains(publicKey))
        for document in documents {
            #expect(!combine.stdout.contains(document["share"] as! String))
        }
        #expect(!combine.stdout.contains("secret"))

        let reveal = try Sharevault.run(
            ["shares", "combine", "--json", "--reveal-secret", scratch.path("s1.json"), scratch.path("s2.json")])
        #expect(reveal.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(reveal.stdout.utf8)) as! [String: Any]
        #expect(report["publicKey"] as? String == publicKey)
        let secretHex = try #require(report["secret"] as? String)
        #expect(try publicKeyHex(ofSecret: secretHex, on: curve) == publicKey)
    }

    func publicKeyHex(ofSecret hex: String, on curve: CurveID) throws -> String {
        switch curve {
        case .secp256k1: return Hex.encode(Secp256k1.baseMultiply(try Scalar(decoding: Hex.decode(hex))).encoded)
        case .ed25519: return Hex.encode(Ed25519.baseMultiply(try Scalar(decoding: Hex.decode(hex))).encoded)
        }
    }

    @Test(arguments: CurveID.allCases)
    func splitOfAGivenSecretCombinesBackToIt(curve: CurveID) throws {
        let scratch = try ScratchDirectory()
        let secretHex =
            curve == .secp256k1
            ? "0d004150d27c3bf2a42f312683d35fac7394b1e9e318249c1bfe7f0795a83114"
            : "7b1c33d3f5291d85de664833beb1ad469f7fb6025a0ec78b3a790c6e13a98304"
        let secretFile = try scratch.write("secret.hex", secretHex + "\n")
        let split = try Sharevault.run(
            [
                "shares", "split", "--curve", curve.rawValue, "--threshold", "3", "--count", "5", "--secret-file",
                secretFile, "--out", scratch.path("out"),
            ])
        #expect(split.status == 0, "\(split.stderr)")
        #expect(!split.stdout.contains(secretHex))
        for index in 1...5 {
            let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path("out/share-\(index).json"))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
        let combine = try Sharevault.run(
            [
                "shares", "combine", "--reveal-secret", scratch.path("out/share-5.json"),
                scratch.path("out/share-2.json"),
                scratch.path("out/share-4.json"),
            ])
        #expect(combine.status == 0, "\(combine.stderr)")
        #expect(combine.stdout.contains("secret:      \(secretHex)"))

        let again = try Sharevault.run(
            [
                "shares", "split", "--curve", curve.rawValue, "--threshold", "2", "--count", "2", "--out",
                scratch.path("out"),
            ])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func jsonSplitPrintsOneArray() throws {
        let result = try Sharevault.run([
            "shares", "split", "--curve", "ed25519", "--threshold", "2", "--count", "4", "--json",
        ])
        #expect(result.status == 0)
        let array = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(array?.count == 4)
    }

    @Test(arguments: [
        (["--threshold", "1", "--count", "3"], "--threshold must be between 2 and --count"),
        (["--threshold", "4", "--count", "3"], "--threshold must be between 2 and --count"),
        (["--threshold", "2", "--count", "256"], "--count must be between 2 and 255"),
        (["--threshold", "x", "--count", "3"], "threshold"),
    ])
    func splitRefusesBadThresholds(arguments: [String], message: String) throws {
        let result = try Sharevault.run(["shares", "split", "--curve", "secp256k1"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func splitRefusesAnUnknownCurve() throws {
        let result = try Sharevault.run(["shares", "split", "--curve", "p256", "--threshold", "2", "--count", "2"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("curve"))
    }

    @Test(arguments: CurveID.allCases)
    func splitRefusesBadSecretFiles(curve: CurveID) throws {
        let scratch = try ScratchDirectory()
        let base = ["shares", "split", "--curve", curve.rawValue, "--threshold", "2", "--count", "2", "--secret-file"]
        let cases: [(name: String, contents: String, mode: Int, status: Int32, message: String)] = [
            ("open.hex", String(repeating: "11", count: 32), 0o644, 3, "too open"),
            ("zero.hex", String(repeating: "00", count: 32), 0o600, 2, "zero scalar"),
            ("order.hex", Self.groupOrderHex[curve]!, 0o600, 2, "out of range"),
            ("short.hex", String(repeating: "11", count: 31), 0o600, 2, "wrong length"),
            ("long.hex", String(repeating: "11", count: 33), 0o600, 2, "wrong length"),
            ("nothex.hex", String(repeating: "zz", count: 32), 0o600, 2, "hex"),
            ("odd.hex", String(repeating: "1", count: 63), 0o600, 2, "hex"),
            ("empty.hex", "", 0o600, 2, "empty"),
            ("huge.hex", String(repeating: "11", count: 10_000), 0o600, 2, "larger than"),
        ]
        for item in cases {
            let path = try scratch.write(item.name, item.contents, mode: item.mode)
            let result = try Sharevault.run(base + [path])
            #expect(result.status == item.status, "\(item.name): \(result.stderr)")
            #expect(result.stderr.contains(item.message), "\(item.name): \(result.stderr)")
            #expect(result.stderr.contains(item.name), "\(item.name): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            if item.contents.count >= 8 { #expect(!result.stderr.contains(item.contents.prefix(64))) }
        }
        let missing = try Sharevault.run(base + [scratch.path("absent.hex")])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no such file"))
    }

    /// Documents changed one way each, with the exit status and the words the message must contain.
    func badDocuments(_ curve: CurveID) throws -> [(name: String, text: String, message: String)] {
        let good = try split(curve)[0]
        func changed(_ change: (inout [String: Any]) -> Void) throws -> String {
            var document = good
            change(&document)
            return try json(document)
        }
        let goodText = try json(good)
        let otherCurve: CurveID = curve == .secp256k1 ? .ed25519 : .secp256k1
        let foreignPoint = try split(otherCurve)[0]["publicKey"] as! String
        let offCurvePoint =
            curve == .secp256k1
            ? "02" + String(repeating: "0", count: 62) + "05"  // x = 5 has no y on secp256k1
            : "02" + String(repeating: "0", count: 62)  // y = 2 has no x on edwards25519
        return [
            ("truncated.json", String(goodText.prefix(goodText.count / 2)), "malformed JSON"),
            ("notjson.json", "this is not json", "malformed JSON"),
            ("empty.json", "   \n", "empty document"),
            ("wrongformat.json", try changed { $0["format"] = "portal.share" }, "not a sharevault.share document"),
            ("version2.json", try changed { $0["version"] = 2 }, "unsupported format version 2"),
            ("versionstring.json", try changed { $0["version"] = "1" }, "field \"version\" must be an integer"),
            ("nocurve.json", try changed { $0["curve"] = nil }, "missing field \"curve\""),
            ("p256.json", try changed { $0["curve"] = "p256" }, "unknown curve"),
            ("wrongcurve.json", try changed { $0["curve"] = otherCurve.rawValue }, "field \""),
            ("foreignpoint.json", try changed { $0["publicShare"] = foreignPoint }, "field \"publicShare\""),
            ("threshold1.json", try changed { $0["threshold"] = 1 }, "field \"threshold\""),
            ("threshold300.json", try changed { $0["threshold"] = 300 }, "field \"threshold\""),
            (
                "commitcount.json", try changed { $0["commitments"] = [($0["commitments"] as! [String])[0]] },
                "field \"commitments\""
            ),
            ("noshare.json", try changed { $0["share"] = nil }, "missing field \"share\""),
            ("sharenumber.json", try changed { $0["share"] = 7 }, "field \"share\" must be a string"),
            (
                "sharerange.json", try changed { $0["share"] = Self.groupOrderHex[curve]! },
                "field \"share\": scalar out of range"
            ),
            (
                "sharezero.json", try changed { $0["share"] = String(repeating: "0", count: 64) },
                "field \"share\": zero scalar"
            ),
            (
                "sharehex.json", try changed { $0["share"] = String(repeating: "g", count: 64) },
                "field \"share\": not valid hex"
            ),
            (
                "idzero.json", try changed { $0["identifier"] = String(repeating: "0", count: 64) },
                "field \"identifier\": zero scalar"
            ),
            ("offcurve.json", try changed { $0["publicKey"] = offCurvePoint }, "field \"publicKey\""),
            (
                "badcommitment.json",
                try changed {
                    var list = $0["commitments"] as! [String]
                    list[1] = offCurvePoint
                    $0["commitments"] = list
                }, "field \"commitments[1]\""
            ),
            (
                "identity.json",
                try changed {
                    $0["publicShare"] = curve == .secp256k1 ? "00" : "01" + String(repeating: "0", count: 62)
                }, "identity"
            ),
        ]
    }

    @Test(arguments: CurveID.allCases)
    func verifyAndCombineRefuseMalformedDocuments(curve: CurveID) throws {
        let scratch = try ScratchDirectory()
        let good = try scratch.write("good.json", try json(try split(curve)[0]))
        for item in try badDocuments(curve) {
            let path = try scratch.write(item.name, item.text)
            for command in ["verify", "combine"] {
                let result = try Sharevault.run(["shares", command, good, path])
                #expect(result.status == 2, "\(command) \(item.name): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(item.name), "\(command) \(item.name): \(result.stderr)")
                #expect(result.stderr.contains(item.message), "\(command) \(item.name): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(command) \(item.name): \(result.stdout)")
            }
        }
    }

    @Test func oversizedDocumentsAreRefusedBeforeParsing() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("huge.json", "[" + String(repeating: " ", count: 2 << 20) + "]")
        let result = try Sharevault.run(["shares", "verify", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("huge.json: larger than the 1048576-byte limit"))
        let missing = try Sharevault.run(["shares", "verify", scratch.path("absent.json")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("absent.json: no such file"))
    }

    @Test func combineRefusesInconsistentShareSets() throws {
        let scratch = try ScratchDirectory()
        let first = try split(.secp256k1)
        let other = try split(.secp256k1)
        let edwards = try split(.ed25519)
        let a = try scratch.write("a.json", try json(first[0]))
        let b = try scratch.write("b.json", try json(first[1]))
        let c = try scratch.write("c.json", try json(other[1]))
        let d = try scratch.write("d.json", try json(edwards[1]))
        let cases: [([String], String)] = [
            ([a, d], "mixed curves"),
            ([a, c], "public key differs"),
            ([a], "too few shares: threshold is 2, got 1"),
            ([a, a], "duplicate identifier"),
        ]
        for (files, message) in cases {
            let result = try Sharevault.run(["shares", "combine"] + files)
            #expect(result.status == 2, "\(message): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let noFiles = try Sharevault.run(["shares", "combine"])
        #expect(noFiles.status == 2)
        _ = b
    }

    @Test(arguments: CurveID.allCases)
    func aTamperedShareFailsVerificationWithStatusOne(curve: CurveID) throws {
        let scratch = try ScratchDirectory()
        let documents = try split(curve)
        var tampered = documents[0]
        // A valid scalar, but not this share: the Feldman check and the public share both catch it.
        tampered["share"] = documents[1]["share"]
        let bad = try scratch.write("tampered.json", try json(tampered))
        let good = try scratch.write("good.json", try json(documents[2]))
        let verify = try Sharevault.run(["shares", "verify", good, bad])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("tampered.json: FAILED"))
        #expect(verify.stdout.contains("1 failed"))
        let verifyJSON = try Sharevault.run(["shares", "verify", "--json", bad])
        #expect(verifyJSON.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(verifyJSON.stdout.utf8)) as! [String: Any]
        #expect(report["failed"] as? Int == 1)
        #expect(!verifyJSON.stdout.contains(documents[1]["share"] as! String))
        let combine = try Sharevault.run(["shares", "combine", "--reveal-secret", good, bad])
        #expect(combine.status == 1)
        #expect(combine.stderr.contains("tampered.json"))
        #expect(!combine.stderr.contains(documents[1]["share"] as! String))
        #expect(combine.stdout.isEmpty)
    }

    @Test func documentsCanComeFromStandardInputAndArrays() throws {
        let array = try Sharevault.run([
            "shares", "split", "--curve", "secp256k1", "--threshold", "2", "--count", "3", "--json",
        ])
        let result = try Sharevault.run(["shares", "combine", "-"], stdin: Data(array.stdout.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3 shares combined"))
    }
}
