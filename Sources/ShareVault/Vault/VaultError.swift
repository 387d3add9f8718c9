import ShareMath

/// What a vault operation refuses or cannot do. `isEnvironmentFault` separates a broken environment
/// (exit status 3) from bad input (exit status 2).
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    case vaultMissing(path: String)
    case vaultExists(path: String)
    case vaultUnreadable(path: String, reason: String)
    case vaultLocked(path: String)
    case notAVault(path: String)
    case newerFormat(path: String)
    /// A stored value this build does not read (edited outside the tool, or a newer sharevault's).
    case rowUnreadable(table: String, rowId: Int64, column: String)
    case vaultNeedsUpgrade(path: String)
    case vaultNeedsKeyToUpgrade(path: String)
    case auditHeadNotFromThisVault
    case auditHeadDamaged
    case keyFileMissing(path: String)
    case keyFileExists(path: String)
    case fileExists(path: String)
    case fileUnwritable(path: String, reason: String)
    case keyFileMalformed(path: String, reason: String)
    case passphraseRequired(path: String)
    case wrongPassphrase(path: String)
    case keyDoesNotMatchVault(path: String)
    case keyStoreMissing(path: String)
    case backupKeyMissing(clientId: String, method: String)
    case passwordRequired
    case invalidClientId(String)
    case invalidMethod(String)
    case unknownClient(String)
    case noBackupPair(clientId: String, method: String)
    case ambiguousMethod(clientId: String, method: String)
    case noClientBackup(clientId: String, method: String)
    case invalidDecryptCommand(String)
    /// `create` was asked for a wallet the client already has.
    case walletExists(clientId: String, curve: CurveID)
    /// A share for the client's wallet on `curve` is for another public key than the wallet's (hex).
    case publicKeyMismatch(clientId: String, curve: CurveID, stored: String, received: String)
    /// A PASSWORD backup's ciphertext is not encrypted under a password.
    case notPasswordEncrypted
    /// `--shard` is not `K/N` with 1 <= K <= N.
    case invalidShard(String)
    /// A vault on a database server has no file for its key to sit next to: the key file must be named.
    case vaultKeyNotNamed(store: String)
    /// The key given is the new key of a rekey still running: until it ends the vault opens with its current key.
    case keyOfRekeyInProgress(path: String)
    /// The key given was the vault's until a rekey retired it.
    case keyRetired(path: String, version: Int)
    /// The vault was rekeyed while this process held an older key, and the new one is out of its reach.
    case keyringStale(path: String)
    /// The vault's recorded key state (versions, the rekey's sealed key, the audit key archive) does not hold.
    case keyStateDamaged(reason: String)
    /// A rekey is already running, to another key than the one asked for.
    case rekeyInProgress(version: Int, startedAt: String)
    /// The vault's key state changed while an operation on it ran (another rekey or reshare).
    case keyStateChanged
    /// A rekey cannot end while shares are still sealed under the older key (they arrived meanwhile).
    case rekeyIncomplete(remaining: Int)
    /// A delivery was sealed under a key version the vault no longer seals under (a rekey began or ended
    /// meanwhile): the intake seals it again.
    case sealedUnderOtherKeyVersion(sealed: Int, vault: Int)
    /// `rekey` without a new key, and none is in progress to take up.
    case noRekeyInProgress
    /// `rekey --abort`, and no rekey is in progress.
    case noRekeyToAbort
    /// The rekey in progress is being aborted: only `rekey --abort` goes on with it.
    case rekeyBeingAborted(version: Int)
    /// A rekey's new key file is gone: the old key is not retired while nothing else would open the vault.
    case newKeyFileGone(path: String)
    /// A stored custodian share does not open under the key version that sealed it (damaged or edited).
    case shareDoesNotOpen(pairId: Int64, version: Int?)
    /// The vault's key is split among officers: it opens with their shares, not a key file.
    case keyIsSplit(threshold: Int)
    /// Officers' shares were given for a vault whose key is a key file.
    case keyNotSplit
    /// An officer's key share file is not where it was said to be.
    case keyShareMissing(path: String)
    /// An officer's key share file is not in the format (`reason` names the line); it never quotes the file.
    case keyShareMalformed(path: String, reason: String)
    /// A well-formed officer key share that the vault's key quorum refuses: another vault's, an older dealing's
    /// (before a re-share), another officer's, or a corrupted value.
    case keyShareNotOfQuorum(path: String, reason: String)
    /// Fewer officer key shares than the quorum's threshold.
    case keySharesTooFew(needed: Int, given: Int)
    /// Two of the given files hold the same officer's share (the same identifier).
    case keyShareDuplicate(path: String, other: String)
    /// The officer key share is wrapped with a passphrase and none was given.
    case keySharePassphraseRequired(path: String)
    /// The passphrase does not open the officer key share.
    case keyShareWrongPassphrase(path: String)
    /// The officer key share is sealed to an X25519 key and no secret key was given.
    case keyShareSecretKeyRequired(path: String)
    /// The secret key given does not open the officer key share sealed to an X25519 key.
    case keyShareWrongSecretKey(path: String)
    /// The vault's stored key quorum record does not parse or does not hold together.
    case keyQuorumDamaged(reason: String)
    /// An officer name outside 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
    case invalidOfficerName(String)
    /// The same officer name given twice for one quorum.
    case duplicateOfficerName(String)
    /// A threshold and officer count outside 2 <= threshold <= officers <= 255.
    case invalidKeyQuorum(threshold: Int, count: Int)

    public var description: String {
        switch self {
        case .vaultMissing(let path): return "\(path): no vault here (create one with `sharevault init`)"
        case .invalidShard(let text):
            return "\(text.prefix(40)): not a shard: give K/N, with 1 <= K <= N <= 1000000 (3/8 is the third of eight)"
        case .vaultKeyNotNamed(let store):
            return
                "\(store): a vault on PostgreSQL has no file beside it for its key: name the key with --vault-key FILE"
        case .keyOfRekeyInProgress(let path):
            return "\(path): the new key of a rekey still in progress; until it ends, open the vault with its "
                + "current key (`sharevault rekey` with the current key finishes it)"
        case .keyRetired(let path, let version):
            return "\(path): key version \(version), retired by a rekey; open the vault with its current key"
        case .keyringStale(let path):
            return "\(path): the vault was rekeyed while this process held the older key; restart it with the "
                + "vault's current key"
        case .keyStateDamaged(let reason):
            return "the vault's key state is damaged (edited behind the tool's back): \(reason); nothing was written"
        case .rekeyInProgress(let version, let startedAt):
            return "a rekey to key version \(version), begun \(startedAt), is still in progress: run `sharevault "
                + "rekey` with the current key and no new key to finish it first"
        case .sealedUnderOtherKeyVersion(let sealed, let vault):
            return
                "sealed under key version \(sealed) while the vault seals under version \(vault); nothing was written"
        case .keyIsSplit(let threshold):
            return "this vault's key is split among officers: give --key-share FILE for at least \(threshold) of them"
        case .keyNotSplit:
            return "this vault's key is a key file, not split among officers: give --vault-key FILE"
        case .newKeyFileGone(let path):
            return "\(path): the rekey's new key is no longer where it was written (its key file, or enough of its "
                + "officers' files, gone or replaced); the old key stays current until they are back, then the rekey ends"
        case .noRekeyToAbort:
            return "no rekey is in progress: there is nothing to abort"
        case .rekeyBeingAborted(let version):
            return "the rekey to key version \(version) is being aborted: run `sharevault rekey --abort` with the "
                + "current key to finish the abort, then begin a new rekey"
        case .noRekeyInProgress:
            return "no rekey is in progress: give the new key (--new-vault-key FILE, or --new-key-shares N "
                + "--new-key-threshold T --officer-dir DIR)"
        case .shareDoesNotOpen(let pairId, let version):
            return "pair \(pairId): its custodian share does not open"
                + (version.map { " under key version \($0)" } ?? " as a share") + " (damaged or edited); "
                + "the run stopped there with every share before it moved; `sharevault verify --custodian` names it; "
                + "`sharevault rekey --abort` abandons a rekey it stops (an abort it stops needs the row restored)"
        case .keyStateChanged:
            return "the vault's key state changed while this ran (another rekey or reshare); nothing was changed: "
                + "run it again"
        case .rekeyIncomplete(let remaining):
            return "\(remaining) custodian shares are still sealed under the older key; the rekey goes on"
        case .vaultExists(let path): return "\(path): a vault already exists; not overwriting it"
        case .vaultUnreadable(let path, let reason): return "\(path): cannot open the vault: \(reason)"
        case .vaultLocked(let path): return "\(path): the vault is locked by another process; try again"
        case .notAVault(let path): return "\(path): not a sharevault vault; nothing was written to it"
        case .newerFormat(let path):
            return "\(path): a vault of a newer format than this sharevault reads; nothing was written to it"
        case .rowUnreadable(let table, let rowId, let column):
            return "the vault's \(table) row \(rowId) has a \(column) this sharevault does not read (edited outside "
                + "the tool, or written by a newer one); nothing was written"
        case .auditHeadDamaged:
            return "the vault's recorded audit head is damaged (edited behind the tool's back); nothing was written; "
                + "`sharevault audit --verify` names the first bad event"
        case .vaultNeedsUpgrade(let path):
            return "\(path): a vault an older sharevault wrote; a command that writes with the vault key "
                + "(verify --custodian, say) upgrades it first"
        case .vaultNeedsKeyToUpgrade(let path):
            return "\(path): a vault an older sharevault wrote, whose audit chain is sealed with the vault key on "
                + "upgrade; run a command that opens it with its key first (verify --custodian, say); nothing was written"
        case .auditHeadNotFromThisVault:
            return "the audit head was not exported from this vault (its MAC is not this vault key's, or it was edited)"
        case .keyFileMissing(let path):
            return "\(path): vault key file not found (give --vault-key, or run `sharevault init`)"
        case .keyFileExists(let path): return "\(path): a vault key file already exists; not overwriting it"
        case .fileExists(let path): return "\(path): already exists; not overwriting it"
        case .fileUnwritable(let path, let reason): return "\(path): cannot write it: \(reason); nothing was left there"
        case .keyFileMalformed(let path, let reason): return "\(path): not a sharevault vault key file: \(reason)"
        case .passphraseRequired(let path):
            return "\(path): the vault key is wrapped; give --passphrase-file or SHAREVAULT_PASSPHRASE"
        case .wrongPassphrase(let path): return "\(path): wrong passphrase for the vault key"
        case .keyDoesNotMatchVault(let path): return "\(path): this key file does not belong to this vault"
        case .keyStoreMissing(let path): return "\(path): backup key store directory not found"
        case .backupKeyMissing(let clientId, let method):
            return "no backup key for client \(clientId), method \(method) in the key store"
        case .passwordRequired: return "method PASSWORD needs --password-file or SHAREVAULT_BACKUP_PASSWORD"
        case .invalidClientId(let id): return "invalid client id \"\(id.prefix(80))\": 1 to 128 printable characters"
        case .invalidMethod(let method):
            let shown = String(
                String.UnicodeScalarView(
                    method.unicodeScalars.prefix(40).map {
                        $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?"
                    }))
            return
                "invalid backup method \"\(shown)\": 1 to \(BackupMethod.maximumLength) printable ASCII characters, like GDRIVE or GDRIVE-SECP256K1"
        case .unknownClient(let id): return "unknown client \(id)"
        case .noBackupPair(let clientId, let method):
            return "client \(clientId) has no live backup pair for method \(method)"
        case .ambiguousMethod(let clientId, let method):
            return
                "client \(clientId) has method \(method) on both curves; say which, as \(method)-SECP256K1 or \(method)-ED25519"
        case .noClientBackup(let clientId, let method):
            return "client \(clientId), method \(method): no client backup share has been stored yet"
        case .invalidDecryptCommand(let why): return "invalid --client-decrypt-command: \(why)"
        case .walletExists(let clientId, let curve):
            return "client \(clientId) already has a \(curve) wallet; create makes new wallets only"
        case .publicKeyMismatch(let clientId, let curve, let stored, let received):
            return
                "client \(clientId) already has a \(curve) wallet with public key \(stored); the share is for \(received)"
        case .notPasswordEncrypted:
            return
                "method PASSWORD needs a password-encrypted client backup; this one was not encrypted under a password"
        case .keyShareMissing(let path): return "\(path): officer key share file not found"
        case .keyShareMalformed(let path, let reason):
            return "\(path): not a sharevault officer key share file: \(reason)"
        case .keyShareNotOfQuorum(let path, let reason):
            return "\(path) is not a share of this vault's key quorum: \(reason)"
        case .keySharesTooFew(let needed, let given):
            return "\(needed) officer key shares are needed to unlock the vault key, \(given) given: "
                + "\(needed - given) more needed"
        case .keyShareDuplicate(let path, let other):
            return "\(path) holds the same officer's key share as \(other); each officer's share counts once"
        case .keySharePassphraseRequired(let path):
            return "\(path): the officer key share is wrapped with a passphrase; give the officer's passphrase"
        case .keyShareWrongPassphrase(let path): return "\(path): wrong passphrase for this officer key share"
        case .keyShareSecretKeyRequired(let path):
            return "\(path): the officer key share is sealed to an X25519 key; give the officer's secret key"
        case .keyShareWrongSecretKey(let path):
            return "\(path): cannot open this officer key share with that secret key (it was sealed to another key)"
        case .keyQuorumDamaged(let reason):
            return "the vault's key quorum record is damaged (edited behind the tool's back?): \(reason)"
        case .invalidOfficerName(let name):
            return "invalid officer name \"\(Self.printable(name))\": 1 to \(OfficerName.maximumLength) characters of "
                + "A-Z a-z 0-9 . _ -"
        case .duplicateOfficerName(let name):
            return "officer name \"\(Self.printable(name))\" is given twice; each officer needs a name of their own"
        case .invalidKeyQuorum(let threshold, let count):
            return "a key quorum of \(threshold) of \(count) officers is not possible: "
                + "need 2 <= threshold <= officers <= \(OfficerName.maximumOfficers)"
        }
    }

    /// At most 40 characters of `text`, anything but printable ASCII shown as `?` (for names from the input).
    private static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(40).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?" }))
    }

    /// Whether the fault lies in the environment (exit 3) rather than in the input (exit 2).
    public var isEnvironmentFault: Bool {
        switch self {
        case .vaultMissing, .vaultUnreadable, .vaultLocked, .notAVault, .newerFormat, .rowUnreadable,
            .vaultNeedsUpgrade,
            .vaultNeedsKeyToUpgrade,
            .auditHeadDamaged,
            .keyFileMissing, .keyFileMalformed, .fileUnwritable,
            .passphraseRequired, .wrongPassphrase, .keyDoesNotMatchVault, .keyStoreMissing, .backupKeyMissing,
            .keyOfRekeyInProgress, .keyRetired, .keyringStale, .keyStateDamaged, .rekeyInProgress, .keyStateChanged,
            .rekeyBeingAborted,
            .sealedUnderOtherKeyVersion, .shareDoesNotOpen, .keyIsSplit, .keyNotSplit, .newKeyFileGone,
            .keyShareMissing, .keyShareMalformed, .keyShareNotOfQuorum, .keySharesTooFew, .keyShareDuplicate,
            .keySharePassphraseRequired, .keyShareWrongPassphrase, .keyShareSecretKeyRequired,
            .keyShareWrongSecretKey, .keyQuorumDamaged:
            return true
        default:
            return false
        }
    }
}
