"""What changed in a page's recommendations since its last approved version, read from git.

A tag such as "[new 2026]", "[amended 2026]" or "[2019, amended 2024]" is computed, never typed:
each approved version of the page in git history (a state whose approval's digest matches its
content: what a release publishes) is compared with the one before, oldest first. The year of a
version is the year of its change-history entry.

One `git log` over the library's source folder finds each page's commits; one `git cat-file
--batch` process reads them. Pages are followed by path: a page that is moved starts a new
history.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from guidepress.history import GitFiles, HistoryError, git, git_bytes
from guidepress.schemas import Guideline
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.approvals import content_digest
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.page_files import fingerprints
from guidepress.validators.recommendations import read_recommendations, unrecorded_removals
from guidepress.validators.source import parse_page, read_page

MARKER = b"recommendation}"  # in every {recommendation} directive, in lower case


def _wording(recommendation: Recommendation) -> tuple[str, ...]:
    """What amends a recommendation: its words, strength, direction or certainty (not its
    rationale or evidence list)."""
    r = recommendation
    return (r.text, r.strength, r.direction, r.certainty or "")


@dataclass(frozen=True)
class Past:
    """A recommendation as the approved versions had it."""

    wording: tuple[str, ...]
    text: str
    added: int  # year of the version that added it
    amended: int | None = None  # year of the version that last changed it


@dataclass(frozen=True)
class Changes:
    """A page's recommendations against its last approved version."""

    version: str | None  # that version; None when the page has none
    past: dict[str, Past] = field(default_factory=dict)

    def tag(self, recommendation: Recommendation, year: int) -> str:
        before = self.past.get(recommendation.id)
        if before is None:
            return f"[new {year}]"
        if before.wording != _wording(recommendation):
            return f"[amended {year}]"
        if before.amended:
            return f"[{before.added}, amended {before.amended}]"
        return f"[{before.added}]"

    def added(self, now: list[Recommendation]) -> list[Recommendation]:
        return [r for r in now if r.id not in self.past]

    def amended(self, now: list[Recommendation]) -> list[Recommendation]:
        return [r for r in now if r.id in self.past and self.past[r.id].wording != _wording(r)]


@dataclass(frozen=True)
class ApprovedState:
    version: str
    year: int
    recommendations: list[Recommendation]


def version_year(model: Guideline) -> int:
    entry = model.current_change
    return (entry.date if entry else model.review_date).year


class LibraryHistory:
    """The git history of one library's pages. Without git, or outside a repository, every page
    has no earlier version."""

    def __init__(self, source: Path) -> None:
        self.source = source.resolve()
        self.commits: dict[str, list[str]] = {}  # path from the repository's top -> commits
        self.top: Path | None = None
        self._reader: subprocess.Popen[bytes] | None = None
        try:
            self.top = Path(git(self.source, "rev-parse", "--show-toplevel").strip()).resolve()
            below = self.source.relative_to(self.top).as_posix()
            # NUL-separated, so no name is quoted; a merge lists what it changed from its first
            # parent, so a state a merge made is read too.
            log = git_bytes(
                self.top,
                "log",
                "-z",
                "--no-renames",
                "--diff-merges=first-parent",
                "--format=%x00%H",
                "--name-only",
                "--",
                below if below != "." else ":/",
            ).decode("utf-8", "surrogateescape")  # a name that is not UTF-8 is no page's
        except (HistoryError, ValueError):  # no git, no repository, or no commit yet
            self.top = None
            return
        commit = ""
        parts = log.split("\0")
        for position, part in enumerate(parts):
            if position and not parts[position - 1] and re.fullmatch(r"[0-9a-f]{40}", part):
                commit = part  # each commit's line starts with the format's NUL
            elif part and commit:
                self.commits.setdefault(part.lstrip("\n"), []).append(commit)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.communicate()
            self._reader = None

    def _read(self, commit: str, name: str) -> bytes | None:
        if self.top is None:
            return None
        if self._reader is None:
            self._reader = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.top,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        if "\n" in name:
            return None  # cannot be asked for on a line (and is no page: pages refuse it)
        reader, writer = self._reader.stdout, self._reader.stdin
        assert reader is not None
        assert writer is not None
        writer.write(f"{commit}:{name}\n".encode())
        writer.flush()
        # "<id> <type> <size>", then the object and a newline; or "<name> missing".
        header = reader.readline()
        found = re.fullmatch(rb"[0-9a-f]{40} ([a-z]+) ([0-9]+)\n", header)
        if found is None:
            if header.endswith(b" missing\n"):
                return None  # not there in that commit
            raise HistoryError(f"git cat-file answered {header[:200]!r} for {commit}:{name}")
        data = reader.read(int(found.group(2)) + 1)[:-1]  # whatever it is, read all of it
        return data if found.group(1) == b"blob" else None

    def _approved_states(self, in_source: str) -> Iterator[ApprovedState]:
        """The approved states of the page at `in_source` (its path below the source folder, as
        Sphinx names documents, with its suffix), newest first."""
        if self.top is None:
            return
        below = self.source.relative_to(self.top).as_posix()
        name = posixpath.normpath(posixpath.join(below, in_source))
        blobs = [(commit, self._read(commit, name)) for commit in self.commits.get(name, [])]
        if not any(data and MARKER in data.lower() for _, data in blobs):
            return  # no version ever had a recommendation: nothing to parse
        for commit, data in blobs:
            try:
                text = data.decode("utf-8") if data is not None else None
            except UnicodeDecodeError:
                continue
            if text is None:
                continue
            page, _ = parse_page(text, f"{name}@{commit[:10]}", needs_front_matter=True)
            if page is None or not isinstance(page.data, dict):
                continue
            try:
                model = Guideline.check(page.data)
            except (ValidationError, ValueError):
                continue
            if model.status != "approved":
                continue
            files = fingerprints(page.body, in_source, GitFiles(self.top, commit, below))
            digest = content_digest(page.data, page.body, files)
            if not any(a.version == model.version and a.digest == digest for a in model.approvals):
                continue  # its approvals are not of this content: not an approved version
            recommendations, _ = read_recommendations(page, model)
            yield ApprovedState(model.version, version_year(model), recommendations)

    def last_approved(self, in_source: str, current_version: str) -> ApprovedState | None:
        """The newest approved state of another version than the page's current one."""
        return next(
            (s for s in self._approved_states(in_source) if s.version != current_version), None
        )

    def changes(self, in_source: str, current_version: str) -> Changes:
        """Each recommendation of the page's earlier approved versions, with the years it was
        added and last amended, as of the last approved version before the current one."""
        states = [s for s in self._approved_states(in_source) if s.version != current_version]
        if not states:
            return Changes(None)
        past: dict[str, Past] = {}
        for state in reversed(states):  # oldest first; a version approved twice: its newest
            if state is not next(s for s in states if s.version == state.version):
                continue
            now = {}
            for r in state.recommendations:
                before = past.get(r.id)
                if before is None:
                    now[r.id] = Past(_wording(r), r.text, state.year)
                elif before.wording != _wording(r):
                    now[r.id] = Past(_wording(r), r.text, before.added, state.year)
                else:
                    now[r.id] = before
            past = now
        return Changes(states[0].version, past)


def unrecorded_removals_in(
    source: Path, guidelines: dict[str, tuple[Guideline, list[Recommendation]]]
) -> list[Diagnostic]:
    """For each guideline page (shown path -> front matter and recommendations), the
    recommendations of its last approved version that are gone unrecorded."""
    history = LibraryHistory(source)
    if not history.commits:
        return []
    found = []
    try:
        for shown, (model, now) in guidelines.items():
            try:
                in_source = Path(shown).resolve().relative_to(history.source).as_posix()
            except ValueError:
                continue
            last = history.last_approved(in_source, model.version)
            kept = {r.id for r in now}
            removed = (
                {r.id: r.text for r in last.recommendations if r.id not in kept} if last else {}
            )
            if not removed:
                continue
            page, _ = read_page(Path(shown), shown, needs_front_matter=True)
            if page is not None and last is not None:
                found += unrecorded_removals(page, model, removed, last.version)
    finally:
        history.close()
    return found
