import Foundation
import ShareMath
import ShareVault

/// Custodian webhooks as the tests deliver them, in every test module alike.
public enum TestWebhooks {
    /// Two dealings of one key: two different custodian shares of one wallet.
    public static func twoDealings() throws -> (Dealing<Secp256k1>, Dealing<Secp256k1>) {
        let secret = Scalar<Secp256k1>.random()
        let identifiers = [Secp256k1.element(1), Secp256k1.element(2)]
        return (
            try Dealing.split(secret: secret, threshold: 2, identifiers: identifiers),
            try Dealing.split(secret: secret, threshold: 2, identifiers: identifiers)
        )
    }

    /// A custodian webhook for `clientId` carrying the second share of `dealing`, method `GDRIVE-SECP256K1`.
    public static func body(_ clientId: String, _ dealing: Dealing<Secp256k1>) -> Data {
        let share = ShareDocument.documents(for: dealing)[1].exportJSON()
        return WebhookBody.encoded(clientId: clientId, share: share, backupMethod: "GDRIVE-SECP256K1")
            .withUnsafeBytes { Data($0) }
    }
}
