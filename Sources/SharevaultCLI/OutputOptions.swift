import ArgumentParser
import ShareMath

/// Flags every command shares for its output.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of the readable summary.")
    var json = false
}

extension CurveID: ExpressibleByArgument {}
