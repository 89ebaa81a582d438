"""The `guidepress` command: the edge that prints diagnostics and chooses exit codes.

Exit codes: 0 clean (warnings allowed), 1 the library has errors or an action was refused,
2 bad usage or settings. Everything below raises a GuidepressError, which carries its exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from importlib import metadata
from pathlib import Path

from guidepress.check_cache import CACHE_FILE, CheckCache
from guidepress.recommendation_history import unrecorded_removals_in
from guidepress.schemas import Code, Settings
from guidepress.validators.config import Library, load_registry
from guidepress.validators.diagnostics import Diagnostic, has_errors, to_json
from guidepress.validators.errors import EXIT_ERRORS, EXIT_OK, GuidepressError, UsageError
from guidepress.validators.library import Report, check_library
from guidepress.validators.pipeline import Checks, Layout


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guidepress", description="Clinical guidelines as code.")
    parser.add_argument(
        "--version", action="version", version=f"guidepress {metadata.version('guidepress')}"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="project folder holding pyproject.toml (default: the nearest folder, here or above, "
        "whose pyproject.toml has [tool.guidepress])",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check pages against the schema and rules")
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="pages or folders (default: the library's source folder)",
    )
    validate.add_argument("--format", choices=["text", "json", "github"], default="text")
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    validate.add_argument(
        "--today",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="check as if today were this date (e.g. to see what falls overdue next month)",
    )

    approve = commands.add_parser(
        "approve", help="record a reviewer's approval of a page as it is now"
    )
    approve.add_argument("page", type=Path)
    approve.add_argument("--reviewer", required=True, help="name, as in the reviewer registry")
    approve.add_argument(
        "--no-commit",
        action="store_true",
        help="only write the record; commit it yourself",
    )
    approve.add_argument(
        "--key",
        help="your private SSH key to sign with (default: git config user.signingkey)",
    )

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of a guideline's front matter, for editors' tools"
    )
    schema.add_argument(
        "--catalogue",
        action="store_true",
        help="print the JSON Schema of catalogue.json, the library's catalogue, instead",
    )

    serve = commands.add_parser(
        "serve", help="a live preview: rebuilds on every save and reloads the browser"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")

    new = commands.add_parser(
        "new", help="start a page: a skeleton whose placeholders validate names until filled"
    )
    new.add_argument("title", help='the page\'s title, e.g. "Day surgery"')
    new.add_argument("--type", choices=["guideline", "patient-info"], default="guideline")
    new.add_argument("--id", dest="page_id", help="the page's id (default: made from the title)")

    record = commands.add_parser(
        "record-review",
        help="in CI: record the approvals of a pull request review (GitHub's event file)",
    )
    record.add_argument("--event", type=Path, required=True, help="e.g. $GITHUB_EVENT_PATH")

    release = commands.add_parser(
        "release", help="publish the approved library as an immutable release"
    )
    release.add_argument("version", help="release name, e.g. 2026.1")
    release.add_argument(
        "--archive", type=Path, default=None, help="archive folder (default: <build_dir>/archive)"
    )

    diff = commands.add_parser(
        "diff", help="show what changed in a page since its last approved version (git)"
    )
    diff.add_argument("page", type=Path)
    diff.add_argument(
        "--from", dest="from_version", metavar="VERSION", help="compare with this approved version"
    )

    verify = commands.add_parser(
        "verify-approvals",
        help="check each approval is proven: a signed commit or a pull request review",
    )
    verify.add_argument(
        "paths", nargs="*", type=Path, help="pages or folders (default: the guidelines folder)"
    )

    linkcheck = commands.add_parser(
        "linkcheck", help="check every external link, DOI and PubMed id"
    )
    linkcheck.add_argument(
        "paths", nargs="*", type=Path, help="pages or folders (default: the whole library)"
    )
    linkcheck.add_argument(
        "--cache", type=Path, default=None, help="file keeping successful results between runs"
    )
    linkcheck.add_argument("--format", choices=["text", "json"], default="text")
    linkcheck.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the JSON report to FILE",
    )

    build = commands.add_parser(
        "build", help="validate, then build the HTML site and PDFs into the build folder"
    )
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument(
        "--compendium",
        action="store_true",
        help="also compile pdf/compendium.pdf, the whole library in one PDF (a release always "
        "does); left out otherwise, since any edit makes it again",
    )

    init = commands.add_parser(
        "init", help="start a new library: settings, Sphinx configuration, an example page, CI"
    )
    init.add_argument(
        "folder", nargs="?", type=Path, default=None, help="where (default: --root, or here)"
    )
    init.add_argument("--title", help="the library's title (default: from the folder's name)")
    init.add_argument(
        "--requirement",
        metavar="SPEC",
        help="how the library's CI installs guidepress, as pip reads it (default: the version "
        "running now, or the git address it was installed from)",
    )
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


def _missing(paths: list[Path]) -> None:
    """Refuse paths that do not exist: a typo must not check nothing and pass."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")


def _guideline_page(layout: Layout, page: Path) -> None:
    """Refuse a page that is missing or outside the guidelines folder, which alone has document
    control."""
    if not page.is_file():
        raise UsageError(f"no such page: {page}")
    if not layout.is_guideline(os.path.abspath(page)):
        guidelines = os.path.relpath(layout.guidelines)
        raise UsageError(
            f"{page} is not a guideline page: only pages under {guidelines}{os.sep} have "
            "document control and approvals"
        )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run_command(args)
    except GuidepressError as error:
        print(error.report(), file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a folder that is a file, a full disk, no permission: say which
        where = f": {error.filename}" if error.filename else ""
        print(f"guidepress: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:  # outputs are swapped in whole, so nothing is left half-written
        print("guidepress: interrupted", file=sys.stderr)
        return 130


def run_command(args: argparse.Namespace) -> int:
    if args.command == "init":  # a new library: none to find
        return init_command(args.folder or args.root or Path("."), args.title, args.requirement)
    if args.command == "schema":  # the same for every library
        from guidepress.editor_schema import catalogue_schema, editor_schema, schema_text

        sys.stdout.write(schema_text(catalogue_schema() if args.catalogue else editor_schema()))
        return EXIT_OK
    library = Library.at(args.root.resolve()) if args.root else Library.around(Path.cwd())
    root, settings = library.root, library.settings
    source = Layout.of(root, settings).source
    if not Path(source).is_dir():  # outside a library every command would check nothing and pass
        raise UsageError(
            f"the library folder {source} does not exist; run guidepress in the library's root "
            "(--root), set source_dir in [tool.guidepress], or start a library with guidepress init"
        )
    if args.command == "validate":
        today = args.today or date.today()
        return validate(root, settings, args.paths, args.format, args.strict, today)
    if args.command == "linkcheck":
        return check_links_command(root, settings, args.paths, args.cache, args.format, args.report)
    if args.command in ("diff", "verify-approvals"):
        return history_command(root, settings, args)
    if args.command == "release":
        archive = args.archive or root / settings.build_dir / "archive"
        return release_library(root, settings, args.version, archive)
    if args.command == "approve":
        return approve_page(root, settings, args.page, args.reviewer, not args.no_commit, args.key)
    if args.command == "record-review":
        return record_review_command(root, settings, args.event)
    if args.command == "new":
        return new_command(root, settings, args.title, args.type, args.page_id)
    if args.command == "serve":
        from guidepress.serve import serve

        serve(root, root / settings.build_dir, args.host, args.port)
        return EXIT_OK
    return build(root, settings, args.strict, args.compendium)


def new_command(
    root: Path, settings: Settings, title: str, page_type: str, page_id: str | None
) -> int:
    from guidepress.new_page import new_page

    path = new_page(Layout.of(root, settings), title, page_type, page_id, date.today())
    shown = os.path.relpath(path)
    name = Path(os.path.relpath(path, Layout.of(root, settings).source)).with_suffix("")
    print(shown)
    print(
        f"guidepress: started {shown}; fill in what `guidepress validate {shown}` names, and "
        f"list {name.as_posix()} in a toctree (docs/index.md) so that the site shows it",
        file=sys.stderr,
    )
    return EXIT_OK


def init_command(folder: Path, title: str | None, requirement: str | None) -> int:
    from guidepress.init import init_library

    for line in init_library(folder, title, requirement):
        print(f"guidepress: {line}", file=sys.stderr)
    return EXIT_OK


def check_links_command(
    root: Path,
    settings: Settings,
    paths: list[Path],
    cache: Path | None,
    output: str,
    report: Path | None,
) -> int:
    from guidepress.atomic import write_atomically
    from guidepress.linkcheck import json_report, run, text_report
    from guidepress.links import collect_links

    _missing(paths)
    for option, path in (("--cache", cache), ("--report", report)):
        if path is not None and path.is_dir():  # found now, not after minutes of checking
            raise UsageError(f"{option} {path} is a folder; give a file name")
    layout = Layout.of(root, settings)
    links = collect_links(paths or [Path(layout.source)], layout, date.today())
    results = run(links, settings.linkcheck, cache)
    fail_on = settings.linkcheck.fail_on
    print(json_report(results) if output == "json" else text_report(results, fail_on))
    if report is not None:
        write_atomically(report, json_report(results) + "\n")
    return EXIT_ERRORS if any(r.status in fail_on for r in results) else EXIT_OK


def history_command(root: Path, settings: Settings, args: argparse.Namespace) -> int:
    from guidepress.history import diff_since_approved
    from guidepress.verify import unproven

    layout = Layout.of(root, settings)
    if args.command == "diff":
        _guideline_page(layout, args.page)
        sys.stdout.write(diff_since_approved(args.page, args.from_version, Path(layout.source)))
        return EXIT_OK
    _missing(args.paths)
    pages, found = unproven(root, settings, args.paths)
    for diagnostic in found:
        print(diagnostic.format())
    print(
        f"guidepress: {len(pages)} page(s) checked, {len(found)} unproven approval(s) or "
        "change(s) to trusted files",
        file=sys.stderr,
    )
    return EXIT_ERRORS if found else EXIT_OK


def record_review_command(root: Path, settings: Settings, event_file: Path) -> int:
    from guidepress.forge import from_environment
    from guidepress.record_review import read_event, record_review

    event = read_event(event_file)
    forge = from_environment()
    if forge is None:
        raise UsageError(
            "no forge to record a review from: run in GitHub Actions, which sets "
            "GITHUB_REPOSITORY (or set GUIDEPRESS_FORGE_REPOSITORY and GUIDEPRESS_FORGE_API)"
        )
    registry, problems = load_registry(root, settings)
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    checks = Checks(Layout.of(root, settings), date.today(), registry)
    for line in record_review(event, root, checks, forge):
        print(f"guidepress: {line}", file=sys.stderr)
    return EXIT_OK


def release_library(root: Path, settings: Settings, version: str, archive: Path) -> int:
    from guidepress.release import check_archive, check_release_name, release, source_commit

    # Bad usage is told before the library is checked and built.
    check_release_name(version)
    check_archive(root, settings, archive)
    source_commit(root, settings)  # in git, and matching its commit
    _check_before("release", root, settings, strict=False)
    _unproven_approvals("release", root, settings, refuse=True)
    folder = release(root, settings, version, archive.resolve(), date.today())
    print(f"guidepress: released {version} into {folder}", file=sys.stderr)
    return EXIT_OK


def approve_page(
    root: Path, settings: Settings, page: Path, reviewer: str, commit: bool, key: str | None
) -> int:
    from guidepress.approve import approve, commit_record
    from guidepress.history import in_git

    layout = Layout.of(root, settings)
    _guideline_page(layout, page)
    registry, problems = load_registry(root, settings)
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    summary = approve(page, reviewer, Checks(layout, date.today(), registry), key=key)
    print(summary)
    member = registry.find(reviewer) if registry else None
    if member is not None and not member.signing_key:
        print(
            f"guidepress: warning: {member.name} has no signing key in the registry, so this "
            "approval is not signed and a release will refuse it; register a key, or approve "
            "in a pull request review",
            file=sys.stderr,
        )
    if commit and in_git(page):
        made = commit_record(page, f"Approve: {summary}")
        print(f"guidepress: committed as {made[:10]}", file=sys.stderr)
    return EXIT_OK


def _check(
    root: Path, settings: Settings, paths: list[Path], today: date, cached: bool = False
) -> tuple[Report, list[Diagnostic]]:
    """cached: reuse the results of pages unchanged since the last build (a build's own check)."""
    _missing(paths)
    layout = Layout.of(root, settings)
    registry, problems = load_registry(root, settings)
    checks = Checks(layout, today, registry)
    cache = CheckCache(root / settings.build_dir / CACHE_FILE, checks) if cached else None
    report = check_library(paths or [Path(layout.source)], checks, cache)
    source = Path(layout.source)
    found = report.diagnostics + unrecorded_removals_in(source, report.guidelines)
    return report, problems + [_explained(d, source) for d in sorted(found)]


def _explained(diagnostic: Diagnostic, source: Path) -> Diagnostic:
    """A lapsed approval names what changed since, read from git (validators know no history)."""
    if diagnostic.code != Code.APPROVAL_STALE:
        return diagnostic
    from guidepress.history import explain_stale

    return explain_stale(diagnostic, source)


def _failed(diagnostics: list[Diagnostic], strict: bool) -> bool:
    return has_errors(diagnostics) or (strict and bool(diagnostics))


def validate(
    root: Path, settings: Settings, paths: list[Path], output: str, strict: bool, today: date
) -> int:
    report, diagnostics = _check(root, settings, paths, today)
    if output == "json":
        print(to_json(diagnostics, report.pages))
    else:
        for diagnostic in diagnostics:
            print(diagnostic.github() if output == "github" else diagnostic.format())
        _summary(report.pages, diagnostics)
    return EXIT_ERRORS if _failed(diagnostics, strict) else EXIT_OK


def _summary(pages: int, diagnostics: list[Diagnostic]) -> None:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(
        f"guidepress: {pages} page(s) checked, {errors} error(s), {warnings} warning(s)",
        file=sys.stderr,
    )


class Refused(GuidepressError):
    """The library has problems the action may not go ahead with; they were printed above."""

    prefix = "guidepress: "


def _check_before(action: str, root: Path, settings: Settings, strict: bool) -> Report:
    """Validate the whole library before building or releasing, and stop on its problems."""
    report, diagnostics = _check(root, settings, [], date.today(), cached=action == "build")
    for diagnostic in diagnostics:
        print(diagnostic.format())
    _summary(report.pages, diagnostics)
    if _failed(diagnostics, strict):
        problems = "errors and warnings (--strict)" if strict else "errors"
        raise Refused(f"{action} refused: fix the {problems} above first")
    return report


def _unproven_approvals(
    action: str, root: Path, settings: Settings, refuse: bool, checked: Report | None = None
) -> None:
    """Print every approval (and registry change) that is not proven; a release refuses them, a
    build only shows them, so that drafts preview, unless --strict. checked: the library check
    just made, whose valid guidelines without approvals need not be read again (a build's)."""
    from guidepress.verify import unproven

    guidelines = checked.guidelines.items() if checked else ()
    unapproved = {shown for shown, (model, _) in guidelines if not model.approvals}
    _, found = unproven(root, settings, [], always=action == "release", skip=unapproved)
    for diagnostic in found:
        print(diagnostic.format())
    if found and refuse:
        raise Refused(
            f"{action} refused: {len(found)} approval(s) or change(s) to trusted files above "
            "are not proven by a reviewer's signature or pull request review"
        )


def build(root: Path, settings: Settings, strict: bool, compendium: bool = False) -> int:
    from guidepress.build import build_site, refuse_planted_build_folder

    started = time.monotonic()
    refuse_planted_build_folder(root, root / settings.build_dir)  # before any cache is read
    report = _check_before("build", root, settings, strict)
    _unproven_approvals("build", root, settings, refuse=strict, checked=report)
    output, compiled = build_site(root, settings, compendium=compendium)
    if compiled is None:
        print(
            f"guidepress: nothing changed since the last build; {output} is current (checked in "
            f"{time.monotonic() - started:.1f} s)",
            file=sys.stderr,
        )
        return EXIT_OK
    pdfs = len(list((output / "pdf").glob("*.pdf")))
    named = f" ({', '.join(compiled)})" if 0 < len(compiled) <= 5 else ""
    reused = pdfs - len(compiled)
    print(
        f"guidepress: compiled {len(compiled)} PDF(s){named}, reused {reused} unchanged",
        file=sys.stderr,
    )
    print(
        f"guidepress: HTML written to {output}, PDFs to {output / 'pdf'}, in "
        f"{time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
