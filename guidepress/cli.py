"""The `guidepress` command: the edge that prints diagnostics and chooses exit codes.

Exit codes: 0 clean (warnings allowed), 1 the library has errors, 2 bad usage or settings.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from importlib import metadata
from pathlib import Path

from schemas import RegistryMember, Settings
from validators.config import SettingsError, find_root, load_registry, load_settings
from validators.diagnostics import Diagnostic, has_errors, to_json
from validators.library import Layout, check_library

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


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
        "verify-approvals", help="check each approval was committed by its reviewer (git)"
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
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


def _missing(paths: list[Path]) -> bool:
    """Say which paths do not exist: a typo must not check nothing and pass."""
    for path in paths:
        if not path.exists():
            print(f"guidepress: error: no such file or folder: {path}", file=sys.stderr)
    return not all(path.exists() for path in paths)


def _not_a_guideline(layout: Layout, page: Path) -> bool:
    """Say so when the page is missing or outside the guidelines folder, which alone has document control."""
    if not page.is_file():
        print(f"guidepress: error: no such page: {page}", file=sys.stderr)
        return True
    if not layout.is_guideline(os.path.abspath(page)):
        guidelines = os.path.relpath(layout.guidelines)
        print(
            f"guidepress: error: {page} is not a guideline page: only pages under {guidelines}{os.sep} "
            "have document control and approvals",
            file=sys.stderr,
        )
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run_command(args)
    except (
        OSError
    ) as error:  # a folder that is a file, a full disk, no permission: say which, briefly
        where = f": {error.filename}" if error.filename else ""
        print(f"guidepress: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:  # outputs are swapped in whole, so nothing is left half-written
        print("guidepress: interrupted", file=sys.stderr)
        return 130


def run_command(args: argparse.Namespace) -> int:
    root = (args.root or find_root(Path.cwd())).resolve()
    try:
        settings = load_settings(root)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    source = Layout.of(root, settings).source
    if not Path(source).is_dir():  # outside a library every command would check nothing and pass
        print(
            f"guidepress: error: the library folder {source} does not exist; run guidepress in the "
            "library's root (--root) or set source_dir in [tool.guidepress]",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.command == "validate":
        return validate(
            root, settings, args.paths, args.format, args.strict, args.today or date.today()
        )
    if args.command == "linkcheck":
        return check_links_command(root, settings, args.paths, args.cache, args.format, args.report)
    if args.command in ("diff", "verify-approvals"):
        return history_command(root, settings, args)
    if args.command == "release":
        return release_library(
            root, settings, args.version, args.archive or root / settings.build_dir / "archive"
        )
    if args.command == "approve":
        return approve_page(root, settings, args.page, args.reviewer)
    return build(root, settings, args.strict)


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
    from validators.links import collect_links

    if _missing(paths):
        return EXIT_USAGE
    for option, path in (("--cache", cache), ("--report", report)):
        if path is not None and path.is_dir():  # found now, not after minutes of checking
            print(
                f"guidepress: error: {option} {path} is a folder; give a file name", file=sys.stderr
            )
            return EXIT_USAGE
    layout = Layout.of(root, settings)
    results = run(collect_links(paths or [Path(layout.source)], layout), settings.linkcheck, cache)
    print(
        json_report(results)
        if output == "json"
        else text_report(results, settings.linkcheck.fail_on)
    )
    if report is not None:
        write_atomically(report, json_report(results) + "\n")
    return EXIT_ERRORS if any(r.status in settings.linkcheck.fail_on for r in results) else EXIT_OK


def history_command(root: Path, settings: Settings, args: argparse.Namespace) -> int:
    from guidepress.history import HistoryError, diff_since_approved, verify_approvals
    from validators.library import display, find_pages

    layout = Layout.of(root, settings)
    if _not_a_guideline(layout, args.page) if args.command == "diff" else _missing(args.paths):
        return EXIT_USAGE
    try:
        if args.command == "diff":
            sys.stdout.write(diff_since_approved(args.page, args.from_version, Path(layout.source)))
            return EXIT_OK
        registry, problems = load_registry(root, settings)
        cwd = os.path.join(os.getcwd(), "")
        guidelines = (
            [Path(layout.guidelines)] if Path(layout.guidelines).is_dir() else []
        )  # none yet
        pages = [Path(display(p, cwd)) for p in find_pages(args.paths or guidelines)]
        found = problems + verify_approvals(pages, registry)
    except HistoryError as error:
        print(f"guidepress: error: {error}", file=sys.stderr)
        return EXIT_ERRORS
    for diagnostic in found:
        print(diagnostic.format())
    print(
        f"guidepress: {len(pages)} page(s) checked, {len(found)} unverified approval(s)",
        file=sys.stderr,
    )
    return EXIT_ERRORS if found else EXIT_OK


def release_library(root: Path, settings: Settings, version: str, archive: Path) -> int:
    from guidepress.build import BuildError
    from guidepress.release import ReleaseRefused, check_release_name, release

    try:  # bad usage is told before the library is checked and built
        check_release_name(version)
    except ValueError as error:
        print(f"guidepress: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if archive.exists() and not archive.is_dir():
        print(
            f"guidepress: error: the archive {archive} is a file; give a folder with --archive",
            file=sys.stderr,
        )
        return EXIT_USAGE
    refused = _check_before("release", root, settings, strict=False)
    if refused is not None:
        return refused
    try:
        folder = release(root, settings, version, archive.resolve(), date.today())
    except ValueError as error:
        print(f"guidepress: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ReleaseRefused, BuildError) as error:
        print(f"guidepress: release refused: {error}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"guidepress: released {version} into {folder}", file=sys.stderr)
    return EXIT_OK


def approve_page(root: Path, settings: Settings, page: Path, reviewer: str) -> int:
    from guidepress.approve import ApprovalRefused, approve

    layout = Layout.of(root, settings)
    if _not_a_guideline(layout, page):
        return EXIT_USAGE
    registry, problems = load_registry(root, settings)
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    try:
        print(approve(page, reviewer, settings, registry, date.today(), Path(layout.source)))
    except ApprovalRefused as refusal:
        print(f"guidepress: approval refused: {refusal}", file=sys.stderr)
        return EXIT_ERRORS
    _commit_hint(page, registry.find(reviewer) if registry else None)
    return EXIT_OK


def _commit_hint(page: Path, member: RegistryMember | None) -> None:
    """The approval counts once its reviewer commits it: say so now, not when CI fails."""
    from guidepress.history import author_email

    email = author_email(page.resolve().parent)
    if member is None or email is None:
        return
    if email.casefold() == member.git_email.casefold():
        print(
            f"guidepress: now commit it as yourself ({email}): verify-approvals checks who committed it",
            file=sys.stderr,
        )
    else:
        print(
            f"guidepress: warning: your git identity is {email}, not {member.name}'s ({member.git_email}); "
            f"{member.name} must commit this approval, or verify-approvals reports it as unverified",
            file=sys.stderr,
        )


def _check(
    root: Path, settings: Settings, paths: list[Path], today: date
) -> tuple[int, list[Diagnostic]] | int:
    if _missing(paths):
        return EXIT_USAGE
    layout = Layout.of(root, settings)
    registry, problems = load_registry(root, settings)
    report = check_library(paths or [Path(layout.source)], layout, settings, today, registry)
    return report.pages, problems + [_explained(d, Path(layout.source)) for d in report.diagnostics]


def _explained(diagnostic: Diagnostic, source: Path) -> Diagnostic:
    """A lapsed approval names what changed since, read from git (validators know no history)."""
    if diagnostic.code != "approval-stale":
        return diagnostic
    from guidepress.history import explain_stale

    return explain_stale(diagnostic, source)


def _failed(diagnostics: list[Diagnostic], strict: bool) -> bool:
    return has_errors(diagnostics) or (strict and bool(diagnostics))


def validate(
    root: Path, settings: Settings, paths: list[Path], output: str, strict: bool, today: date
) -> int:
    checked = _check(root, settings, paths, today)
    if isinstance(checked, int):
        return checked
    pages, diagnostics = checked
    if output == "json":
        print(to_json(diagnostics, pages))
    else:
        for diagnostic in diagnostics:
            print(diagnostic.github() if output == "github" else diagnostic.format())
        _summary(pages, diagnostics)
    return EXIT_ERRORS if _failed(diagnostics, strict) else EXIT_OK


def _summary(pages: int, diagnostics: list[Diagnostic]) -> None:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(
        f"guidepress: {pages} page(s) checked, {errors} error(s), {warnings} warning(s)",
        file=sys.stderr,
    )


def _check_before(action: str, root: Path, settings: Settings, strict: bool) -> int | None:
    """Validate the whole library before building or releasing; an exit code if it must stop."""
    checked = _check(root, settings, [], date.today())
    if isinstance(checked, int):
        return checked
    pages, diagnostics = checked
    for diagnostic in diagnostics:
        print(diagnostic.format())
    _summary(pages, diagnostics)
    if _failed(diagnostics, strict):
        problems = "errors and warnings (--strict)" if strict else "errors"
        print(f"guidepress: {action} refused: fix the {problems} above first", file=sys.stderr)
        return EXIT_ERRORS
    return None


def build(root: Path, settings: Settings, strict: bool) -> int:
    from guidepress.build import BuildError, build_site

    refused = _check_before("build", root, settings, strict)
    if refused is not None:
        return refused
    try:
        output, compiled = build_site(root, settings)
    except BuildError as error:
        print(f"guidepress: build failed: {error}", file=sys.stderr)
        return EXIT_ERRORS
    pdfs = len(list((output / "pdf").glob("*.pdf")))
    named = f" ({', '.join(compiled)})" if compiled else ""
    print(
        f"guidepress: compiled {len(compiled)} PDF(s){named}, reused {pdfs - len(compiled)} unchanged",
        file=sys.stderr,
    )
    print(f"guidepress: HTML written to {output}, PDFs to {output / 'pdf'}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
