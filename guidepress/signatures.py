"""Which registry member signed a git commit, by git's own SSH signature check (allowed signers).

Only a good signature by a key listed in the registry counts: an unsigned commit, a signature by
any other key, or a commit whose author merely claims a reviewer's name and e-mail, is signed by
nobody. Needs git 2.34 or later and ssh-keygen.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from guidepress.schemas import RegistryMember


def signer(top: Path, commit: str, members: list[RegistryMember]) -> RegistryMember | None:
    """The member whose `signing_key` made a good signature of the commit, or None."""
    keyed = [member for member in members if member.signing_key]
    if not keyed:
        return None
    with tempfile.TemporaryDirectory(prefix="guidepress-signers-") as folder:
        allowed = Path(folder) / "allowed_signers"
        lines = [
            f'member-{index} namespaces="git" {" ".join(member.signing_key.split()[:2])}'
            for index, member in enumerate(keyed)
            if member.signing_key
        ]
        allowed.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run(
            ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "log", "-1", "--no-walk",
             "--format=%G?%x00%GS", commit, "--"],
            cwd=top, capture_output=True, text=True, check=False,
        )  # fmt: skip
    status, _, principal = result.stdout.strip().partition("\0")
    if result.returncode != 0 or status != "G" or not principal.startswith("member-"):
        return None  # N unsigned, U unknown key, B bad, E cannot check
    return keyed[int(principal.removeprefix("member-"))]
