"""Recommendations: rendered boxes and numbering on the web page and in the PDF, the key
recommendations that open a page, change tags computed from git history across two versions,
the catalogue against its published schema, and readability figures. The directive's bad inputs
are cases as data (tests/cases/recommendations.yaml)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from docutils import frontend, nodes
from docutils.utils import new_document

from guidepress.cli import main
from guidepress.recommendations import BOX, number_boxes
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.approvals import content_digest
from guidepress.validators.readability import measure, prose
from guidepress.validators.source import parse_page
from tests.conftest import REPO, in_git, make_project, run_cli, valid_page
from tests.test_editor_schema import BIN

BODY = "A statement {cite}`web` and another {cite}`article`."
PAGE = "docs/guidelines/test-page.md"
CATALOGUE_SCHEMA = REPO / "schemas" / "catalogue.schema.json"


def recommendation(rec_id: str, text: str, *options: str, rationale: str = "") -> str:
    lines = ["````{recommendation}", f":id: {rec_id}", *options, "", text]
    if rationale:
        lines += ["", "```{rationale}", rationale, "```"]
    return "\n".join([*lines, "````", ""])


GRADED = (":strength: conditional", ":direction: for", ":certainty: low", ":evidence: article")
STATEMENT = (":strength: practice-statement",)


def page_with(*recommendations: str, version: str = "1.0", extra_history: str = "") -> str:
    text = valid_page().replace(BODY, BODY + "\n\n" + "\n".join(recommendations))
    if version != "1.0":
        text = text.replace('version: "1.0"\nstatus', f'version: "{version}"\nstatus', 1)
        text = text.replace(
            "change_history:\n",
            f'change_history:\n  - version: "{version}"\n    date: 2026-05-01\n'
            f"    summary: Second version.\n{extra_history}",
            1,
        )
    return text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("recommendations")
    text = page_with(
        recommendation("test-offer", "Offer the *test* to adults.", *GRADED, rationale="A trial."),
        recommendation("test-discuss", "Discuss the choice with the patient.", *STATEMENT),
    )
    make_project(root, {"guidelines/test-page.md": text})
    result = run_cli("--root", str(root), "build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "_build" / "html"


def article(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


def test_boxes_are_numbered_linkable_and_graded_on_the_web_page(built: Path) -> None:
    page = article((built / "guidelines" / "test-page.html").read_text(encoding="utf-8"))
    boxes = re.findall(r'<div class="guidepress-recommendation ([^"]*)" id="([^"]+)">', page)
    assert boxes == [
        ("guidepress-conditional docutils container", "rec-test-offer"),
        ("guidepress-practice-statement docutils container", "rec-test-discuss"),
    ]
    first = page[page.index('id="rec-test-offer"') : page.index('id="rec-test-discuss"')]
    assert "<strong>Recommendation 1</strong>" in first
    assert "Conditional recommendation for; low certainty of evidence. Evidence: [" in first
    assert 'href="#ref-article"' in first  # the evidence is a numbered citation
    # The rationale is folded away, the recommendation itself is not.
    assert re.search(
        r'<details class="guidepress-rationale"><summary>Rationale</summary>\s*<p>A trial', first
    )
    assert "<em>test</em>" in first.split("<details")[0]
    second = page[page.index('id="rec-test-discuss"') :]
    assert "<strong>Recommendation 2</strong>" in second
    assert "Practice statement" in second


def test_the_page_opens_with_its_key_recommendations_then_the_folded_document_control(
    built: Path,
) -> None:
    page = article((built / "guidelines" / "test-page.html").read_text(encoding="utf-8"))
    key = page.index('id="key-recommendations"')
    details = page.index('<details class="guidepress-document-control-details">')
    body = page.index('id="rec-test-offer"')
    assert page.index("guidepress-summary") < key < details < body
    listed = re.findall(
        r'<li><p><a class="reference internal" href="#(rec-[^"]+)">([^<]+)</a>', page
    )
    assert listed[:2] == [
        ("rec-test-offer", "Recommendation 1"),
        ("rec-test-discuss", "Recommendation 2"),
    ]
    assert "Recommendation 1</a> [new 2026]: Offer the test to adults." in page
    # Without key recommendations the document control stays open (the other test page).


def test_a_page_without_recommendations_keeps_its_document_control_open(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/test-page.md": valid_page()})
    assert run_cli("--root", str(tmp_path), "build", cwd=tmp_path).returncode == 0
    page = (tmp_path / "_build/html/guidelines/test-page.html").read_text(encoding="utf-8")
    assert '<details class="guidepress-document-control-details" open>' in page
    assert "key-recommendations" not in page


def test_the_pdf_has_the_key_recommendations_before_the_document_control_and_the_boxes(
    built: Path,
) -> None:
    reader = pypdf.PdfReader(built / "pdf" / "test-page-v1.0.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    key = text.index("Key recommendations")
    control = text.index("Version 1.0")
    assert key < control, text
    assert "1. Recommendation 1 [new 2026]: Offer the test to adults." in text
    assert "2. Recommendation 2 [new 2026]: Discuss the choice with the patient." in text
    boxes = text[text.index("Section") :]
    assert re.search(r"Recommendation 1 \[new 2026\]\s*Conditional recommendation for", boxes)
    assert "Rationale\nA trial." in boxes  # paper does not fold
    assert re.search(r"Recommendation 2 \[new 2026\]\s*Practice statement", boxes)
    # The key list links to the boxes: link annotations that go to a place in the document.
    internal = [
        annotation.get_object()
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if annotation.get_object().get("/Subtype") == "/Link"
        and "/URI" not in annotation.get_object().get("/A", {})
    ]
    assert len(internal) >= 2


def against_catalogue_schema(instance: Path) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "check-jsonschema"), "--schemafile", str(CATALOGUE_SCHEMA), str(instance)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_catalogue_lists_pages_and_recommendations_and_meets_its_schema(built: Path) -> None:
    catalogue = json.loads((built / "catalogue.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in catalogue["pages"]] == ["test-page"]
    assert catalogue["pages"][0]["recommendations"] == ["test-offer", "test-discuss"]
    offer, discuss = catalogue["recommendations"]
    assert offer["text"] == "Offer the test to adults."
    assert (offer["strength"], offer["certainty"], offer["number"]) == ("conditional", "low", 1)
    assert offer["evidence"][0]["doi"] == "10.1234/example.5678"
    assert offer["url"] == "guidelines/test-page.html#rec-test-offer"
    assert (discuss["certainty"], discuss["change"]) == (None, "[new 2026]")
    checked = against_catalogue_schema(built / "catalogue.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = dict(catalogue, recommendations=[dict(offer, strength="weak")])
    (built.parent / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    assert against_catalogue_schema(built.parent / "broken.json").returncode == 1


def test_the_committed_catalogue_schema_is_the_models() -> None:
    printed = run_cli("schema", "--catalogue", cwd=REPO)
    assert printed.returncode == 0, printed.stderr
    assert CATALOGUE_SCHEMA.read_text(encoding="utf-8") == printed.stdout, (
        "schemas/catalogue.schema.json is out of date: guidepress schema --catalogue > "
        "schemas/catalogue.schema.json"
    )


def approve_in_place(path: Path) -> None:
    """Mark the page approved with an approval whose digest is its content (what the change
    tags need of an earlier version; who approved is verify-approvals' business)."""
    text = path.read_text(encoding="utf-8").replace("status: draft", "status: approved", 1)
    page, _ = parse_page(text, str(path), needs_front_matter=True)
    assert page is not None
    digest = content_digest(page.data, page.body)
    approval = (
        "approvals:\n  - reviewer: Example Reviewer\n    date: 2025-03-02\n"
        f'    version: "1.0"\n    digest: {digest}\n'
    )
    path.write_text(text.replace("funding:", approval + "funding:", 1), encoding="utf-8")


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=editor", "-c", "user.email=editor@example.org"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def second_version(tmp_path: Path) -> Path:
    """Version 1.0 (2025) approved in git with three recommendations; version 1.1 (2026) in the
    working tree amends one, keeps one, removes one and adds one."""
    first = page_with(
        recommendation("test-offer", "Offer the test to adults.", *STATEMENT),
        recommendation("test-discuss", "Discuss the choice with the patient.", *STATEMENT),
        recommendation("test-repeat", "Repeat the test yearly.", *STATEMENT),
    ).replace("date: 2026-01-10", "date: 2025-03-01")
    make_project(tmp_path, {"guidelines/test-page.md": first})
    approve_in_place(tmp_path / PAGE)
    in_git(tmp_path)
    second = page_with(
        recommendation("test-offer", "Offer the test to adults and children.", *STATEMENT),
        recommendation("test-discuss", "Discuss the choice with the patient.", *STATEMENT),
        recommendation("test-explain", "Explain the result.", *STATEMENT),
        version="1.1",
        extra_history="    removed: [test-repeat]\n",
    ).replace("date: 2026-01-10", "date: 2025-03-01")
    (tmp_path / PAGE).write_text(second, encoding="utf-8")
    return tmp_path


def test_change_tags_and_changes_are_computed_against_the_last_approved_version(
    second_version: Path,
) -> None:
    result = run_cli("--root", str(second_version), "build", cwd=second_version)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (second_version / "_build/html/guidelines/test-page.html").read_text()
    tags = re.findall(r'<span class="guidepress-change-tag">([^<]+)</span>', html)
    assert tags == ["[amended 2026]", "[2025]", "[new 2026]"]
    changes = html[html.index('id="changes-in-this-version"') : html.index('id="change-history"')]
    assert "Against version 1.0, the last approved version" in changes
    assert "Recommendation 3</a> added: Explain the result." in changes
    assert "Recommendation 1</a> amended: Offer the test to adults and children." in changes
    assert "Removed: test-repeat (the change history says why)." in changes
    assert "Repeat the test yearly" not in html  # history's words are not this page's
    assert "test-discuss" not in changes.replace("rec-test-discuss", "")
    catalogue = json.loads((second_version / "_build/html/catalogue.json").read_text())
    assert [r["change"] for r in catalogue["recommendations"]] == tags
    reader = pypdf.PdfReader(second_version / "_build/html/pdf/test-page-v1.1.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Recommendation 1 [amended 2026]" in text
    assert "Recommendation 2 [2025]" in text


def test_a_recommendation_removed_without_a_change_history_entry_is_an_error(
    second_version: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = second_version / PAGE
    page.write_text(page.read_text().replace("    removed: [test-repeat]\n", ""), encoding="utf-8")
    monkeypatch.chdir(second_version)
    status = main(["validate", "--today", "2026-06-01", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert status == 1
    assert [(d["code"], d["line"]) for d in found] == [("recommendation-removed", 35)]
    assert "'test-repeat' of approved version 1.0" in found[0]["message"]
    assert "add `removed: [test-repeat]`" in found[0]["message"]


def test_recommendation_ids_are_unique_in_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = page_with(recommendation("shared-id", "Do this.", *STATEMENT))
    other = one.replace("id: test-page", "id: other-page")
    make_project(tmp_path, {"guidelines/test-page.md": one, "guidelines/w-other.md": other})
    monkeypatch.chdir(tmp_path)
    status = main(["validate", "--today", "2026-06-01", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert status == 1
    assert [(d["path"], d["code"], d["line"]) for d in found] == [
        ("docs/guidelines/w-other.md", "duplicate-recommendation-id", 45)
    ]
    assert "already used in docs/guidelines/test-page.md" in found[0]["message"]


def test_a_recommendation_outside_a_guideline_page_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, {"about.md": "# About\n\n" + recommendation("x-1", "Do.", *STATEMENT)})
    monkeypatch.chdir(tmp_path)
    status = main(["validate", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert status == 1
    assert [(d["code"], d["line"]) for d in found] == [("recommendation-misplaced", 3)]


def test_readability_figures_on_a_known_text() -> None:
    # Three sentences, 13 words, 14 syllables (only "item" has two), no word of three syllables:
    # Flesch 206.835 - 1.015 * 13/3 - 84.6 * 14/13 = 111.3; Flesch-Kincaid 0.39 * 13/3 + 11.8 *
    # 14/13 - 15.59 = -1.2; SMOG 1.043 * sqrt(0) + 3.1291 = 3.1. Headings are not sentences.
    figures = measure(
        "The cat sat on the mat.\n\nThe dog ran to the park.\n\n## Heading\n\n- a list item\n"
    )
    assert figures is not None
    assert figures.reading_ease == pytest.approx(111.3, abs=0.5)
    assert figures.grade == pytest.approx(-1.2, abs=0.3)
    assert figures.smog == pytest.approx(3.1, abs=0.1)
    assert measure("## Only a heading\n") is None
    body = "One.\n\n```{note}\nTwo.\n\nThree\n```\n\nFour.\n\n- five\n"
    assert prose(body) == "One. Two. Three. Four. five."  # every paragraph, each a sentence


def test_max_reading_grade_is_a_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = valid_page().replace("type: guideline", "type: patient-info")
    # Grade 9.4: under the limit of 10, over that of 9.
    sentence = "Your nurse will check your blood pressure and temperature regularly after the"
    text = text.replace(BODY, f"{sentence} procedure {{cite}}`web` {{cite}}`article`.")
    make_project(tmp_path, {"guidelines/test-page.md": text}, settings="max_reading_grade = 10")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--today", "2026-06-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnostics"] == []
    (tmp_path / "pyproject.toml").write_text("[tool.guidepress]\nmax_reading_grade = 9\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--today", "2026-06-01", "--format", "json"]) == 0  # a warning
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [d["code"] for d in found] == ["reading-level"]
    assert "Flesch-Kincaid grade 9.4" in found[0]["message"]
    assert "limit is grade 9 (max_reading_grade)" in found[0]["message"]


def boxes_doctree(*ids: str) -> nodes.document:
    document = new_document("page.md", frontend.get_default_settings())
    for rec_id in ids:
        box = nodes.container(classes=[BOX])
        box["recommendation"] = rec_id
        box += nodes.paragraph("Give 100 mg.", "Give 100 mg.")
        document += box
    return document


def test_a_box_the_checks_did_not_read_is_refused_not_rendered() -> None:
    # Behind the pipeline: should MyST ever read a recommendation the checks did not (a second
    # box with a checked id, or one of its own), no box of the page is published.
    checked = Recommendation(id="a-one", strength="practice-statement", text="Give 10 mg.")
    document = boxes_doctree("a-one", "a-one")
    number_boxes(document, [checked], {"a-one": "[new 2026]"})
    assert not [n for n in document.findall(nodes.container) if BOX in n["classes"]]
    assert len(list(document.findall(nodes.error))) == 2
    matched = boxes_doctree("a-one")
    number_boxes(matched, [checked], {"a-one": "[new 2026]"})
    assert "Recommendation 1" in matched.astext()


def test_history_is_read_right_when_the_page_was_once_a_folder(second_version: Path) -> None:
    # Names chosen to look like git cat-file's own answers: a reader that trusted them would
    # lose its place, crash or wait for ever.
    page = second_version / PAGE
    current = page.read_text(encoding="utf-8")
    git(second_version, "rm", "-qf", PAGE)
    page.mkdir(parents=True)  # git took the emptied folder away
    (page / "blob zz").write_text("x", encoding="utf-8")
    (page / "blob 99999999\nz").write_text("x", encoding="utf-8")
    git(second_version, "add", "-A")
    git(second_version, "commit", "-qm", "A folder")
    git(second_version, "rm", "-rq", PAGE)
    page.parent.mkdir(exist_ok=True)  # git took the emptied folder away
    page.write_text(current, encoding="utf-8")
    result = run_cli("--root", str(second_version), "build", cwd=second_version)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (second_version / "_build/html/guidelines/test-page.html").read_text(encoding="utf-8")
    tags = re.findall(r'<span class="guidepress-change-tag">([^<]+)</span>', html)
    assert tags == ["[amended 2026]", "[2025]", "[new 2026]"]
