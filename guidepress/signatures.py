"""Signatures with the registry's SSH keys (ssh-keygen's own signing and allowed-signers check).

- An approval is signed by its reviewer: an SSH signature, in its own namespace, over a
  statement naming the page, version, content digest, reviewer and date (`statement`). That, not
  a commit, is what proves a local approval: a signed commit only says who made the commit, and
  whoever rebases or squashes a branch signs every commit in it.
- A change to the registry is made in a commit signed by a member (`signer`, by git's check).

Only a good signature by a key listed in the registry counts. Needs ssh-keygen (OpenSSH 8.2 or
later) and, for commits, git 2.34 or later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import subprocess
import tempfile
from pathlib import Path

from guidepress.schemas import Approval, RegistryMember

NAMESPACE = "guidepress-approval"  # a signature made for anything else never verifies here
ARMOUR = ("-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----")


class SigningError(Exception):
    """ssh-keygen could not sign: the message says why."""


def statement(page_id: str, approval: Approval) -> bytes:
    """What a reviewer signs: everything the approval claims, one field a line (each field's
    schema keeps newlines out)."""
    return (
        "guidepress approval 1\n"
        f"page: {page_id}\n"
        f"version: {approval.version}\n"
        f"digest: {approval.digest}\n"
        f"reviewer: {approval.reviewer}\n"
        f"date: {approval.date.isoformat()}\n"
        f"status: {approval.status}\n"
    ).encode()


def sign(message: bytes, key: str) -> str:
    """The signature of `message` with the key (a private key's file, or a public key's whose
    private half is in ssh-agent), as one line of base64."""
    with tempfile.TemporaryDirectory(prefix="guidepress-sign-") as folder:
        data = Path(folder) / "statement"
        data.write_bytes(message)
        result = subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", NAMESPACE, "-f", key, str(data)],
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        signed = Path(f"{data}.sig")
        if result.returncode != 0 or not signed.is_file():
            why = result.stderr.strip() or f"ssh-keygen exited with {result.returncode}"
            raise SigningError(why)
        lines = signed.read_text(encoding="ascii").splitlines()
    return "".join(line.strip() for line in lines if line.strip() not in ARMOUR)


def signed_by(message: bytes, signature: str, member: RegistryMember) -> bool:
    """Whether `signature` is the member's registered key's signature of `message`."""
    if not member.signing_key:
        return False
    try:
        blob = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    encoded = base64.b64encode(blob).decode()
    body = [encoded[at : at + 70] for at in range(0, len(encoded), 70)]
    wrapped = "\n".join([ARMOUR[0], *body, ARMOUR[1]]) + "\n"
    with tempfile.TemporaryDirectory(prefix="guidepress-verify-") as folder:
        allowed, sig = Path(folder) / "allowed_signers", Path(folder) / "statement.sig"
        allowed.write_text(f'member namespaces="{NAMESPACE}" {member.signing_key}\n', "utf-8")
        sig.write_text(wrapped, encoding="ascii")
        result = subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "member", "-n", NAMESPACE,
             "-s", str(sig)],
            input=message, capture_output=True, check=False,
        )  # fmt: skip
    return result.returncode == 0


def signer(top: Path, commit: str, members: list[RegistryMember]) -> RegistryMember | None:
    """The member whose `signing_key` made a good SSH signature of the commit, or None. Only SSH
    signatures are checked (git may not run GnuPG, whose keyring names keys as it pleases), and
    the signing key is matched by its fingerprint, not by any name."""
    keyed = {fingerprint(m.signing_key): m for m in members if m.signing_key}
    if not keyed:
        return None
    with tempfile.TemporaryDirectory(prefix="guidepress-signers-") as folder:
        allowed = Path(folder) / "allowed_signers"
        lines = [f'member namespaces="git" {m.signing_key}' for m in keyed.values()]
        allowed.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run(
            ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "-c", "gpg.program=false",
             "-c", "gpg.x509.program=false", "log", "-1", "--no-walk", "--format=%G?%x00%GF",
             commit, "--"],
            cwd=top, capture_output=True, text=True, check=False,
        )  # fmt: skip
    status, _, key = result.stdout.strip().partition("\0")
    if result.returncode != 0 or status != "G":
        return None  # N unsigned, U unknown key, B bad, E cannot check
    return keyed.get(key)


def fingerprint(key: str) -> str:
    """A public key's SHA-256 fingerprint, as ssh-keygen -l and git print it."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
