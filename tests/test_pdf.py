"""The PDFs of the sample library, read back with pypdf: content, marks, accessibility, bytes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import zlib
from pathlib import Path

import pypdf
import pytest

from guidepress.pdf import PdfError, compile_all
from guidepress.schemas import Guideline
from guidepress.vancouver import nlm_date
from tests.conftest import REPO, make_project, run_cli, valid_page
from tests.test_sample_library import GUIDELINES, model_of

MODELS = [model_of(path) for path in GUIDELINES]


def pdf_path(build: Path, model: Guideline) -> Path:
    return build / "html" / "pdf" / f"{model.id}-v{model.version}.pdf"


def text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(value: str) -> str:
    return " ".join(value.split())


@pytest.mark.parametrize("model", MODELS, ids=[m.id for m in MODELS])
def test_guideline_pdf_content_and_metadata(sample_build: Path, model: Guideline) -> None:
    reader = pypdf.PdfReader(pdf_path(sample_build, model))
    content = flat(text(reader))
    assert reader.metadata.title == model.title
    assert reader.metadata.author == ", ".join(p.name for p in model.authors)
    assert reader.metadata.subject == model.summary
    assert all(word in reader.metadata["/Keywords"] for word in model.keywords)
    assert reader.trailer["/Root"]["/Lang"] == model.language
    assert f"Version {model.version}" in content
    assert f"Last reviewed {model.review_date.isoformat()}" in content
    assert f"Next review due {model.next_review_date.isoformat()}" in content
    for reviewer in model.reviewers:
        assert reviewer.name in content
    for reference in model.references:
        assert flat(reference.title) in content
        if reference.accessed:
            assert f"[accessed {nlm_date(reference.accessed)}]" in content
    assert "check the library's website for the current approved version" in content
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        footer = flat(page.extract_text())
        assert f"{model.id} v{model.version}" in footer
        assert f"Page {number} of {pages}" in footer
        assert "Uncontrolled when printed" in footer
        # A DRAFT mark on every page exactly when the guideline is not approved.
        assert ("DRAFT" in footer) == (model.status != "approved")


def test_doi_links_are_real_link_annotations(sample_build: Path) -> None:
    model = next(m for m in MODELS if any(r.doi for r in m.references))
    reader = pypdf.PdfReader(pdf_path(sample_build, model))
    uris = {
        annot.get_object()["/A"].get("/URI")
        for page in reader.pages
        for annot in page.get("/Annots", [])
        if annot.get_object().get("/A")
    }
    doi = next(r.doi for r in model.references if r.doi)
    assert f"https://doi.org/{doi}" in uris


@pytest.mark.parametrize("name", ["compendium.pdf", f"{MODELS[0].id}-v{MODELS[0].version}.pdf"])
def test_pdf_is_tagged_pdf_ua_with_embedded_fonts(sample_build: Path, name: str) -> None:
    reader = pypdf.PdfReader(sample_build / "html" / "pdf" / name)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp or 'pdfuaid:part="1"' in xmp
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                fonts[descriptor["/FontName"]] = any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
    assert fonts, "the PDF names no fonts"
    assert all(fonts.values()), fonts


def test_compendium_holds_every_guideline(sample_build: Path) -> None:
    reader = pypdf.PdfReader(sample_build / "html" / "pdf" / "compendium.pdf")
    content = flat(text(reader))
    assert reader.metadata.title.startswith("NET liver-directed therapies")
    assert (
        "This copy was built from the library's sources and is not a published release." in content
    )
    for model in MODELS:
        assert flat(model.title) in content
    outline_titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline_titles == [
        m.title for m in sorted(MODELS, key=lambda m: outline_titles.index(m.title))
    ]
    for page in reader.pages:  # the watermark follows the guideline each page belongs to
        page_text = page.extract_text()
        owner = next((m for m in MODELS if f"{m.id} v{m.version}" in page_text), None)
        if owner is not None:
            assert ("DRAFT" in page_text) == (owner.status != "approved"), owner.id


def test_html_pages_link_their_pdf(sample_build: Path) -> None:
    for model, path in zip(MODELS, GUIDELINES, strict=True):
        page_html = (sample_build / "html" / "guidelines" / f"{path.stem}.html").read_text(
            encoding="utf-8"
        )
        assert f'href="../pdf/{model.id}-v{model.version}.pdf"' in page_html


def test_two_builds_give_byte_identical_pdfs(sample_build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again"
    shutil.copytree(sample_build.parent, copy, ignore=shutil.ignore_patterns("_build"))
    result = run_cli("--root", str(copy), "build", "--compendium", cwd=copy)
    assert result.returncode == 0, result.stderr

    def digests(build: Path) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((build / "html" / "pdf").glob("*.pdf"))
        }

    first, second = digests(sample_build), digests(copy / "_build")
    assert len(first) == len(MODELS) + 1
    assert first == second


def test_one_edit_recompiles_that_guideline_and_the_compendium_only_when_asked(
    sample_build: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "edit"
    shutil.copytree(sample_build.parent, copy)  # with its _build, so the PDF cache is warm
    page = (
        copy / "docs" / "guidelines" / "hepatic-arterial-infusion.md"
    )  # a draft: no approval to lapse
    page.write_text(page.read_text().replace("carries blood to the liver", "supplies the liver"))

    def build(*flags: str) -> str:
        result = run_cli("--root", str(copy), "build", *flags, cwd=copy)
        assert result.returncode == 0, result.stderr
        return result.stderr

    edited = build()
    assert "compiled 1 PDF(s) (hepatic-arterial-infusion-v1.0.pdf), reused 6 unchanged" in edited
    pdfs = copy / "_build" / "html" / "pdf"
    assert not (pdfs / "compendium.pdf").exists()  # never an earlier library's compendium
    assert "compiled 1 PDF(s) (compendium.pdf), reused 7 unchanged" in build("--compendium")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdfs / "compendium.pdf").pages)
    assert "supplies the liver" in " ".join(text.split())
    build()  # a build without it keeps the compendium in the cache for the next that asks
    assert "compiled 0 PDF(s), reused 8 unchanged" in build("--compendium")


def test_unsupported_content_fails_the_build_naming_the_page(tmp_path: Path) -> None:
    page = valid_page() + "\n$$\nE = mc^2\n$$\n"
    # Other pages keep the website's half of the build writing while the PDF half fails.
    others = {
        f"guidelines/o{n}.md": valid_page().replace("id: test-page", f"id: o{n}") for n in range(20)
    }
    make_project(
        tmp_path,
        {"guidelines/p.md": page.replace("{cite}`web`", "{cite}`web` {math}`x`"), **others},
    )
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(
        r"docs/guidelines/p\.md:\d+: WARNING: error: the PDF writer cannot render a 'math'",
        result.stderr,
    )
    assert "guidepress-typst build reported problems" in result.stderr
    assert "internal error" not in result.stderr  # the failing half deleted nothing in use
    assert not (tmp_path / "_build" / "html").exists()
    again = run_cli("build", cwd=tmp_path)  # nothing changed, and it still fails
    assert again.returncode == 1
    assert "cannot render a 'math'" in again.stderr


def test_links_within_a_page_go_to_their_section_in_the_pdf(tmp_path: Path) -> None:
    body = (
        "\nSee {ref}`dose-section` and [the dose section](#dose-section).\n\n"
        "(dose-section)=\n## Dose\n\nThe dose.\n"
    )
    make_project(tmp_path, {"guidelines/p.md": valid_page() + body})
    result = run_cli("build", "--compendium", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # a link to nowhere stops Typst
    for name in ("test-page-v1.0.pdf", "compendium.pdf"):
        reader = pypdf.PdfReader(tmp_path / "_build" / "html" / "pdf" / name)
        annotations = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])]
        internal = [a for a in annotations if "/Dest" in a or a.get("/A", {}).get("/S") == "/GoTo"]
        assert len(internal) >= 3, name  # the citation and both links to the section


def test_table_titles_alignment_version_notes_and_glossaries_reach_the_pdf(tmp_path: Path) -> None:
    body = (
        "\n```{list-table} Doses by weight\n:header-rows: 1\n\n* - Weight\n  - Dose\n* - 70 kg\n  "
        "- 5 mg\n```\n\n"
        "| Drug | Dose |\n|:--|--:|\n| A | 10 mg |\n\n```{versionchanged} 1.0\nThe dose "
        "table.\n```\n\n"
        "```{glossary}\nTAE\n  Transarterial embolisation.\n```\n\nSee {term}`TAE`.\n\n"
        "```{hlist}\n:columns: 2\n\n- left\n- right\n```\n\n```{centered} Centred words\n```\n\n"
        "{abbr}`PES (post-embolisation syndrome)` is common; {abbr}`PES (post-embolisation "
        "syndrome)` passes.\n\n"
        "```{topic} Before the procedure\nStop eating six hours before.\n```\n\n"
        "```{sidebar} In short\nA side note.\n```\n\n"
        "```{code-block} text\n:caption: Order set\nFBC, U&E\n```\n\nA footnote[^f].\n\n[^f]: Its "
        "words.\n"
    )
    make_project(tmp_path, {"guidelines/p.md": valid_page() + body})
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    words = flat(text(pypdf.PdfReader(tmp_path / "_build" / "html" / "pdf" / "test-page-v1.0.pdf")))
    assert "Table 1: Doses by weight Weight Dose 70 kg 5 mg" in words
    assert "Changed in version 1.0: The dose table." in words
    assert "Versionchanged" not in words
    assert "TAE Transarterial embolisation. See TAE." in words
    assert "• left • right Centred words" in words
    assert (
        "PES (post-embolisation syndrome) is common; PES passes." in words
    )  # spelled out once, on paper
    assert "Before the procedure Stop eating six hours before." in words
    assert "In short A side note." in words
    assert "Listing 1: Order set FBC, U&E" in words
    assert (
        "Change history Changes in version 1.0: First version. Version Date Changes 1.0 "
        "2026-01-10 First version." in words
    )
    markup = (tmp_path / "_build" / ".work" / "typst" / "test-page.body.typ").read_text()
    assert 'table.cell(align: right)[#"10 mg"]' in markup
    assert (
        "#line(" not in markup
    )  # no rule above footnotes: on paper each sits at the foot of its page


def test_a_failed_compile_names_the_page_and_leaves_no_pdf(tmp_path: Path) -> None:
    sources = tmp_path / "typst"
    sources.mkdir()
    (sources / "broken.typ").write_text("#let x = (\n", encoding="utf-8")
    (sources / "manifest.json").write_text(
        json.dumps(
            {
                "broken-v1.0.pdf": {
                    "typ": "broken.typ",
                    "source": "docs/guidelines/broken.md",
                    "id": "broken",
                }
            }
        )
    )
    with pytest.raises(
        PdfError, match=r"docs/guidelines/broken.md: the PDF broken-v1.0.pdf did not compile"
    ):
        compile_all(sources, tmp_path / "out", tmp_path / "cache", compendium=False)
    assert list((tmp_path / "out").iterdir()) == []
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_character_the_fonts_lack_is_located_in_the_page(tmp_path: Path) -> None:
    page = valid_page().replace(
        "A statement", "Doses \u2265 2 GBq, 5 \u00b5g, \u03b2-blockers. \U0001f600 A statement"
    )
    make_project(tmp_path, {"guidelines/p.md": page})
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "docs/guidelines/p.md:42: the PDF test-page-v1.0.pdf did not compile" in result.stderr
    assert "\U0001f600" in result.stderr
    assert "the PDF's fonts have no such character: write it another way" in result.stderr
    assert not (tmp_path / "_build" / "html").exists()


def test_sample_sources_are_untouched() -> None:
    assert not (REPO / "docs" / "_build").exists()


def test_footnotes_lists_quotes_and_code_render(tmp_path: Path) -> None:
    body = """
Text with a footnote[^fn].

[^fn]: The footnote's own words.

- outer item
  1. inner numbered item

> A quoted line.

```text
literal <code> here
```

| Left | Right |
| --- | --- |
| cell one | cell two |

```{warning}
Mind the warning.
```

```{seealso}
The other page.
```

A line ending in two spaces  
breaks before this one.

Ask for [the consent form](https://example.org/form), or see <https://example.org/plain>.
"""
    make_project(
        tmp_path, {"guidelines/p.md": valid_page().replace("status: draft", "status: draft") + body}
    )
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    content = flat(text(pypdf.PdfReader(tmp_path / "_build/html/pdf/test-page-v1.0.pdf")))
    for expected in (
        "footnote\N{RIGHT SINGLE QUOTATION MARK}s own words.",
        "outer item",
        "1. inner numbered item",
        "A quoted line.",
        "literal <code> here",
        "cell one cell two",
        "Warning Mind the warning.",
        "See also The other page.",
    ):
        assert expected in content, expected
    lines = text(pypdf.PdfReader(tmp_path / "_build/html/pdf/test-page-v1.0.pdf")).splitlines()
    assert "A line ending in two spaces" in lines
    assert "breaks before this one." in lines
    # On paper a link's address is a footnote, unless the words are the address or an identifier.
    assert "Ask for the consent form2, or see https://example.org/plain." in content
    assert "2https://example.org/form" in lines
    assert "doi: 10.1234/example.5678. PMID: 12345678." in content


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG file of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def alt_texts(reader: pypdf.PdfReader) -> list[str]:
    """Every /Alt in the PDF's structure tree: what a screen reader says for a figure."""
    found, pending = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        node = pending.pop()
        if isinstance(node, pypdf.generic.IndirectObject):
            node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            pending.append(node.get("/K"))
        elif isinstance(node, pypdf.generic.ArrayObject):
            pending.extend(node)
    return found


IMAGES = """
Inline: ![Bar chart of response rates](chart.png)

```{figure} pathway.png
:alt: Flow chart from referral to treatment
:width: 50%

The referral pathway.
```
"""


def test_images_and_figures_go_into_the_pdf_with_their_alt_text(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page() + IMAGES})
    (tmp_path / "docs/guidelines/chart.png").write_bytes(png(400, 200, (200, 40, 40)))
    (tmp_path / "docs/guidelines/pathway.png").write_bytes(png(800, 300, (40, 40, 200)))
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    pdf = tmp_path / "_build/html/pdf/test-page-v1.0.pdf"
    reader = pypdf.PdfReader(pdf)
    images = [
        x.get_object()
        for page in reader.pages
        for x in page["/Resources"].get("/XObject", {}).values()
    ]
    assert sorted((i["/Width"], i["/Height"]) for i in images if i["/Subtype"] == "/Image") == [
        (400, 200),
        (800, 300),
    ]
    assert "Figure 1: The referral pathway." in flat(text(reader))
    assert {"Bar chart of response rates", "Flow chart from referral to treatment"} <= set(
        alt_texts(reader)
    )
    html = (tmp_path / "_build/html/guidelines/p.html").read_text(encoding="utf-8")
    assert 'alt="Bar chart of response rates"' in html

    before = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (tmp_path / "docs/guidelines/chart.png").write_bytes(
        png(400, 200, (40, 160, 40))
    )  # same name, new picture
    assert run_cli("build", cwd=tmp_path).returncode == 0
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() != before, (
        "a changed image is a changed PDF, not a cached one"
    )


def test_a_remote_image_fails_the_pdf_build_naming_the_page(tmp_path: Path) -> None:
    page = valid_page() + "\n![A remote chart](https://example.org/chart.png)\n"
    make_project(tmp_path, {"guidelines/p.md": page})
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "p.md" in result.stderr
    assert "'https://example.org/chart.png' is not a file in the library" in result.stderr
    assert not (tmp_path / "_build" / "html").exists()


def test_a_damaged_image_is_named_with_the_line_that_shows_it(tmp_path: Path) -> None:
    # The website shows any file the browser may cope with; the PDF must decode it. A PNG cut
    # short in a transfer fails there, and the editor is told which file, on which line.
    page = valid_page() + "\nA pathway:\n\n![The care pathway](pathway.png)\n"
    make_project(tmp_path, {"guidelines/p.md": page})
    (tmp_path / "docs/guidelines/pathway.png").write_bytes(png(400, 200, (40, 40, 200))[:60])
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    line = page.splitlines().index("![The care pathway](pathway.png)") + 1
    assert (
        f"docs/guidelines/p.md:{line}: the image docs/guidelines/pathway.png cannot go into the "
        "PDF test-page-v1.0.pdf" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "_build" / "html").exists()


def test_a_published_pdf_changed_in_place_never_changes_the_cache(tmp_path: Path) -> None:
    sources, out, cache = tmp_path / "typst", tmp_path / "out", tmp_path / "cache"
    sources.mkdir()
    manifest = {"a-v1.0.pdf": {"typ": "a.typ", "source": "docs/guidelines/a.md", "id": "a"}}
    (sources / "manifest.json").write_text(json.dumps(manifest))
    (sources / "a.typ").write_text('#set document(title: "A")\nFirst words.\n')
    compile_all(sources, out, cache, compendium=False)
    published = out / "a-v1.0.pdf"
    compiled = published.read_bytes()
    with published.open("r+b") as stream:  # as a tool that rewrites a file in place would
        stream.write(b"TAMPERED")
    assert compile_all(sources, out, cache, compendium=False) == []  # from the cache
    assert published.read_bytes() == compiled
    # A build publishes into a new folder: an unchanged PDF is a link to the one published
    # before, and one changed in place there is copied afresh from the cache.
    second, third = tmp_path / "second", tmp_path / "third"
    compile_all(sources, second, cache, compendium=False, previous=out)
    assert (second / "a-v1.0.pdf").stat().st_ino == published.stat().st_ino
    with (second / "a-v1.0.pdf").open("r+b") as stream:
        stream.write(b"TAMPERED")
    compile_all(sources, third, cache, compendium=False, previous=second)
    assert (third / "a-v1.0.pdf").read_bytes() == compiled
    assert (third / "a-v1.0.pdf").stat().st_ino != published.stat().st_ino
