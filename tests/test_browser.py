"""The built site in a real browser (Debian's chromium, see tests/install-chromium.sh): every page
meets WCAG 2.2 A/AA as axe-core checks it, and a released archive's version switcher and
old-release banner work when clicked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from tests.conftest import CASES, serve
from tests.test_approvals import git
from tests.test_cases import write_case
from tests.test_release import add_retired_page, new_version, release

CHROMIUM = os.environ.get("GUIDEPRESS_CHROMIUM") or shutil.which("chromium")
WCAG_22_AA = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}
VIEWS: dict[str, dict[str, Any]] = {
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "color_scheme": "light",
        "is_mobile": True,
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM, (
        "no Chromium: run tests/install-chromium.sh (the README's test command does) or set "
        "GUIDEPRESS_CHROMIUM"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def violations(page: Page) -> list[str]:
    found = Axe().run(page, options=WCAG_22_AA).response["violations"]
    return [
        f"{rule['id']} ({rule['impact']}): {[node['target'] for node in rule['nodes']]}"
        for rule in found
    ]


def site_pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
    )


@pytest.mark.parametrize("view", VIEWS)
def test_every_page_of_the_sample_library_meets_wcag_22_aa(
    browser: Browser, sample_build: Path, view: str
) -> None:
    site = sample_build / "html"
    pages = site_pages(site)
    assert "guidelines/hepatic-artery-embolisation.html" in pages
    assert "index.html" in pages
    # Recommendation boxes, key recommendations and folded parts are among what is checked.
    with_recommendations = (site / "guidelines/hepatic-artery-embolisation.html").read_text()
    assert 'id="key-recommendations"' in with_recommendations
    assert 'class="guidepress-recommendation ' in with_recommendations
    context = browser.new_context(**VIEWS[view])
    problems = []
    with serve(site) as url:
        page = context.new_page()
        for name in pages:
            page.goto(f"{url}/{name}")
            # Unfolded, so that what a reader opens (a rationale, the document control) is
            # checked too.
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")
            problems += [f"{name}: {problem}" for problem in violations(page)]
    context.close()
    assert not problems, "\n".join(problems)


def test_toctree_captions_are_headings_with_a_level(sample_build: Path) -> None:
    index = (sample_build / "html" / "index.html").read_text(encoding="utf-8")
    captions = re.findall(r'<p [^>]*role="heading"[^>]*>', index)
    assert len(captions) == 6, (
        "the sample index groups its pages under three captions, in the body and the sidebar"
    )
    assert all('aria-level="2"' in caption for caption in captions), captions


def test_a_table_wider_than_the_screen_can_be_scrolled_from_the_keyboard(
    browser: Browser, sample_build: Path
) -> None:
    context = browser.new_context(**VIEWS["phone"])
    with serve(sample_build / "html") as url:
        page = context.new_page()
        page.goto(f"{url}/reference/fields.html")
        wrapper = page.locator(".table-wrapper").first
        assert wrapper.evaluate("e => e.scrollWidth > e.clientWidth"), (
            "the field table overflows a phone screen"
        )
        assert wrapper.get_attribute("tabindex") == "0"
        page.set_viewport_size({"width": 3000, "height": 800})  # wide enough: no longer a tab stop
        page.wait_for_function(
            "() => !document.querySelector('.table-wrapper').hasAttribute('tabindex')"
        )
    context.close()


def test_every_guideline_page_reflows_to_the_narrowest_screen(
    browser: Browser, sample_build: Path
) -> None:
    # WCAG 1.4.10 Reflow: at 320 CSS pixels a guideline, its document control and its references
    # are read without scrolling sideways (long ids and addresses break instead).
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True)
    site = sample_build / "html"
    wide = []
    with serve(site) as url:
        page = context.new_page()
        for name in [n for n in site_pages(site) if n.startswith("guidelines/")]:
            page.goto(f"{url}/{name}")
            for part in (
                ".guidepress-document-control .table-wrapper",
                ".guidepress-references",
                "html",
            ):
                if page.locator(part).first.evaluate("e => e.scrollWidth > e.clientWidth"):
                    wide.append(f"{name}: {part}")
    context.close()
    assert not wide, "wider than a 320 px screen:\n" + "\n".join(wide)


@pytest.fixture
def archive(approved: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    new_version(approved, "1.1")
    assert release(approved, "2026.2", archive).returncode == 0
    return archive


def test_old_release_banner_and_switcher_work_in_the_browser(
    browser: Browser, archive: Path
) -> None:
    context = browser.new_context(**VIEWS["desktop-light"])
    with serve(archive.parent) as host:
        url = f"{host}/{archive.name}"  # published under a sub-path, as on GitHub Pages
        page = context.new_page()
        page.goto(f"{url}/2026.1/guidelines/p.html")
        banner = page.locator(".guidepress-old-release")
        banner.wait_for()
        assert "release 2026.1, which is not the current one" in banner.inner_text()
        assert violations(page) == []

        banner.get_by_role("link").click()
        page.wait_for_url(f"{url}/2026.2/guidelines/p.html")
        assert "A revised statement" in page.content()
        page.locator(".guidepress-versions").wait_for()
        assert page.locator(".guidepress-old-release").count() == 0

        switcher = page.locator(".guidepress-versions details")
        assert switcher.locator("summary").inner_text().startswith("Version 2026.2 (current)")
        switcher.locator("summary").click()
        links = switcher.get_by_role("link")
        assert links.all_inner_texts()[0].startswith("2026.2 (current)")
        assert links.nth(0).get_attribute("aria-current") == "page"
        assert violations(page) == []
        links.nth(1).click()
        page.wait_for_url(f"{url}/2026.1/guidelines/p.html")
        assert "A revised statement" not in page.content()
    context.close()


def test_latest_alias_has_no_banner_and_archive_pages_are_accessible(
    browser: Browser, archive: Path
) -> None:
    context = browser.new_context(**VIEWS["desktop-dark"])
    with serve(archive) as url:
        page = context.new_page()
        page.goto(f"{url}/latest/guidelines/p.html")
        page.locator(".guidepress-versions").wait_for()
        assert page.locator(".guidepress-old-release").count() == 0
        assert (
            page.locator(".guidepress-versions summary")
            .inner_text()
            .startswith("Version 2026.2 (current)")
        )
        page.goto(f"{url}/index.html")
        page.wait_for_url(f"{url}/latest/index.html")  # the archive's front door sends readers on
        page.goto(f"{url}/downloads.html")
        assert page.locator('a[href="2026.2/pdf/test-page-v1.1.pdf"]').count() == 1
        assert violations(page) == []
    context.close()


def test_every_released_page_leads_to_the_downloads_page(browser: Browser, archive: Path) -> None:
    # The downloads page is where a clinic checks a PDF it holds: the site must lead there, from a
    # guideline's PDF link (plain HTML) and from the versions box on any page.
    context = browser.new_context(**VIEWS["phone"])
    with serve(archive.parent) as host:
        url = f"{host}/{archive.name}"
        page = context.new_page()
        for start in ("2026.1/guidelines/p.html", "latest/guidelines/p.html"):
            page.goto(f"{url}/{start}")
            page.locator(".guidepress-pdf-link").get_by_role(
                "link", name="Check which version it is"
            ).click()
            page.wait_for_url(f"{url}/downloads.html#check")
            assert page.get_by_role("heading", name="Check a PDF you hold").is_visible()
        page.goto(f"{url}/2026.2/index.html")
        page.locator(".guidepress-versions").get_by_role(
            "link", name=re.compile("^Downloads")
        ).click()
        page.wait_for_url(f"{url}/downloads.html")
        page.get_by_role("link", name="Read the library's website").click()  # and back
        page.wait_for_url(f"{url}/latest/index.html")
    context.close()


def check_pdf(page: Page, pdf: Path, shows: str) -> str:
    """Give the downloads page's checker a PDF; its verdict, once it says `shows`. While it works it
    says "Checking compendium.pdf…", which may hold the very word awaited: wait past that."""
    page.get_by_label("PDF to check:").set_input_files(str(pdf))
    page.wait_for_function(
        "(shows) => { const text = document.getElementById('check-result').textContent;"
        " return !text.startsWith('Checking') && text.includes(shows); }",
        arg=shows,
    )
    return page.locator("#check-result").inner_text()


def test_a_clinic_can_check_which_version_a_pdf_is_on_the_downloads_page(
    browser: Browser, archive: Path, tmp_path: Path
) -> None:
    altered = tmp_path / "altered.pdf"
    altered.write_bytes((archive / "2026.2/pdf/test-page-v1.1.pdf").read_bytes() + b"\n% edited")
    context = browser.new_context(**VIEWS["desktop-light"])
    with serve(archive) as url:
        page = context.new_page()
        page.goto(f"{url}/downloads.html")
        verdict = check_pdf(page, archive / "2026.2/pdf/test-page-v1.1.pdf", "SHA-256")
        assert "version 1.1, published in release 2026.2" in verdict
        assert "It is the current approved version." in verdict

        verdict = check_pdf(page, archive / "2026.1/pdf/test-page-v1.0.pdf", "superseded")
        assert "version 1.0, published in release 2026.1" in verdict
        page.locator("#check-result").get_by_role(
            "link", name="Download the current version"
        ).click()
        page.wait_for_url(f"{url}/2026.2/pdf/test-page-v1.1.pdf")

        page.goto(f"{url}/downloads.html")
        verdict = check_pdf(page, archive / "2026.2/pdf/compendium.pdf", "compendium")
        assert "the compendium of the whole library, published in release 2026.2" in verdict
        assert "It is the current release." in verdict
        verdict = check_pdf(page, archive / "2026.1/pdf/compendium.pdf", "superseded")
        assert "published in release 2026.1" in verdict
        current = page.locator("#check-result").get_by_role(
            "link", name="Download the current compendium"
        )
        assert current.get_attribute("href") == "2026.2/pdf/compendium.pdf"

        assert "do not rely on it" in check_pdf(page, altered, "does not match")
    # A copy of the archive on a clinic's shared drive, opened without any web server.
    page = context.new_page()
    page.goto((archive / "downloads.html").as_uri())
    verdict = check_pdf(page, archive / "2026.2/pdf/test-page-v1.1.pdf", "SHA-256")
    assert "It is the current approved version." in verdict
    context.close()


def test_a_guideline_read_after_its_next_review_date_is_marked_overdue(
    browser: Browser, archive: Path
) -> None:
    # The test page is due for review on 2027-01-10; the site was built long before that day.
    with serve(archive) as url:
        for day, overdue in (("2027-01-10T12:00:00", False), ("2027-01-11T09:00:00", True)):
            context = browser.new_context(**VIEWS["desktop-light"])
            page = context.new_page()
            page.clock.set_fixed_time(day)
            page.goto(f"{url}/latest/guidelines/p.html")
            due = page.locator("#document-control .guidepress-next-review")
            assert due.inner_text().startswith("2027-01-10")
            assert ("review overdue" in due.inner_text()) is overdue
            page.goto(f"{url}/downloads.html")
            assert (
                "review overdue" in page.locator("tbody .guidepress-next-review").inner_text()
            ) is overdue
            verdict = check_pdf(
                page, archive / "2026.2/pdf/test-page-v1.1.pdf", "current approved version"
            )
            assert ("it was due for review on 2027-01-10" in verdict) is overdue
            if overdue:
                assert violations(page) == []
            context.close()


def test_checking_a_retired_guidelines_pdf_says_not_to_use_it(
    browser: Browser, approved: Path, tmp_path: Path
) -> None:
    add_retired_page(approved)
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    context = browser.new_context(**VIEWS["desktop-light"])
    with serve(archive) as url:
        page = context.new_page()
        page.goto(f"{url}/downloads.html")
        assert "it is withdrawn, do not use it" in check_pdf(
            page, archive / "2026.1/pdf/old-advice-v1.0.pdf", "retired"
        )
        assert violations(page) == []
    context.close()


def test_a_pdf_of_the_current_version_from_an_earlier_release_is_current(
    browser: Browser, approved: Path, tmp_path: Path
) -> None:
    # The page is unchanged, but the second release prints another publication address on its PDF:
    # a clinic holding the first release's file holds the current version all the same.
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    with (approved / "pyproject.toml").open("a") as settings:
        settings.write('publication_url = "https://guidelines.example.org/"\n')
    # A change to the settings, signed by the reviewer (the approved fixture's git signs as them).
    git(approved, "commit", "-S", "-qam", "Name the publication address")
    assert release(approved, "2026.2", archive).returncode == 0
    first, second = (archive / f"{r}/pdf/test-page-v1.0.pdf" for r in ("2026.1", "2026.2"))
    assert first.read_bytes() != second.read_bytes()
    context = browser.new_context(**VIEWS["desktop-light"])
    with serve(archive) as url:
        page = context.new_page()
        page.goto(f"{url}/downloads.html")
        verdict = check_pdf(page, first, "SHA-256")
        assert "version 1.0, published in release 2026.1" in verdict
        assert "It is the current approved version." in verdict
    context.close()


def _script_cases() -> list[dict[str, Any]]:
    """The bad-input cases whose page or files would run script if they were published."""
    cases = [
        case
        for area in ("safety", "source")
        for case in yaml.safe_load((CASES / f"{area}.yaml").read_text(encoding="utf-8"))
    ]
    return [case for case in cases if re.search(r"alert\(|<script|javascript:|onload", str(case))]


def _recorder(ran: list[str], name: str) -> Callable[[Dialog], None]:
    def record(dialog: Dialog) -> None:  # alert(), confirm(): the payloads' sign of life
        ran.append(f"{name}: {dialog.message}")
        dialog.dismiss()

    return record


def test_no_script_from_a_hostile_page_runs_in_the_browser(
    browser: Browser, tmp_path: Path
) -> None:
    # Every script case, built by sphinx-build alone (no `guidepress validate` before it), then
    # every page and every file the site offers opened in Chromium: no script may run.
    cases = _script_cases()
    assert len(cases) >= 10
    ran: list[str] = []
    context = browser.new_context()
    for number, case in enumerate(cases):
        root = tmp_path / f"case-{number}"
        write_case(root, case)
        build = subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-c", str(root), str(root / "docs"),
             str(root / "site")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert "Traceback" not in build.stderr, build.stderr
        site = root / "site"
        offered = [p for p in site.rglob("*") if p.is_file() and p.suffix != ".js"]
        with serve(site) as url:
            page = context.new_page()
            page.on("dialog", _recorder(ran, case["name"]))
            for path in offered:
                if path.suffix in (".html", ".htm", ".xhtml", ".svg", ".png", ".txt", ".shtml"):
                    page.goto(f"{url}/{path.relative_to(site).as_posix()}")
                    for link in page.locator("a[href^='javascript:']").all():
                        ran.append(f"{case['name']}: a script link {link.get_attribute('href')}")
            page.close()
    context.close()
    assert ran == []
