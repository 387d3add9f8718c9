import Hummingbird
import ShareMath
import ShareVault

/// Maps the library's errors to the intake's answers: 400 for a body that is not what the route takes,
/// 422 for one that parses but cannot be accepted, 404 for what is not there, 503 for the environment.
/// Every answer is a JSON object with `error` (and `field` where one is to blame); none quotes a value.
enum IntakeError {
    static func response(for error: any Error) -> Response {
        switch error {
        case let error as DocumentError:
            switch error {
            case .malformedJSON, .empty:
                return answer(.badRequest, error, field: nil)
            case .missingField(let field), .ambiguousField(let field):
                return answer(.badRequest, error, field: field)
            case .wrongType(let field, _):
                return answer(.badRequest, error, field: field)
            case .tooLarge:
                return answer(.contentTooLarge, error, field: nil)
            case .wrongFormat, .unsupportedVersion:
                return answer(.unprocessableContent, error, field: "share")
            case .unknownCurve:
                return answer(.unprocessableContent, error, field: "curve")
            case .invalidField(let field, _), .outOfRange(let field, _):
                return answer(.unprocessableContent, error, field: field)
            }
        case let error as VaultError:
            switch error {
            case .invalidClientId: return answer(.badRequest, error, field: "clientId")
            case .invalidMethod, .ambiguousMethod: return answer(.badRequest, error, field: "backupMethod")
            case .contradiction: return answer(.unprocessableContent, error, field: "share")
            case .unknownClient, .noBackupPair, .noClientBackup: return answer(.notFound, error, field: nil)
            default:
                return error.isEnvironmentFault
                    ? answer(.serviceUnavailable, error, field: nil) : answer(.badRequest, error, field: nil)
            }
        default:
            return .json(.internalServerError, ["error": "internal error"])
        }
    }

    private static func answer(_ status: HTTPResponse.Status, _ error: some CustomStringConvertible, field: String?)
        -> Response
    {
        var fields = ["error": error.description]
        if let field { fields["field"] = field }
        return .json(status, fields)
    }
}
