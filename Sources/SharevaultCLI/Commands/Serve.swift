import ArgumentParser
import Foundation
import Logging
import ShareVault
import ShareVaultServer

extension SharevaultCommand {
    /// `sharevault serve`: the HTTP intake.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the HTTP intake for the custodian webhook and the app's uploads.",
            discussion: """
                Routes: POST {root}/backup and POST {root}/backup/fetch (X-Webhook-Secret), POST \
                /clients/{clientId}/backup, GET /clients/{clientId}/backup?backupMethod=M and POST \
                /clients/{clientId}/backup/confirm (Authorization: Bearer). Secrets come from files or the \
                environment, never the command line: --webhook-secret-file or $SHAREVAULT_WEBHOOK_SECRET, \
                --api-token-file or $SHAREVAULT_API_TOKEN. A 2xx means the data is committed to disk. Several \
                serve processes, on several hosts, may share one vault on PostgreSQL (--store \
                postgres://USER@HOST:PORT/DATABASE --vault-key FILE): writes take turns under one lock, so a \
                webhook delivered to two of them is stored once and the audit chain never forks. SIGINT or \
                SIGTERM finishes the requests in flight, then stops. One log line per request on stderr \
                (route, status, duration; never a body or a secret), as JSON with --log-format json. GET /healthz \
                answers while the process runs; GET /readyz answers 200 when the vault key is loaded and the store \
                answers a read of the vault's key state within 2 seconds (the probe takes it: a rekey begun is \
                joined), 503 otherwise (also when the vault was rekeyed to a key this process does not hold). With --metrics-listen, GET /metrics on that address \
                gives Prometheus' text format: requests by route, method and status, a latency histogram by route, \
                ingest outcomes and refusals by reason, live pairs by status, group commits (no client id, no \
                secret).
                """
        )

        @Option(help: "Where to listen, as HOST:PORT (port 0 picks a free one; the chosen port is printed).")
        var listen: String = "127.0.0.1:8080"

        @Option(help: "The webhook routes' prefix, e.g. /webhooks for POST /webhooks/backup.")
        var webhookRoot: String = "/webhooks"

        @Option(help: "A file holding the webhook secret (or $SHAREVAULT_WEBHOOK_SECRET).")
        var webhookSecretFile: String?

        @Option(help: "A file holding the app's API token (or $SHAREVAULT_API_TOKEN).")
        var apiTokenFile: String?

        @Option(
            help: ArgumentHelp(
                "Where to serve GET /metrics, as HOST:PORT (off when not given; port 0 picks a free one).",
                valueName: "host:port"))
        var metricsListen: String?

        @Option(help: "How log lines are written: text, or one JSON object per line.")
        var logFormat: LogFormatOption = .text

        enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        @OptionGroup var vault: VaultOptions

        @Flag(
            help:
                "Read the officers' key shares from standard input at start (the share files one after another, ended by end of input) instead of --key-share files."
        )
        var keySharesFromStdin = false

        func validate() throws {
            guard Self.parse(listen: listen) != nil else {
                throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535 (got \(listen))")
            }
            if let metricsListen, Self.parse(listen: metricsListen) == nil {
                throw ValidationError(
                    "--metrics-listen must be HOST:PORT with a port from 0 to 65535 (got \(metricsListen))")
            }
            guard IntakeConfiguration.normalizedWebhookRoot(webhookRoot) != nil else {
                throw ValidationError(
                    "--webhook-root must be a plain path like /webhooks: segments of letters, digits and -._~, "
                        + "not under /clients, /healthz, /readyz or /metrics (got \(webhookRoot))")
            }
        }

        static func parse(listen: String) -> (host: String, port: Int)? {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            var host = String(listen[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return host.isEmpty ? nil : (host, port)
        }

        func run() async throws {
            LogFormat.current = logFormat == .json ? .json : .text
            guard
                let webhookSecret = try Secrets.read(file: webhookSecretFile, environment: "SHAREVAULT_WEBHOOK_SECRET")
            else {
                throw CommandFailure(
                    status: .badInput,
                    message: "error: no webhook secret: give --webhook-secret-file or set SHAREVAULT_WEBHOOK_SECRET")
            }
            guard let apiToken = try Secrets.read(file: apiTokenFile, environment: "SHAREVAULT_API_TOKEN") else {
                throw CommandFailure(
                    status: .badInput, message: "error: no API token: give --api-token-file or set SHAREVAULT_API_TOKEN"
                )
            }
            guard let (host, port) = Self.parse(listen: listen) else {
                throw CommandFailure(status: .badInput, message: "error: --listen must be HOST:PORT (got \(listen))")
            }
            let opened: Vault
            if keySharesFromStdin {
                if !vault.keyShares.isEmpty || vault.vaultKey != nil || vault.passphraseFile != nil {
                    throw ValidationError(
                        "--key-shares-from-stdin takes the key from officers' shares: drop --key-share, --vault-key and --passphrase-file"
                    )
                }
                if isatty(STDIN_FILENO) == 1 {
                    Terminal.writeError(
                        "paste the officers' key share files, one after another, then end input (Ctrl-D):")
                }
                let shares = try OfficerSharesInput.read(
                    StandardInput.readSecret(limit: OfficerSharesInput.limit), reader: try vault.officerSecrets.reader()
                )
                opened = try await Vault.open(
                    store: try vault.location(), key: .officerShares(shares), logger: Logger(label: "sharevault"))
            } else {
                opened = try await vault.open(needsKey: true)
            }
            var logger = Logger(label: "sharevault.serve")
            logger.logLevel =
                ProcessInfo.processInfo.environment["SHAREVAULT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
                ?? .info
            let server = IntakeServer(
                vault: opened,
                configuration: IntakeConfiguration(
                    host: host, port: port, webhookRoot: webhookRoot, webhookSecret: webhookSecret, apiToken: apiToken,
                    metricsAddress: metricsListen.flatMap(Self.parse(listen:))),
                logger: logger)
            try await server.run(
                onRunning: { boundPort in
                    Terminal.writeError(
                        "sharevault: listening on \(host):\(boundPort), webhooks under \(webhookRoot)")
                },
                onMetricsRunning: { boundPort in
                    let metricsHost = metricsListen.flatMap(Self.parse(listen:))?.host ?? host
                    Terminal.writeError("sharevault: metrics on \(metricsHost):\(boundPort)/metrics")
                })
        }
    }
}
