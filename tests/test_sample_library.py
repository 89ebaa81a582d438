"""The sample library, built once for the session by the real `guidepress build`."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from guidepress.schemas import Guideline
from guidepress.validators.source import read_page
from guidepress.vancouver import nlm_date
from tests.conftest import REPO, run_cli, sign_as
from tests.test_release import commit_all

GUIDELINES = sorted((REPO / "docs" / "guidelines").glob("*.md"))


def model_of(path: Path) -> Guideline:
    page, problems = read_page(path, str(path), needs_front_matter=True)
    assert page is not None, problems
    return Guideline.check(page.data)


def text_of(page_html: str) -> str:
    article = page_html[page_html.index("<article") : page_html.index("</article>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article)))


def test_library_has_at_least_six_guidelines_of_both_types() -> None:
    models = [model_of(path) for path in GUIDELINES]
    assert len([m for m in models if m.type == "guideline"]) >= 6
    assert any(m.type == "patient-info" for m in models)


@pytest.mark.parametrize("path", GUIDELINES, ids=[p.stem for p in GUIDELINES])
def test_page_shows_its_document_control(sample_build: Path, path: Path) -> None:
    model = model_of(path)
    page_html = (sample_build / "html" / "guidelines" / f"{path.stem}.html").read_text(
        encoding="utf-8"
    )
    text = text_of(page_html)
    # From the title: the status warning and the summary come before the folded table.
    control = text[: text.index("Page id")]
    assert "Document control" in control
    assert f"Version {model.version}" in control
    assert f"Last reviewed {model.review_date.isoformat()}" in control
    assert f"Next review due {model.next_review_date.isoformat()}" in control
    for person in [*model.authors, *model.reviewers]:
        assert person.name in control
        assert person.role in control
    assert model.conflicts_of_interest in control
    assert model.funding in control
    references = text[text.index("References ¶") : text.index("Change history ¶")]
    for reference in model.references:
        assert reference.title in references
        if reference.accessed:
            assert f"[accessed {nlm_date(reference.accessed)}]" in references
        if reference.doi:
            assert f'href="https://doi.org/{reference.doi}"' in page_html
        assert f'id="ref-{reference.id}"' in page_html
    assert f"Changes in version {model.version}:" in text
    assert "not clinically reviewed" in text or "has not been clinically reviewed" in text
    not_approved = "it is not approved for use" in control
    assert not_approved == (model.status != "approved")


def test_every_citation_links_to_its_reference(sample_build: Path) -> None:
    for path in GUIDELINES:
        page_html = (sample_build / "html" / "guidelines" / f"{path.stem}.html").read_text(
            encoding="utf-8"
        )
        targets = set(re.findall(r'class="guidepress-citation[^"]*" href="#([^"]+)"', page_html))
        assert targets, path.name
        assert all(f'id="{target}"' in page_html for target in targets)
        assert "[?]" not in page_html


def test_reference_docs_are_generated_from_the_models(sample_build: Path) -> None:
    fields_html = (sample_build / "html" / "reference" / "fields.html").read_text(encoding="utf-8")
    for name in Guideline.model_fields:
        assert f'<span class="pre">{name}</span>' in fields_html
    assert "table of guideline | patient-info = whole number" in fields_html  # required_approvals
    codes_html = (sample_build / "html" / "reference" / "diagnostics.html").read_text(
        encoding="utf-8"
    )
    assert "url-needs-accessed" in codes_html
    assert "unsafe-content" in codes_html


def test_build_output_is_never_in_the_checkout(sample_build: Path) -> None:
    assert not sample_build.is_relative_to(REPO)
    assert (sample_build / "html" / "index.html").is_file()
    assert not list(sample_build.glob(".html-*"))  # no staging folder left behind


def test_no_table_row_fell_out_of_its_table(sample_build: Path) -> None:
    # A line between a Markdown table's rows ends the table: the rows after it print as text.
    for page in sorted((sample_build / "html").rglob("*.html")):
        text = re.sub(r"<pre.*?</pre>", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        stray = re.findall(r"^\|.*\|(?:</p>)?$", text, flags=re.MULTILINE)
        assert not stray, f"{page.name}: {stray}"


def test_the_sample_library_releases_its_approved_guidelines(
    tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]
) -> None:
    # The sample keeps a draft and an in-review page on purpose (they show the DRAFT watermark),
    # and a release refuses those: released without them, the approved pages publish once their
    # placeholder reviewer, given a test key, has approved them, signed (the sample's own
    # approvals are placeholders that nobody signed, so a release rightly refuses them).
    root = tmp_path_factory.mktemp("sample-release") / "library"
    for name in ("docs", "conf.py", "pyproject.toml", "reviewers.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("_build"))
        else:
            shutil.copy2(source, root / name)
    index = root / "docs" / "index.md"
    for path in (root / "docs" / "guidelines").glob("*.md"):
        if re.search(r"^status: (draft|in-review)$", path.read_text("utf-8"), re.MULTILINE):
            path.unlink()
            listed = f"guidelines/{path.stem}\n"
            index.write_text(index.read_text("utf-8").replace(listed, ""), "utf-8")
    registry = root / "reviewers.yaml"
    public = Path(f"{keys['reviewer']}.pub").read_text("utf-8").strip()
    registry.write_text(
        registry.read_text("utf-8").replace(
            "  - name: Example Reviewer\n",
            f'  - name: Example Reviewer\n    signing_key: "{public}"\n',
        ),
        "utf-8",
    )
    commit_all(root, signed_with=keys["reviewer"])
    sign_as(root, keys["reviewer"], "reviewer@example.org")
    for page in sorted((root / "docs" / "guidelines").glob("*.md")):
        name = page.relative_to(root).as_posix()
        approved = run_cli("approve", name, "--reviewer", "Example Reviewer", cwd=root)
        assert approved.returncode == 0, approved.stderr
    archive = root.parent / "archive"
    result = run_cli("release", "2026.1", "--archive", str(archive), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    versions = json.loads((archive / "versions.json").read_text("utf-8"))
    released = {guideline["id"] for guideline in versions[0]["guidelines"]}
    assert "hepatic-artery-embolisation" in released
    assert len(released) == 5
