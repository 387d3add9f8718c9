import ArgumentParser

/// The root `sharevault` command.
struct SharevaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharevault",
        abstract: "Keep, verify and recombine MPC wallet backup share pairs.",
        discussion: """
            The vault is a SQLite file (--vault PATH, or --store sqlite:PATH) or a PostgreSQL database several \
            machines share (--store postgres://USER@HOST:PORT/DATABASE, its key named with --vault-key, its \
            password in $PGPASSWORD or --store-password-file); $SHAREVAULT_STORE is --store's default. \
            Exit status: 0 all good, 1 the work ran and found a problem, 2 bad usage or input, \
            3 an environment fault.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Create.self, Ingest.self, Confirm.self, List.self, Inspect.self, Verify.self, Recover.self,
            Drill.self, Eject.self, Audit.self, Key.self, Rekey.self, Report.self, Copy.self, Serve.self, Shares.self,
            Bench.self,
            Demo.self,
        ]
    )
}
