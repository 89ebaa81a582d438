"""`guidepress approve PAGE --reviewer NAME`: record a reviewer's approval of the page as it is,
signed with the reviewer's SSH key, and commit it (see verify.py for what proves an approval).

The record is written into the front matter as text, at the place YAML's node positions give,
so the rest of the file (comments, quoting, order, line endings) is kept byte for byte. CI writes
the records of pull request reviews the same way (record_review.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml

from guidepress.atomic import write_atomically
from guidepress.history import HistoryError, git
from guidepress.schemas import Approval, RegistryMember, person_key
from guidepress.schemas.guideline import ForgeReview
from guidepress.signatures import SigningError, sign, signed_by, statement
from guidepress.validators.approvals import content_digest
from guidepress.validators.errors import GuidepressError
from guidepress.validators.pipeline import Checks, check_page
from guidepress.validators.source import _BaseLoader, parse_page


class ApprovalRefused(GuidepressError):
    """The approval cannot be recorded; the message says why and what to do."""

    prefix = "guidepress: approval refused: "


def approve(
    path: Path,
    reviewer: str,
    checks: Checks,
    review: ForgeReview | None = None,
    key: str | None = None,
) -> str:
    """Write the approval, dated checks.today; returns the record's one-line summary. The page
    goes through the page pipeline first, so what is approved is what validate checks: its text
    and the files it shows. `review`: the pull request review it was given in (CI); otherwise
    the record is signed with `key` (a file; default: git's user.signingkey) when the reviewer
    has a registered key."""
    settings, registry = checks.layout.settings, checks.registry
    member = registry.find(reviewer) if registry else None
    if member is None:
        raise ApprovalRefused(
            f"{reviewer} is not in the reviewer registry ({settings.registry}); "
            "only its members may approve"
        )
    checked = check_page(os.path.abspath(path), str(path), checks)
    page, model = checked.page, checked.model
    # The page's own approvals are what this approval changes: their problems do not block it.
    blocking = [
        d for d in checked.diagnostics if d.severity == "error" and d.code.area != "approval"
    ]
    if page is None or model is None or blocking:
        raise ApprovalRefused(
            "the page has errors; fix them before approving:\n"
            + "\n".join(p.format() for p in blocking)
        )
    if any(person_key(a.name) == person_key(member.name) for a in model.authors):
        raise ApprovalRefused(f"{member.name} is an author of this page and cannot approve it")
    digest = content_digest(page.data, page.body, page.files)
    decision: Literal["approved", "retired"] = (
        "retired" if model.status == "retired" else "approved"
    )
    record = [
        f"reviewer: {json.dumps(member.name, ensure_ascii=False)}",
        f"date: {checks.today.isoformat()}",
        f'version: "{model.version}"',
        f"digest: {digest}",
        f"status: {decision}",
    ]
    if review is not None:
        record.append(
            f'review: {{pull: {review.pull}, id: {review.id}, commit: "{review.commit}"}}'
        )
    elif member.signing_key:
        claim = Approval(
            reviewer=member.name,
            date=checks.today,
            version=model.version,
            digest=digest,
            status=decision,
        )
        record.append(f"signature: {_signature(path, model.id, claim, member, key)}")
    raw = path.read_bytes().decode("utf-8")
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    newline = "\r\n" if "\r\n" in raw else "\n"
    lines = raw.removeprefix(bom).replace("\r\n", "\n").split("\n")
    superseded = _insert(lines, page.front_matter or "", member.name, model.version, record)
    _confirm("\n".join(lines), str(path), member.name, digest, page.files)
    write_atomically(path, bom + newline.join(lines))
    removed = (
        f"; removed {superseded} approval(s) of earlier versions, which git keeps"
        if superseded
        else ""
    )
    return f"{member.name} approved {model.id} version {model.version} on {checks.today}{removed}"


def _confirm(text: str, display: str, name: str, digest: str, files: dict[str, str]) -> None:
    """Read the page as it would be written: the record must be there, and the content it signs
    unchanged. A layout the text edit did not foresee is refused, never written."""
    page, _ = parse_page(text, display, needs_front_matter=True)
    data = page.data if page is not None and isinstance(page.data, dict) else {}
    approvals = data.get("approvals")
    recorded = isinstance(approvals, list) and any(
        isinstance(a, dict) and a.get("reviewer") == name and a.get("digest") == digest
        for a in approvals
    )
    if page is None or not recorded or content_digest(page.data, page.body, files) != digest:
        raise ApprovalRefused(
            "the approval could not be added to the front matter as it is laid out; write "
            "`approvals:` as a block list (one `- reviewer: …` item per approval) and run "
            "the command again; the page is unchanged"
        )


def _insert(lines: list[str], front_matter: str, name: str, version: str, record: list[str]) -> int:
    """Put the record into the file's lines (the front matter starts at line index 1), after the
    approvals of this version it keeps; returns how many approvals of other versions it removed."""
    root = yaml.compose(front_matter, Loader=_BaseLoader)
    closing = 1 + front_matter.count("\n")  # index of the closing fence
    pair = next(((k, v) for k, v in root.value if k.value == "approvals"), None)
    if (
        pair is not None
        and isinstance(pair[1], yaml.CollectionNode)
        and pair[1].flow_style
        and pair[1].value
    ):
        raise ApprovalRefused(
            "`approvals:` is written inline, in brackets; write it as a block list (one "
            "`- reviewer: …` item per line, as guidepress writes them) and run the command "
            "again; the page is unchanged"
        )
    if pair is None or not isinstance(pair[1], yaml.SequenceNode) or not pair[1].value:
        block = ["approvals:", *_item(record, 4)]  # "  - reviewer: …", like the page's other lists
        if pair is None:
            lines[closing:closing] = block
        else:  # `approvals: []` or an empty key: replace that line
            lines[1 + pair[0].start_mark.line : 1 + pair[0].start_mark.line + 1] = block
        return 0
    items = pair[1].value
    indent = items[0].start_mark.column
    first, kept, superseded = 1 + items[0].start_mark.line, [], 0
    for position, item in enumerate(items):
        start = 1 + item.start_mark.line
        end = 1 + (
            items[position + 1].start_mark.line if position + 1 < len(items) else _end_line(item)
        )
        fields = (
            {k.value: v.value for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        )
        if person_key(str(fields.get("reviewer", ""))) == person_key(name):
            continue  # the reviewer's new approval replaces the old
        if fields.get("version", version) != version:
            superseded += 1  # an approval of another version no longer counts; git keeps it
            continue
        kept += lines[start:end]
    lines[first:end] = kept + _item(record, indent)
    return superseded


def _end_line(node: yaml.Node) -> int:
    # A block node ends where the next token starts: at column 0 of the next line, or later on it.
    return int(node.end_mark.line) + (1 if node.end_mark.column > 0 else 0)


def _item(record: list[str], indent: int) -> list[str]:
    pad = " " * max(indent - 2, 0)
    return [f"{pad}- {record[0]}"] + [f"{pad}  {line}" for line in record[1:]]


def _signature(
    path: Path, page_id: str, claim: Approval, member: RegistryMember, key: str | None
) -> str:
    """The reviewer's signature of the approval, checked against their registered key before
    anything is written."""
    chosen = key or _git_signing_key(path)
    if not chosen:
        raise ApprovalRefused(
            f"{member.name} has a signing key in the registry, and the approval must be signed "
            "with it: name the private key with --key ~/.ssh/id_ed25519, or set it once with "
            "git config --global user.signingkey ~/.ssh/id_ed25519.pub; the page is unchanged"
        )
    message = statement(page_id, claim)
    with _key_file(chosen) as file:
        try:
            signature = sign(message, file)
        except SigningError as error:
            raise ApprovalRefused(
                f"ssh-keygen could not sign with {chosen} ({error}); the page is unchanged"
            ) from None
    if not signed_by(message, signature, member):
        raise ApprovalRefused(
            f"{chosen} is not {member.name}'s key in the registry, so the approval would prove "
            "nothing; sign with the registered key; the page is unchanged"
        )
    return signature


def _git_signing_key(path: Path) -> str | None:
    try:
        return git(path.resolve().parent, "config", "user.signingkey").strip() or None
    except HistoryError:
        return None  # not set, or not in git


@contextlib.contextmanager
def _key_file(key: str) -> Iterator[str]:
    """A file ssh-keygen can sign with: the private key beside a named public key when it is
    there (else ssh-agent holds it), or git's literal `key::ssh-ed25519 …`, written out for the
    agent."""
    if key.startswith("key::"):
        with tempfile.TemporaryDirectory(prefix="guidepress-key-") as folder:
            public = Path(folder) / "key.pub"
            public.write_text(key.removeprefix("key::") + "\n", encoding="utf-8")
            yield str(public)
        return
    named = Path(key).expanduser()
    private = named.with_suffix("") if named.suffix == ".pub" else named
    yield str(private if private.is_file() else named)


def commit_record(path: Path, message: str) -> str:
    """Commit the page alone (the signature in the record, not the commit, proves the approval).
    Returns the commit."""
    page = path.resolve()  # the page itself, reached through a link or not
    folder = page.parent
    if not git(folder, "status", "--porcelain", "--", page.name).strip():
        raise ApprovalRefused(
            f"this approval is already recorded in {path}, exactly as it would be written now, "
            "so there is nothing to commit"
        )
    try:
        git(folder, "add", "--", page.name)  # a new page, too
        git(folder, "commit", "--only", "--quiet", "-m", message, "--", page.name)
        return git(folder, "rev-parse", "HEAD").strip()
    except HistoryError as error:
        raise ApprovalRefused(
            f"the approval is written to {path} but not committed: git could not commit it "
            f"({error}); commit it yourself"
        ) from None
