import Hummingbird
import ShareMath
import ShareVault

/// An answer other than success: its status and a JSON object `{"error": ..., "field": ...}` (`field` where one
/// is to blame), naming the problem and never quoting a value.
///
/// The library's errors map onto it (`init(_:)`): 400 for a body that is not what the route takes, 422 for one that
/// parses but cannot be accepted, 404 for what is not there, 503 for the environment.
struct IntakeError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let field: String?
    /// Headers the answer carries besides its content type (`Retry-After`, `Connection: close`).
    var headers: HTTPFields = [:]
    /// The refusal's short name for metrics (`malformed-json`, `out-of-range`, `public-key-mismatch`...): one of
    /// a few, never a value.
    let reason: String

    init(
        _ status: HTTPResponse.Status, _ message: String, field: String? = nil, headers: HTTPFields = [:],
        reason: String
    ) {
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers
        self.reason = reason
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            ErrorAnswer(error: message, field: field), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }

    static let unauthorized = IntakeError(.unauthorized, "missing or wrong credentials", reason: "unauthorized")

    /// The vault's work is at its limit: try again shortly.
    static let busy = IntakeError(
        .serviceUnavailable, "the intake is busy; try again", headers: [.retryAfter: "1"], reason: "busy")

    /// The body did not arrive in time; the connection is closed.
    static let bodyTimeout = IntakeError(
        .requestTimeout, "the body did not arrive in time", headers: [.connection: "close"], reason: "body-timeout")

    static func tooLarge(_ limit: Int) -> IntakeError {
        IntakeError(.contentTooLarge, "body larger than \(limit) bytes", reason: "too-large")
    }

    /// The answer for an error the library threw.
    init(_ error: any Error) {
        switch error {
        case let error as IntakeError:
            self = error
        case let error as DocumentError:
            switch error {
            case .malformedJSON:
                self.init(.badRequest, error.description, reason: "malformed-json")
            case .empty:
                self.init(.badRequest, error.description, reason: "empty")
            case .missingField(let field):
                self.init(.badRequest, error.description, field: field, reason: "missing-field")
            case .ambiguousField(let field):
                self.init(.badRequest, error.description, field: field, reason: "ambiguous-field")
            case .wrongType(let field, _):
                self.init(.badRequest, error.description, field: field, reason: "wrong-type")
            case .tooLarge:
                self.init(.contentTooLarge, error.description, reason: "too-large")
            case .wrongFormat:
                self.init(.unprocessableContent, error.description, field: "share", reason: "wrong-format")
            case .unsupportedVersion:
                self.init(.unprocessableContent, error.description, field: "share", reason: "unsupported-version")
            case .unknownCurve:
                self.init(.unprocessableContent, error.description, field: "curve", reason: "unknown-curve")
            case .invalidField(let field, _):
                self.init(.unprocessableContent, error.description, field: field, reason: "invalid-field")
            case .outOfRange(let field, _):
                self.init(.unprocessableContent, error.description, field: field, reason: "out-of-range")
            }
        case let error as VaultError:
            switch error {
            case .invalidClientId:
                self.init(.badRequest, error.description, field: "clientId", reason: "invalid-client-id")
            case .invalidMethod, .ambiguousMethod:
                self.init(.badRequest, error.description, field: "backupMethod", reason: "invalid-method")
            case .walletExists, .publicKeyMismatch:
                self.init(.unprocessableContent, error.description, field: "share", reason: "public-key-mismatch")
            case .notPasswordEncrypted:
                self.init(
                    .unprocessableContent, error.description, field: "cipherText", reason: "not-password-encrypted")
            case .unknownClient, .noBackupPair, .noClientBackup:
                self.init(.notFound, error.description, reason: "not-found")
            default:
                self.init(
                    error.isEnvironmentFault ? .serviceUnavailable : .badRequest, error.description,
                    reason: error.isEnvironmentFault ? "store-unavailable" : "refused")
            }
        default:
            self.init(.internalServerError, "internal error", reason: "internal")
        }
    }
}

/// The body of every answer that is not a success.
struct ErrorAnswer: Encodable {
    let error: String
    let field: String?
}
