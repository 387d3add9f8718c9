import Foundation

#if FUZZING
    /// libFuzzer's driver, linked by `-sanitize=fuzzer`; its own `main` is not used (SwiftPM names the executable's
    /// entry point), so the driver is called from ours.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runLibFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// The target libFuzzer runs, chosen by `SHAREVAULT_FUZZ_TARGET` (libFuzzer owns the command line).
    nonisolated(unsafe) var selectedTarget: FuzzTarget = .webhook
#endif

/// `sharevault-fuzz`: the fuzz targets for every parser of outside input.
///
/// Built with `-sanitize=fuzzer -DFUZZING` (see `.ci/fuzz`), it is a libFuzzer binary running the target named by
/// `SHAREVAULT_FUZZ_TARGET`. Built plainly, it replays inputs: `sharevault-fuzz TARGET PATH...` runs every file
/// (or every file in a folder) through the target, so a finding can be reproduced and kept as a regression.
@main
struct FuzzEntry {
    static func main() {
        #if FUZZING
            let name = ProcessInfo.processInfo.environment["SHAREVAULT_FUZZ_TARGET"] ?? ""
            guard let target = FuzzTarget(rawValue: name) else {
                fail(
                    "set SHAREVAULT_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            selectedTarget = target
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runLibFuzzerDriver(&argc, &argv) { bytes, count in
                    selectedTarget.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
                    return 0
                })
        #else
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments == ["--list"] {
                print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
                return
            }
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                fail("usage: sharevault-fuzz TARGET PATH... | --list")
            }
            var replayed = 0
            for path in arguments.dropFirst() {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else { fail("\(file): cannot read") }
                    target.run(data)
                    replayed += 1
                }
            }
            print("\(target.rawValue): replayed \(replayed) inputs")
        #endif
    }

    /// The file itself, or the files of a folder (not recursing), in name order.
    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            fail("\(path): no such file")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { (path as NSString).appendingPathComponent($0) }.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("sharevault-fuzz: \(message)\n".utf8))
        exit(2)
    }
}
