"""guidepress linkcheck against a real HTTP server on 127.0.0.1; nothing touches the internet."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, make_project, run_cli, valid_page
from tests.linkserver import GOOD_DOI, GOOD_PMID, LinkServer

CASES = {  # path: (class, what the detail says)
    "/ok": ("ok", ""),
    "/temporary": ("ok", ""),
    "/moved": ("redirected", "moved permanently to {url}/ok"),
    "/chain": ("redirected", "moved permanently to {url}/ok"),
    "/missing": ("broken", "HTTP 404"),
    "/gone": ("broken", "HTTP 410"),
    "/loop": ("broken", "redirect loop"),
    "/forbidden": ("blocked", "HTTP 403"),
    "/busy": ("ok", ""),
    "/overloaded": ("transient", "HTTP 429"),
    "/error": ("transient", "HTTP 500"),
    "/slow": ("transient", "no answer within 1 s"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LinkServer]:
    with LinkServer() as running:
        yield running


def library(root: Path, server: LinkServer, extra_settings: str = "") -> Path:
    body = "\n".join(f"- [case]({server.url}{path})" for path in CASES)
    page = valid_page().replace("url: https://example.org/page", f"url: {server.url}/missing")
    page = page.replace("doi: 10.1234/example.5678", "doi: 10.1234/unknown").replace(
        'pmid: "12345678"', 'pmid: "999"'
    )
    second = (
        valid_page()
        .replace("id: test-page", "id: second")
        .replace("url: https://example.org/page", f"url: {server.url}/ok")
    )
    second = second.replace("doi: 10.1234/example.5678", f"doi: {GOOD_DOI}").replace(
        'pmid: "12345678"', f'pmid: "{GOOD_PMID}"'
    )
    settings = (
        "[tool.guidepress.linkcheck]\n"
        f'doi_api = "{server.url}/handles/"\npubmed_api = "{server.url}/esummary"\n'
        "timeout = 1\nretries = 1\nbackoff = 0.1\nmax_retry_after = 5\nncbi_per_second = 50\n"
        + extra_settings
    )
    make_project(
        root, {"guidelines/p.md": page + "\n" + body + "\n", "guidelines/second.md": second}
    )
    with (root / "pyproject.toml").open("a") as pyproject:
        pyproject.write(settings)
    return root


def results_of(root: Path, *args: str) -> tuple[int, dict[tuple[str, str], dict[str, Any]]]:
    result = run_cli("linkcheck", "--format", "json", *args, cwd=root)
    return result.returncode, {(r["kind"], r["target"]): r for r in json.loads(result.stdout)}


def test_every_case_is_classified_in_bounded_time(tmp_path: Path, server: LinkServer) -> None:
    root = library(tmp_path, server)
    start = time.monotonic()
    status, results = results_of(root)
    assert time.monotonic() - start < 30
    assert status == 1  # broken links fail the run
    for path, (expected, detail) in CASES.items():
        result = results[("url", f"{server.url}{path}")]
        assert result["status"] == expected, (path, result)
        assert detail.format(url=server.url) in result["detail"], (path, result)
    assert results[("url", f"{server.url}/moved")]["new_url"] == f"{server.url}/ok"
    assert results[("url", f"{server.url}/missing")]["code"] == 404
    assert server.hits["/busy"] >= 2  # waited for Retry-After, then succeeded


def test_doi_and_pmid_are_checked_against_their_services(
    tmp_path: Path, server: LinkServer
) -> None:
    _, results = results_of(library(tmp_path, server))
    assert results[("doi", GOOD_DOI)]["status"] == "ok"
    assert results[("doi", "10.1234/unknown")]["status"] == "broken"
    assert "DOI not found" in results[("doi", "10.1234/unknown")]["detail"]
    assert results[("pmid", GOOD_PMID)]["status"] == "ok"
    assert results[("pmid", "999")]["status"] == "broken"


def test_report_names_page_line_and_reference_for_every_place(
    tmp_path: Path, server: LinkServer
) -> None:
    root = library(tmp_path, server)
    page = root / "docs" / "guidelines" / "p.md"
    page.write_text(page.read_text() + f"\nAgain: [missing]({server.url}/missing)\n")
    result = run_cli("linkcheck", cwd=root)
    lines = result.stdout.splitlines()
    assert "docs/guidelines/p.md" in lines
    assert (
        f"  docs/guidelines/p.md:22:5: error: broken [reference web, url] {server.url}/missing: "
        "HTTP 404"
    ) in lines
    assert (
        "  docs/guidelines/p.md:29:5: error: broken [reference article, doi] 10.1234/unknown: DOI "
        "not found by the DOI resolver" in lines
    )
    body_hits = [line for line in lines if f"[url] {server.url}/missing" in line]
    assert len(body_hits) == 2  # the body link is reported at both places it is written
    assert f"warning: transient [url] {server.url}/error: HTTP 500" in result.stdout


def test_links_in_admonitions_and_a_web_feedback_contact_are_checked(
    tmp_path: Path, server: LinkServer
) -> None:
    page = valid_page().replace(
        "feedback_contact: guidelines@example.org", f"feedback_contact: {server.url}/gone"
    )
    page = page.replace("url: https://example.org/page", f"url: {server.url}/ok").replace(
        "doi: 10.1234/example.5678", f"doi: {GOOD_DOI}"
    )
    page = page.replace('pmid: "12345678"', f'pmid: "{GOOD_PMID}"')
    page += (
        f"\n```{{note}}\nSee [the "
        f"form]({server.url}/missing).\n```\n\n```text\n{server.url}/error is code, not a "
        "link\n```\n"
    )
    root = make_project(tmp_path, {"guidelines/p.md": page})
    with (root / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            f'[tool.guidepress.linkcheck]\ndoi_api = "{server.url}/handles/"\npubmed_api = '
            f'"{server.url}/esummary"\n'
        )
    result = run_cli("linkcheck", cwd=root)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"  docs/guidelines/p.md:33:1: error: broken [url] {server.url}/gone: HTTP 410" in lines
    assert (
        f"  docs/guidelines/p.md:45:1: error: broken [url] {server.url}/missing: HTTP 404" in lines
    )
    assert "/error" not in result.stdout


def test_cache_keeps_successes_and_rechecks_the_rest(tmp_path: Path, server: LinkServer) -> None:
    root = library(tmp_path, server)
    cache = tmp_path / "links.json"
    results_of(root, "--cache", str(cache))
    stored = json.loads(cache.read_text())
    assert f"url:{server.url}/ok" in stored
    assert f"doi:{GOOD_DOI}" in stored
    assert f"url:{server.url}/missing" not in stored
    assert f"url:{server.url}/error" not in stored
    before = server.hits["/temporary"], server.hits["/missing"]
    _, results = results_of(root, "--cache", str(cache))
    assert results[("url", f"{server.url}/temporary")]["cached"] is True
    assert server.hits["/temporary"] == before[0]  # not asked again
    assert server.hits["/missing"] > before[1]  # failures are always re-checked
    report = tmp_path / "report.json"
    text = run_cli("linkcheck", "--cache", str(cache), "--report", str(report), cwd=root)
    assert "distinct link(s)" in text.stdout  # the text report, and beside it the JSON one
    assert {(r["kind"], r["target"]) for r in json.loads(report.read_text())} == set(results)
    cache.write_text("{ damaged")
    assert results_of(root, "--cache", str(cache))[1][("url", f"{server.url}/ok")]["status"] == "ok"


@pytest.mark.parametrize(
    "entry",
    [
        '{"checked": NaN, "code": 200}',
        '{"checked": 1e300, "code": 200}',
        '{"checked": "yesterday", "code": 200}',
        '{"checked": 1.0, "code": "200"}',
        '[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]',
    ],
)
def test_a_damaged_cache_entry_never_keeps_a_dead_link_ok(
    tmp_path: Path, server: LinkServer, entry: str
) -> None:
    root = library(tmp_path, server)
    cache = tmp_path / "links.json"
    missing = f"{server.url}/missing"  # a dead link, "ok" only if the entry is believed
    future = f"{time.time() + 10**7}"
    cache.write_text(f'{{"url:{missing}": {entry.replace("1e300", future)}}}')
    _, results = results_of(root, "--cache", str(cache))
    assert results[("url", missing)]["status"] == "broken"
    assert results[("url", missing)]["cached"] is False


def test_a_cache_that_cannot_be_written_never_costs_the_report(
    tmp_path: Path, server: LinkServer
) -> None:
    root = library(tmp_path / "library", server)
    folder = run_cli(
        "linkcheck", "--cache", str(tmp_path), cwd=root
    )  # a folder: refused before checking
    assert folder.returncode == 2
    assert f"--cache {tmp_path} is a folder" in folder.stderr
    (tmp_path / "blocker").write_text("a file where the cache's folder should be")
    status, results = results_of(root, "--cache", str(tmp_path / "blocker" / "links.json"))
    assert status == 1  # the run's own verdict: its broken links, not the cache
    assert results[("url", f"{server.url}/ok")]["status"] == "ok"
    warned = run_cli("linkcheck", "--cache", str(tmp_path / "blocker" / "links.json"), cwd=root)
    assert "warning: could not write the link cache" in warned.stderr
    assert "Traceback" not in warned.stderr


def test_ignored_links_are_reported_with_their_reason(tmp_path: Path, server: LinkServer) -> None:
    ignore = (
        'ignore = [{ pattern = ".*/(missing|gone|loop)", reason = "known dead, kept for the '
        'record" }]\n'
    )
    root = library(tmp_path, server, ignore)
    _, results = results_of(root)
    assert results[("url", f"{server.url}/missing")]["status"] == "ignored"
    assert results[("url", f"{server.url}/missing")]["detail"] == "known dead, kept for the record"


def test_transient_only_warns_unless_configured_to_fail(tmp_path: Path, server: LinkServer) -> None:
    root = library(
        tmp_path,
        server,
        'fail_on = ["broken", "transient"]\nignore = [{ pattern = '
        '".*/(missing|gone|loop|unknown)|999|10.1234/unknown", reason = "x" }]\n',
    )
    assert results_of(root)[0] == 1
    relaxed = library(
        tmp_path / "relaxed",
        server,
        'ignore = [{ pattern = ".*/(missing|gone|loop)|999|10.1234/unknown", reason = "x" }]\n',
    )
    assert results_of(relaxed)[0] == 0


def test_overall_time_bound(tmp_path: Path, server: LinkServer) -> None:
    root = library(tmp_path, server, "total_timeout = 0.5\n")
    start = time.monotonic()
    _, results = results_of(root)
    assert time.monotonic() - start < 15
    assert "not checked within the 0.5 s bound" in results[("url", f"{server.url}/slow")]["detail"]


def test_pubmed_ids_are_checked_in_one_request_per_batch(tmp_path: Path) -> None:
    pmids = [GOOD_PMID, "111", "222", "333"]
    pages = {
        f"guidelines/p{n}.md": valid_page()
        .replace("id: test-page", f"id: page-{n}")
        .replace('pmid: "12345678"', f'pmid: "{pmid}"')
        for n, pmid in enumerate(pmids)
    }
    with LinkServer() as fresh:
        settings = (
            f'[tool.guidepress.linkcheck]\ndoi_api = "{fresh.url}/handles/"\npubmed_api = '
            f'"{fresh.url}/esummary"\n'
            'ignore = [{pattern = "https://.*", reason = "not under test"}]\n'
        )
        root = make_project(tmp_path, pages)
        with (root / "pyproject.toml").open("a") as pyproject:
            pyproject.write(settings)
        _, results = results_of(root)
        assert fresh.hits["/esummary"] == 1  # NCBI's pace is 3 requests a second: one for all
    assert [results[("pmid", pmid)]["status"] for pmid in pmids] == [
        "ok",
        "broken",
        "broken",
        "broken",
    ]


def test_a_host_that_does_not_exist_is_broken(tmp_path: Path, server: LinkServer) -> None:
    root = library(tmp_path, server)
    page = root / "docs" / "guidelines" / "second.md"
    page.write_text(page.read_text() + "\n[gone](https://no-such-host.invalid/page)\n")
    status, results = results_of(root)
    result = results[("url", "https://no-such-host.invalid/page")]
    assert (result["status"], result["detail"][:14]) == ("broken", "host not found")
    assert status == 1


def test_no_network_at_all_is_transient_not_broken(tmp_path: Path) -> None:
    # Nothing resolves, not even the DOI resolver's and NCBI's hosts: the runner is offline, and
    # reporting every link broken would cry wolf.
    page = valid_page().replace(
        "url: https://example.org/page", "url: https://publisher.invalid/page"
    )
    root = make_project(tmp_path, {"guidelines/p.md": page})
    with (root / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            '[tool.guidepress.linkcheck]\ndoi_api = "https://doi.invalid/api/handles/"\n'
            'pubmed_api = "https://ncbi.invalid/esummary"\nretries = 0\n'
        )
    status, results = results_of(root)
    assert status == 0
    assert {key: r["status"] for key, r in results.items()} == {
        ("url", "https://publisher.invalid/page"): "transient",
        ("doi", "10.1234/example.5678"): "transient",
        ("pmid", "12345678"): "transient",
    }
    assert (
        "the network or its DNS is down"
        in results[("url", "https://publisher.invalid/page")]["detail"]
    )


def workflow_script(step: str) -> str:
    workflow = yaml.safe_load(
        (REPO / ".github/workflows/linkcheck.yml").read_text(encoding="utf-8")
    )
    (found,) = [s["run"] for s in workflow["jobs"]["linkcheck"]["steps"] if s.get("name") == step]
    return str(found)


def test_pull_request_workflow_checks_exactly_the_pages_it_changes(
    tmp_path: Path, server: LinkServer
) -> None:
    # The workflow's own script, run in a repository where a pull request adds a page whose name
    # holds spaces and shell syntax: it must be checked as one page and never run as code.
    root = library(tmp_path / "library", server)
    git = ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "library"], cwd=root, check=True)
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=root, check=True)
    added = (
        valid_page()
        .replace("id: test-page", "id: added")
        .replace("url: https://example.org/page", f"url: {server.url}/ok")
    )
    added = added.replace("doi: 10.1234/example.5678", f"doi: {GOOD_DOI}").replace(
        'pmid: "12345678"', f'pmid: "{GOOD_PMID}"'
    )
    (root / "docs/guidelines/new page $(touch pwned).md").write_text(added, encoding="utf-8")
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "add a page"], cwd=root, check=True)
    environment = {
        **os.environ,
        "EVENT": "pull_request",
        "BASE": "main",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    script = workflow_script("Check links")

    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, (
        result.stdout + result.stderr
    )  # the broken links of unchanged p.md are not checked
    assert not (root / "pwned").exists()
    checked = {(r["kind"], r["target"]) for r in json.loads((root / "linkcheck.json").read_text())}
    assert ("url", f"{server.url}/ok") in checked
    assert ("doi", GOOD_DOI) in checked
    assert ("url", f"{server.url}/missing") not in checked

    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "nothing"], cwd=root, check=True)
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=root, check=True)
    unchanged = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unchanged.returncode == 0
    assert "changes no page" in unchanged.stdout

    nightly = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=root,
        env={**environment, "EVENT": "schedule"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert nightly.returncode != 0  # the whole library, broken links of p.md included
    assert f"{server.url}/missing" in nightly.stdout


ANSWER_CASES = yaml.safe_load((REPO / "tests" / "cases" / "linkcheck.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", ANSWER_CASES, ids=[case["name"] for case in ANSWER_CASES])
def test_a_hostile_or_odd_answer_is_classified_never_a_traceback(
    tmp_path: Path, server: LinkServer, case: dict[str, Any]
) -> None:
    name, kind = case["name"], case["kind"]
    server.cases[name] = case
    served = f"{server.url}/case/{name}"
    target = (
        case.get("target", served)
        if kind == "url"
        else {"doi": "10.1234/case", "pmid": "999"}[kind]
    )
    page = valid_page() + f"\nSee [the case]({target}).\n" if kind == "url" else valid_page()
    page = page.replace("doi: 10.1234/example.5678", "doi: 10.1234/case")
    page = page.replace('pmid: "12345678"', 'pmid: "999"')
    settings = (
        "[tool.guidepress.linkcheck]\n"
        f'doi_api = "{served}/handles/"\npubmed_api = "{served}/esummary"\n'
        "timeout = 1\nretries = 1\nbackoff = 0.1\nmax_retry_after = 5\nncbi_per_second = 50\n"
        f"ignore = [{{pattern = '(?!{re.escape(target)}$).*', reason = 'not this case'}}]\n"
    )
    make_project(tmp_path, {"guidelines/p.md": page})
    with (tmp_path / "pyproject.toml").open("a") as pyproject:
        pyproject.write(settings)
    result = run_cli("linkcheck", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    found = {(r["kind"], r["target"]): r for r in json.loads(result.stdout)}[(kind, target)]
    assert found["status"] == case["expect"]["status"], found
    assert case["expect"]["says"] in found["detail"], found
    if case["expect"].get("shown_without_controls"):  # what a server chose, in a terminal
        text = run_cli("linkcheck", cwd=tmp_path)
        assert "redirected" in text.stdout, text.stdout
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text.stdout + text.stderr)
