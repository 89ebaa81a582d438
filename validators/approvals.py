"""Approvals tied to content: the digest a reviewer signs, and the rules that check approvals.

The digest covers the body and every front-matter field except `approvals` (an approval cannot
sign itself) and `status` (moving a page to `approved` after its approvals is the point of them;
`status: approved` is itself checked against the approvals). It is computed from the parsed
values, so re-indenting the YAML or editing a comment does not lapse an approval; changing any
value or any word of the body does. The files the page shows or offers (images, figures,
downloads) are signed by their SHA-256, so replacing a figure lapses an approval too; a page that
shows no files is digested from its text alone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from guidepress.schemas import Code, Guideline, Registry, Settings, person_key
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.source import Page

UNSIGNED_FIELDS = ("approvals", "status")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot digest {type(value).__name__}")


def content_digest(data: dict[str, Any], body: str, files: dict[str, str] | None = None) -> str:
    fields = {key: value for key, value in data.items() if key not in UNSIGNED_FIELDS}
    canonical = json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )
    # The body exactly as Markdown reads it (line ends are already one kind): a space at a line's
    # end is a hard line break, and an invisible character can end a code block.
    text = body.strip("\n")
    signed = f"{canonical}\n---\n{text}\n"
    if files:
        signed += "---\n" + json.dumps(files, sort_keys=True, ensure_ascii=False) + "\n"
    return "sha256:" + hashlib.sha256(signed.encode()).hexdigest()


def check_approvals(
    page: Page, model: Guideline, registry: Registry | None, settings: Settings
) -> list[Diagnostic]:
    found = []
    digest = (
        content_digest(page.data, page.body, page.files) if model.approvals else ""
    )  # drafts have none
    authors = {person_key(person.name) for person in model.authors}
    approvers: set[str] = set()
    for index, approval in enumerate(model.approvals):
        who = f"{approval.reviewer}'s approval of version {approval.version} ({approval.date})"

        def at(field: str, code: Code, message: str, index: int = index) -> None:
            line, col = page.locate(("approvals", index, field))
            found.append(page.at(line, col, code, message))

        member = registry.find(approval.reviewer) if registry else None
        if registry is None or member is None:
            where = (
                f"the reviewer registry ({settings.registry})"
                if registry
                else f"a reviewer registry: {settings.registry} does not exist"
            )
            at(
                "reviewer",
                Code.APPROVAL_UNKNOWN_REVIEWER,
                f"{who} does not count: {approval.reviewer} is not in {where}",
            )
        elif person_key(approval.reviewer) in authors:
            at(
                "reviewer",
                Code.APPROVAL_BY_AUTHOR,
                f"{who} does not count: {approval.reviewer} is an author of this page",
            )
        elif approval.role is not None and approval.role != member.role:
            at(
                "role",
                Code.APPROVAL_DISAGREES,
                f"{who} gives the role {approval.role!r}, but the reviewer registry says "
                f"{member.role!r}, and the page shows the registry's: delete the role from the "
                "approval (guidepress approve no longer writes it)",
            )
        elif approval.version != model.version:
            drafting = (
                ""
                if model.status == "approved"
                else (
                    f", or, while version {model.version} is still {model.status}, delete this "
                    "approval (git keeps it)"
                )
            )
            at(
                "version",
                Code.APPROVAL_WRONG_VERSION,
                f"{who} is for another version: the page is now version "
                f"{model.version}; ask for a new approval with guidepress approve, which removes "
                "approvals of "
                f"other versions{drafting}",
            )
        elif approval.digest != digest:
            changed = "the page or a file it shows has" if page.files else "the page has"
            at(
                "digest",
                Code.APPROVAL_STALE,
                f"{who} has lapsed: {changed} changed since it was approved "
                f"(run `guidepress diff {page.path}` to see what changed, then ask for a new "
                "approval)",
            )
        elif model.status in ("approved", "retired") and approval.status != model.status:
            pass  # approved for the other status: the status check below says what is missing
        else:
            approvers.add(member.key)  # one person counts once, however often they approved
    valid = len(approvers)
    needed = settings.required_approvals.get(model.type, 1)
    # Retiring a guideline changes what clinics are told, so reviewers approve that too.
    if model.status in ("approved", "retired") and valid < needed:
        line, col = page.locate(("status",))
        found.append(
            page.at(
                line,
                col,
                Code.APPROVAL_MISSING,
                f"status is {model.status} but the page has {valid} valid approval(s) of version "
                f"{model.version} for that status; it needs {needed} (guidepress approve "
                f"{page.path} --reviewer NAME, with the page {model.status}: publishing and "
                "retiring are approved apart)",
            )
        )
    return found
