"""Build the docutils nodes a guideline page shows: document control, citations, references,
change history. Plain docutils nodes, so every Sphinx writer can render them."""

from __future__ import annotations

from collections.abc import Iterable

from docutils import nodes

from guidepress.schemas import Approval, Guideline, Person, Registry
from guidepress.schemas.guideline import STATUS_LABELS, TYPE_LABELS
from guidepress.vancouver import format_reference


class citation_ref(nodes.Inline, nodes.Element):  # type: ignore[misc]
    """A {cite}`a,b` role, replaced by numbered links once the page's references are known."""


class folded(nodes.General, nodes.Element):  # type: ignore[misc]
    """Content a web page folds away under a summary line (HTML <details>, open when `open`);
    print shows it."""


def reference_anchor(ref_id: str) -> str:
    return str(nodes.make_id(f"ref-{ref_id}"))


def _person(person: Person) -> str:
    extras = ", ".join(filter(None, [person.qualifications, person.role, person.organisation]))
    return f"{person.name} ({extras})" if extras else person.name


def _paragraph(text: str, url: str | None = None) -> nodes.paragraph:
    if url:
        return nodes.paragraph("", "", nodes.reference(text, text, refuri=url))
    return nodes.paragraph(text, text)


def _lines(items: Iterable[str]) -> list[nodes.Node]:
    return [_paragraph(item) for item in items]


def _table(
    rows: list[list[list[nodes.Node]]],
    classes: list[str],
    widths: tuple[int, ...] = (25, 75),
    header: tuple[str, ...] = (),
) -> nodes.table:
    """Each row is a list of cells, each cell a list of nodes. Without a header, the first column
    holds the labels (rendered as <th>)."""
    group = nodes.tgroup(cols=len(widths))
    for width in widths:
        group += nodes.colspec(colwidth=width, stub=0 if header else None)
    if header:
        group += nodes.thead("", nodes.row("", *[nodes.entry("", _paragraph(h)) for h in header]))
    body = nodes.tbody()
    for cells in rows:
        body += nodes.row("", *[nodes.entry("", *cell) for cell in cells])
    group += body
    if not header:
        group[0]["stub"] = 1
    return nodes.table("", group, classes=classes)


def _next_review(model: Guideline) -> nodes.paragraph:
    # guidepress-review.js marks the date when a reader opens the page after it.
    date = model.next_review_date.isoformat()
    return nodes.paragraph("", "", nodes.inline(date, date, classes=["guidepress-next-review"]))


def document_control(
    model: Guideline, registry: Registry | None, key: nodes.Element | None = None
) -> nodes.container:
    """The status, summary and document-control table that open a guideline page. With key
    recommendations, they come before the table, which the web page then folds away."""
    status = STATUS_LABELS[model.status]
    rows: list[tuple[str, list[nodes.Node]]] = [
        ("Version", _lines([model.version])),
        ("Status", _lines([status])),
        ("Type", _lines([TYPE_LABELS[model.type]])),
        ("Audience", _lines(model.audience)),
        ("Authors", _lines(_person(p) for p in model.authors)),
        ("Reviewers", _lines(_person(p) for p in model.reviewers)),
        (
            "Approvals",
            _lines([approval_line(a, registry) for a in model.approvals] or ["None recorded"]),
        ),
        ("Last reviewed", _lines([model.review_date.isoformat()])),
        ("Next review due", [_next_review(model)]),
        ("Conflicts of interest", _lines([model.conflicts_of_interest])),
        ("Funding", _lines([model.funding])),
        ("Feedback", [_contact(model.feedback_contact)]),
        ("Page id", _lines([model.id])),
    ]
    box = nodes.container(classes=["guidepress-document-control"], ids=["document-control"])
    if model.status != "approved":
        warning = nodes.warning()
        text = (
            f"This page is {status.lower()}: it is not approved for use. Check the library's "
            "current approved version before relying on it."
        )
        warning += nodes.paragraph(text, text)
        box += warning
    box += nodes.paragraph(model.summary, model.summary, classes=["guidepress-summary"])
    if key is not None:
        box += key
    details = folded(
        summary="Document control",
        open=key is None,
        classes=["guidepress-document-control-details"],
    )
    # Same labels on every page: kept out of the search index so searches find guidance instead.
    details += _table(
        [[[_paragraph(label)], value] for label, value in rows],
        ["guidepress-document-control-table", "no-search"],
    )
    box += details
    return box


def pdf_link(model: Guideline, site_root: str, downloads: str | None = None) -> nodes.paragraph:
    """The page's PDF (in the site's pdf/ folder; site_root: the way up to the site's root from
    the page) and, on a released site, the downloads page where a clinic checks a copy it holds."""
    name = model.pdf_name
    paragraph = nodes.paragraph("", "", classes=["guidepress-pdf-link"])
    paragraph += nodes.strong("PDF: ", "PDF: ")
    paragraph += nodes.reference(
        f"Download {name}", f"Download {name}", refuri=f"{site_root}pdf/{name}"
    )
    if downloads:
        paragraph += nodes.Text(". Holding a copy? ")
        paragraph += nodes.reference("", "Check which version it is", refuri=downloads)
        paragraph += nodes.Text(" on the downloads page.")
    return paragraph


def approval_line(approval: Approval, registry: Registry | None) -> str:
    """Who approved, as the registry (the one source of who reviewers are) names them."""
    member = registry.find(approval.reviewer) if registry else None
    if member is None:
        who = f"{approval.reviewer} (not in the reviewer registry)"
    else:
        extras = ", ".join(filter(None, [member.qualifications, member.role]))
        who = f"{member.name} ({extras})"
    return f"{who}, version {approval.version}, {approval.date.isoformat()}"


def _contact(contact: str) -> nodes.paragraph:
    return _paragraph(contact, contact if contact.startswith("http") else f"mailto:{contact}")


def citation_order(model: Guideline, cited: Iterable[str]) -> list[str]:
    """Reference ids numbered by first citation, then references never cited, in page order."""
    known = [reference.id for reference in model.references]
    order: list[str] = []
    for key in cited:
        if key in known and key not in order:
            order.append(key)
    return order + [key for key in known if key not in order]


def citation_links(keys: list[str], numbers: dict[str, int]) -> list[nodes.Node]:
    result: list[nodes.Node] = [nodes.Text("[")]
    for position, key in enumerate(keys):
        if position:
            result.append(nodes.Text(","))
        number = numbers.get(key)
        if number is None:
            result.append(nodes.Text("?"))
        else:
            result.append(
                nodes.reference(
                    str(number),
                    str(number),
                    refid=reference_anchor(key),
                    classes=["guidepress-citation"],
                    reftitle=f"Reference {number}",
                )
            )
    result.append(nodes.Text("]"))
    return result


def reference_section(
    model: Guideline, order: list[str], document: nodes.document
) -> nodes.section:
    section = nodes.section(ids=["references"], names=["references"])
    section += nodes.title("References", "References")
    listing = nodes.enumerated_list(
        enumtype="arabic", prefix="", suffix=".", classes=["guidepress-references"]
    )
    by_id = {reference.id: reference for reference in model.references}
    for ref_id in order:
        item = nodes.list_item(ids=[reference_anchor(ref_id)])
        paragraph = nodes.paragraph()
        for segment in format_reference(by_id[ref_id]):
            if segment.url:
                paragraph += nodes.reference(segment.text, segment.text, refuri=segment.url)
            else:
                paragraph += nodes.Text(segment.text)
        item += paragraph
        listing += item
    section += listing
    document.note_implicit_target(section)
    return section


def change_history_section(model: Guideline) -> nodes.section:
    section = nodes.section(ids=["change-history"], names=["change history"])
    section += nodes.title("Change history", "Change history")
    current = model.current_change
    if current is not None:
        section += nodes.paragraph(
            "",
            "",
            nodes.strong(
                f"Changes in version {model.version}: ", f"Changes in version {model.version}: "
            ),
            nodes.Text(current.summary),
        )
    section += _table(
        [
            [
                [_paragraph(entry.version)],
                [_paragraph(entry.date.isoformat())],
                [_paragraph(entry.summary)],
            ]
            for entry in model.change_history
        ],
        ["guidepress-change-history", "no-search"],
        widths=(15, 20, 65),
        header=("Version", "Date", "Changes"),
    )
    return section
