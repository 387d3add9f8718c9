#!/usr/bin/env python3
"""Seed corpora for sharevault's fuzz targets, from fixtures/ and from a scratch vault.

Usage: fuzz-seeds.py SHAREVAULT_BINARY OUT_DIR
Writes OUT_DIR/TARGET/NAME for every target sharevault-fuzz lists. Everything is derived from the repository's
fixtures or made fresh by the sharevault binary; nothing secret of a real user is involved.
"""
import base64, hashlib, json, os, pathlib, struct, subprocess, sys, tempfile

root = pathlib.Path(__file__).resolve().parent.parent
binary, out = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2])
fixtures = root / "fixtures"
seeds = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    seeds.setdefault(target, {})[hashlib.sha1(data).hexdigest()[:16]] = data


def json_strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, str):
        yield value


webhooks = fixtures / "webhooks"
for path in sorted(webhooks.rglob("*")):
    if not path.is_file() or path.suffix not in (".json", ".txt", ".hex"):
        continue
    data = path.read_bytes()
    add("strict-json", data)
    if path.suffix == ".txt":
        add("client-ciphertext", data.strip())
        add("app-upload", data)
        add("app-upload", json.dumps({"cipherText": data.decode(errors="replace").strip()}))
        continue
    if path.name.startswith("portal.client-plaintext") or path.parent.name == "bad-client":
        add("client-plaintext", data)
        add("client-plaintext", base64.b64encode(data).rstrip(b"="))
    try:
        document = json.loads(data)
    except ValueError:
        continue
    if isinstance(document, dict) and "share" in document and "clientId" in document:
        add("webhook", data)
        share = document["share"]
        if isinstance(share, str):
            add("share", share)
            add("strict-json", share)
        method = document.get("backupMethod")
        if isinstance(method, str):
            add("backup-method", method)
    for text in json_strings(document):
        if text.isdigit() or all(c in "0123456789abcdefABCDEF" for c in text):
            add("scalars", text)
        if text.startswith("{"):
            add("share", text)
            add("client-plaintext", text)

for name in ["GDRIVE", "GDRIVE-SECP256K1", "ICLOUD-ED25519", "PASSWORD", "PASSKEY", "UNKNOWN", "custom.method_1"]:
    add("backup-method", name)
for text in ["0", "1", "115792089237316195423570985008687907852837564279074904382605163141518161494336",
             "7237005577332262213973186563042994240857116359379907606001950938285454250989", "00ff", "DEADbeef"]:
    add("scalars", text)

# sharevault's own artefacts, made fresh: key files (bare and wrapped), native share documents, SVCB
# ciphertexts of both key sources, an audit head.
with tempfile.TemporaryDirectory() as scratch:
    env = dict(os.environ, SHAREVAULT_VAULT="", SHAREVAULT_PASSPHRASE="", SHAREVAULT_BACKUP_PASSWORD="")

    def run(*arguments, **extra):
        return subprocess.run([binary, *arguments], cwd=scratch, env=dict(env, **extra), check=True,
                              capture_output=True).stdout

    run("init", "--vault", "bare.db")
    run("init", "--vault", "wrapped.db", SHAREVAULT_PASSPHRASE="fuzz seed passphrase")
    add("vault-key-file", pathlib.Path(scratch, "bare.db.key").read_bytes())
    add("vault-key-file", pathlib.Path(scratch, "wrapped.db.key").read_bytes())
    # Officers' share files: in the clear, passphrase-wrapped, sealed to an X25519 key.
    for wrap, extra in [("clear", []), ("wrapped", ["passphrase"]), ("sealed", ["recipient"])]:
        officers = pathlib.Path(scratch, "officers-" + wrap)
        officers.mkdir()
        arguments = ["init", "--vault", wrap + "-split.db", "--key-shares", "3", "--key-threshold", "2",
                     "--officer-dir", str(officers)]
        for index in range(3):
            secret = pathlib.Path(scratch, f"{wrap}-{index}")
            if "passphrase" in extra:
                secret.write_text(f"officer passphrase {index}\n")
                secret.chmod(0o600)
                arguments += ["--officer-passphrase-file", str(secret)]
            if "recipient" in extra:
                secret.write_text("".join(f"{(index * 37 + byte) % 251 + 1:02x}" for byte in range(32)) + "\n")
                arguments += ["--officer-recipient", str(secret)]
        run(*arguments)
        files = sorted(officers.iterdir())
        for file in files:
            add("officer-share-file", file.read_bytes())
        add("officer-share-file", b"".join(file.read_bytes() for file in files))
    for curve in ["secp256k1", "ed25519"]:
        documents = run("shares", "split", "--curve", curve, "--threshold", "2", "--count", "3", "--json")
        add("share-documents", documents)
        for document in json.loads(documents):
            add("share-documents", json.dumps(document))
            add("share", json.dumps(document))
    password = pathlib.Path(scratch, "password")
    password.write_text("fuzz seed password\n")
    password.chmod(0o600)
    run("create", "--vault", "bare.db", "--client-id", "seed", "--curve", "secp256k1", "--method", "GDRIVE",
        "--method", "PASSWORD", "--key-store", "keys", "--password-file", "password")
    run("create", "--vault", "bare.db", "--client-id", "seed-portal", "--curve", "secp256k1", "--method", "GDRIVE",
        "--key-store", "keys", "--layout", "portal")
    # The ciphertexts create made (inspect shows no ciphertext; the vault file holds them).
    import sqlite3
    for (text,) in sqlite3.connect(pathlib.Path(scratch, "bare.db")).execute("SELECT cipherText FROM clientCiphertext"):
        add("client-ciphertext", text)
        add("app-upload", json.dumps({"cipherText": text}))
    add("audit-head", run("audit", "--head", "--vault", "bare.db"))

for target, files in seeds.items():
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    print(f"{target}: {len(files)} seeds")
