"""The `guidepress` command as users run it: exit codes, output formats, bad usage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from guidepress.check_cache import CACHE_FILE
from tests.conftest import REPO, TODAY, make_project, run_cli, valid_page


def test_sample_library_validates_clean() -> None:
    result = run_cli("validate", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    pages = len([p for p in (REPO / "docs").rglob("*.md") if "_build" not in p.parts])
    assert f"{pages} page(s) checked, 0 error(s), 0 warning(s)" in result.stderr


def test_text_format_is_path_line_col_severity_code(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"guidelines/p.md": valid_page().replace('version: "1.0"', "version: 2.10")}
    )
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "docs/guidelines/p.md:5:1: error: [version-not-string] version: version must be quoted, "
        'e.g. version: "2.1"'
    )
    assert "Traceback" not in result.stderr


def test_github_annotations(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"guidelines/p.md": valid_page().replace("status: draft", "status: nope")}
    )
    result = run_cli("validate", "--format", "github", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "::error file=docs/guidelines/p.md,line=6,col=1,title=invalid-value::"
    )


def test_github_annotations_escape_a_file_name_with_commas_and_colons(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"guidelines/a,b:c.md": valid_page().replace("status: draft", "status: nope")}
    )
    result = run_cli("validate", "--format", "github", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.stdout.startswith(
        "::error file=docs/guidelines/a%2Cb%3Ac.md,line=6,col=1,title=invalid-value::"
    )


@pytest.mark.parametrize("output", ["text", "github"])
def test_a_page_named_with_a_terminal_escape_is_refused_and_shown_escaped(
    tmp_path: Path, output: str
) -> None:
    # A name that would recolour or rewrite the reviewer's terminal or the CI log.
    make_project(tmp_path, {"guidelines/a\x1b[2Ko\u202ek.md": valid_page()})
    result = run_cli("validate", "--format", output, cwd=tmp_path)
    assert result.returncode == 1
    assert "control-character" in result.stdout
    assert "a\\x1b[2Ko\\u202ek.md" in result.stdout, result.stdout
    for shown in (result.stdout, result.stderr):
        assert "\x1b" not in shown
        assert "\u202e" not in shown


def test_json_reports_counts(tmp_path: Path) -> None:
    overdue = valid_page().replace("next_review_date: 2027-01-10", "next_review_date: 2026-05-01")
    make_project(tmp_path, {"guidelines/p.md": overdue})
    result = run_cli("validate", "--format", "json", "--today", TODAY.isoformat(), cwd=tmp_path)
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"]) == (0, 1)
    assert result.returncode == 0  # a warning alone does not fail ...
    strict = run_cli("validate", "--strict", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert strict.returncode == 1  # ... unless asked to


def test_reports_all_pages_not_just_the_first(tmp_path: Path) -> None:
    bad = valid_page().replace("status: draft", "status: nope")
    make_project(
        tmp_path,
        {"guidelines/a.md": bad, "guidelines/b.md": bad.replace("id: test-page", "id: other")},
    )
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        "docs/guidelines/a.md",
        "docs/guidelines/b.md",
    ]


def test_paths_may_be_files_or_folders(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/a.md": valid_page(), "guidelines/b.md": "no front matter"})
    one = run_cli("validate", "docs/guidelines/a.md", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert one.returncode == 0
    folder = run_cli("validate", "docs/guidelines", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert folder.returncode == 1
    assert "docs/guidelines/b.md:1:1: error: [no-front-matter]" in folder.stdout


def test_pages_outside_guidelines_need_no_front_matter(tmp_path: Path) -> None:
    make_project(tmp_path, {"about.md": "# About\n\nPlain page.\n"})
    assert run_cli("validate", cwd=tmp_path).returncode == 0


def test_version_is_the_projects() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert result.stdout == f"guidepress {version}\n"


@pytest.mark.parametrize("command", ["validate", "verify-approvals", "linkcheck"])
def test_missing_path_is_bad_usage(tmp_path: Path, command: str) -> None:
    # A typo in a CI step must not check nothing and pass.
    make_project(tmp_path, {})
    result = run_cli(command, "nowhere.md", cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file or folder: nowhere.md" in result.stderr


def test_unknown_option_is_bad_usage(tmp_path: Path) -> None:
    assert run_cli("validate", "--format", "xml", cwd=tmp_path).returncode == 2
    assert run_cli("frobnicate", cwd=tmp_path).returncode == 2


def test_an_impossible_today_is_bad_usage_not_a_python_message(tmp_path: Path) -> None:
    result = run_cli("validate", "--today", "2026-02-30", cwd=tmp_path)
    assert result.returncode == 2
    assert "'2026-02-30' is not a date: write it as YYYY-MM-DD" in result.stderr
    assert "fromisoformat" not in result.stderr


def test_bad_settings_are_reported_with_their_line(tmp_path: Path) -> None:
    make_project(tmp_path, {}, settings='source_dir = "docs"\nreview_interval_yeers = 3')
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "pyproject.toml:3:1: error: [tool.guidepress] review_interval_yeers: Extra inputs are not "
        "permitted" in result.stderr
    )


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ('build_dir = "."', "build_dir: the build folder cannot be the project folder itself"),
        (
            'build_dir = "docs/out"',
            "build_dir: the build folder 'docs/out' overlaps the source folder 'docs'",
        ),
        ('guidelines_dir = "../outside"', "guidelines_dir: '../outside' is not inside source_dir"),
        (
            'build_dir = "/tmp/shared-build"',
            "build_dir: the build folder '/tmp/shared-build' is outside",
        ),
        (
            'build_dir = "../shared"',
            "build_dir: the build folder '../shared' is outside the project",
        ),
    ],
)
def test_folders_a_build_would_clobber_are_refused(tmp_path: Path, setting: str, says: str) -> None:
    make_project(tmp_path, {}, settings=setting)
    (tmp_path / "html").mkdir()  # a folder of the user's, which a build into "." would replace
    (tmp_path / "html" / "mine.txt").write_text("keep me")
    for command in ("validate", "build"):
        result = run_cli(command, cwd=tmp_path)
        assert result.returncode == 2
        assert f"pyproject.toml:2:1: error: [tool.guidepress] {says}" in result.stderr
    assert (tmp_path / "html" / "mine.txt").read_text() == "keep me"


def test_bad_nested_settings_point_at_their_line_in_their_table(tmp_path: Path) -> None:
    settings = (
        'source_dir = "docs"\n\n[tool.guidepress.linkcheck]\ntimeout = 5\nfail_on = ["brokn"]'
    )
    make_project(tmp_path, {}, settings=settings)
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "pyproject.toml:6:1: error: [tool.guidepress] linkcheck.fail_on[0]: Input should be "
        "'broken'" in result.stderr
    )


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        (
            "required_approvals = { guideline = 0 }",
            "required_approvals.guideline: Input should be greater than or equal to 1",
        ),
        (
            "required_approvals = { guidline = 2 }",
            "required_approvals.guidline: Input should be 'guideline' or 'patient-info'",
        ),
        (
            'publication_url = "guidelines.example.org"',
            "publication_url: 'guidelines.example.org' is not valid: write the full web address",
        ),
        (
            "linkcheck.ignore = [{ pattern = '(x', reason = 'r' }]",
            "linkcheck.ignore[0].pattern: '(x' is not a regular expression",
        ),
        (
            'linkcheck.doi_api = "doi.org/api/handles/"',
            "linkcheck.doi_api: 'doi.org/api/handles/' is not valid: write the full web address",
        ),
    ],
)
def test_settings_that_would_weaken_a_check_or_crash_a_command_are_refused(
    tmp_path: Path, setting: str, says: str
) -> None:
    make_project(tmp_path, {}, settings=setting)
    for command in ("validate", "linkcheck"):
        result = run_cli(command, cwd=tmp_path)
        assert result.returncode == 2
        assert f"pyproject.toml:2:1: error: [tool.guidepress] {says}" in result.stderr
        assert "Traceback" not in result.stderr


def test_review_interval_is_configurable(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()}, settings="review_interval_years = 1")
    page = tmp_path / "docs/guidelines/p.md"
    page.write_text(
        valid_page().replace("next_review_date: 2027-01-10", "next_review_date: 2027-06-01")
    )
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert "[next-review-too-far] next_review_date 2027-06-01 is more than 1 years" in result.stdout


def test_guidelines_folder_is_configurable(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {"pages/p.md": "no front matter", "guidelines/q.md": "not a guideline here"},
        settings='guidelines_dir = "pages"',
    )
    result = run_cli("validate", cwd=tmp_path)
    assert "docs/pages/p.md:1:1: error: [no-front-matter]" in result.stdout
    assert "q.md" not in result.stdout


def test_build_refuses_an_invalid_library_and_writes_nothing(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"guidelines/p.md": valid_page().replace("funding: No external funding.\n", "")}
    )
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "build refused" in result.stderr
    assert not (tmp_path / "_build" / "html").exists()


def test_an_overdue_page_is_reported_but_fails_the_build_only_with_strict(tmp_path: Path) -> None:
    # Time alone makes a page overdue: it must not stop every build of the library from that day.
    overdue = valid_page().replace("next_review_date: 2027-01-10", "next_review_date: 2026-05-01")
    make_project(tmp_path, {"guidelines/p.md": overdue})
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        result.stdout.count("[review-overdue]") == 1
    )  # from the validation, not again from Sphinx
    assert "guidepress.review-overdue" not in result.stderr
    assert (tmp_path / "_build" / "html" / "pdf" / "test-page-v1.0.pdf").is_file()
    strict = run_cli("build", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "build refused: fix the errors and warnings (--strict) above first" in strict.stderr


def test_a_library_started_as_the_readme_says_builds(tmp_path: Path) -> None:
    section = (
        (REPO / "README.md")
        .read_text(encoding="utf-8")
        .split("## Starting a library of your own")[1]
        .split("\n## ")[0]
    )
    commands = section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert commands[0].startswith("pip install")  # done: this test runs the installed guidepress
    folder = tmp_path
    for command in commands[1:]:
        if command.startswith("cd "):
            folder = folder / command.removeprefix("cd ")
            continue
        if command == "guidepress build":  # a library is kept in git; CI builds a clone of it
            subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
            subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
            identity = ["-c", "user.name=Editor", "-c", "user.email=editor@example.org"]
            subprocess.run(["git", *identity, "commit", "-qm", "library"], cwd=folder, check=True)
        result = run_cli(*command.split()[1:], cwd=folder)
        assert result.returncode == 0, result.stdout + result.stderr
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True, check=True
    )
    assert status.stdout.splitlines() == [], "the build left files for git to commit"
    html = folder / "_build" / "html"
    assert "example-guideline" in (html / "index.html").read_text(encoding="utf-8")
    assert (html / "pdf" / "example-guideline-v0.1.pdf").is_file()


def test_a_mistake_in_conf_py_is_one_located_line(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    conf = tmp_path / "conf.py"
    lines = len(conf.read_text().splitlines())
    for mistake, says in (
        ("x = (", "syntax error: '(' was never closed"),
        ("import no_such_module", "ModuleNotFoundError"),
    ):
        conf.write_text(conf.read_text().split("# mistake")[0] + f"# mistake\n{mistake}\n")
        result = run_cli("build", cwd=tmp_path)
        assert result.returncode == 1
        assert f"conf.py:{lines + 2}: error in the Sphinx configuration: {says}" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "_build" / "html").exists()


@pytest.mark.parametrize("command", [["validate"], ["linkcheck"], ["verify-approvals"], ["build"]])
def test_a_missing_library_folder_is_bad_usage(tmp_path: Path, command: list[str]) -> None:
    # Run outside a library, a check would find nothing to check and pass.
    (tmp_path / "pyproject.toml").write_text("[tool.guidepress]\n")
    result = run_cli(*command, cwd=tmp_path)
    assert result.returncode == 2
    assert "the library folder" in result.stderr
    assert "does not exist" in result.stderr


def test_schemas_import_without_sphinx() -> None:
    code = (
        "import sys; sys.modules['sphinx'] = None; sys.modules['docutils'] = None; "
        "import guidepress.schemas; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_the_editors_guide_example_page_is_valid(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "editors-guide.md").read_text(encoding="utf-8")
    example = guide.split("````markdown\n", 1)[1].split("````", 1)[0]  # what editors copy
    make_project(tmp_path, {"guidelines/example-procedure.md": example})
    result = run_cli("validate", "--today", "2026-12-01", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""

    # The guide's "Checking your page" shows what validate prints for an unquoted version.
    shown = guide.split("$ guidepress validate docs/guidelines/example-procedure.md\n", 1)[1].split(
        "\n"
    )[0]
    page = tmp_path / "docs/guidelines/example-procedure.md"
    page.write_text(example.replace('version: "1.0"', "version: 1.0"))
    result = run_cli(
        "validate", "docs/guidelines/example-procedure.md", "--today", "2026-12-01", cwd=tmp_path
    )
    assert result.stdout.startswith(shown.removesuffix(" …")), result.stdout


def test_a_failed_build_fails_again_until_the_page_is_fixed(tmp_path: Path) -> None:
    # Sphinx caches a page it has read and does not repeat its warnings: the second build must
    # not pass a page the first refused.
    page = valid_page() + "\n```{notadirective}\nhello\n```\n"
    make_project(tmp_path, {"guidelines/p.md": page})
    for _ in range(2):
        result = run_cli("build", cwd=tmp_path)
        assert result.returncode == 1
        assert "Unknown directive type: 'notadirective'" in result.stderr
        assert not (tmp_path / "_build" / "html").exists()
    (tmp_path / "docs/guidelines/p.md").write_text(valid_page(), encoding="utf-8")
    assert run_cli("build", cwd=tmp_path).returncode == 0


def test_a_crash_inside_sphinx_is_one_line_naming_the_page(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    with (tmp_path / "conf.py").open("a") as conf:  # an extension with a bug, as real ones have
        conf.write(
            "def setup(app):\n    def crash(app, doctree, docname):\n"
            "        if docname == 'guidelines/p':\n            raise RuntimeError('extension "
            "bug')\n"
            "    app.connect('doctree-resolved', crash)\n"
        )
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"guidepress: build failed: {tmp_path / 'docs/guidelines/p.md'}: Sphinx stopped with an "
        "internal "
        "error in the html build (RuntimeError: extension bug)"
    ) in result.stderr
    report = tmp_path / "_build" / "sphinx-crash.log"
    assert f"The full report is in {report}." in result.stderr
    assert "Traceback" in report.read_text()
    assert "extension bug" in report.read_text()
    assert not (tmp_path / "_build" / "html").exists()


def test_an_interrupted_build_says_so_and_leaves_no_cache_behind(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    marker = tmp_path / "writing"
    with (tmp_path / "conf.py").open(
        "a"
    ) as conf:  # holds the build mid-write, so the signal lands there
        conf.write(
            f"import time, pathlib\ndef setup(app):\n    def wait(app, doctree, docname):\n"
            f"        pathlib.Path({str(marker)!r}).touch(); time.sleep(60)\n"
            "    app.connect('doctree-resolved', wait)\n"
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "guidepress", "build"],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never reached the page that waits"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.splitlines()[-1] == "guidepress: interrupted"
    assert "Traceback" not in stderr
    left = sorted(p.name for p in (tmp_path / "_build").iterdir() if p.name != ".build.lock")
    # No site, no half-read Sphinx cache: only the library check's results, written whole
    # before Sphinx began.
    assert left == [CACHE_FILE]


def test_a_second_build_waits_for_the_first(tmp_path: Path) -> None:
    from filelock import FileLock

    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    (tmp_path / "_build").mkdir()
    with FileLock(str(tmp_path / "_build" / ".build.lock")):  # a build is running
        process = subprocess.Popen(
            [sys.executable, "-m", "guidepress", "build"],
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stderr is not None
        said = ""
        while (
            "waiting" not in said and process.poll() is None
        ):  # ends: the message, or the build ends
            said += process.stderr.readline()
        assert "another build of this library is running; waiting for it to finish" in said
        assert process.poll() is None
        assert not (
            tmp_path / "_build" / ".doctrees"
        ).exists()  # it has not touched the shared cache
    _, rest = process.communicate(timeout=300)
    assert process.returncode == 0, said + rest
    assert (tmp_path / "_build" / "html" / "pdf" / "test-page-v1.0.pdf").is_file()


def test_guidepress_finds_its_library_from_any_folder_inside_it(tmp_path: Path) -> None:
    make_project(tmp_path, {"pages/p.md": "no front matter"}, settings='guidelines_dir = "pages"')
    (tmp_path / "docs" / "pyproject.toml").write_text(
        "[project]\nname = 'unrelated'\n"
    )  # not a library's
    inside = tmp_path / "docs" / "pages"
    one = run_cli("validate", "p.md", cwd=inside)  # the settings still say pages/ holds guidelines
    assert one.returncode == 1
    assert one.stdout.startswith("p.md:1:1: error: [no-front-matter]")
    everything = run_cli("validate", cwd=inside)  # and the default is still the whole library
    assert everything.returncode == 1
    assert "2 page(s) checked" in everything.stderr
