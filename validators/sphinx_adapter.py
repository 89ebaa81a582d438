"""The Sphinx side of validation: a thin adapter that runs the page pipeline during a build and
reports what it finds. It checks and reports only; guidepress's rendering reads the validated
models it keeps (`guideline_models`).

Every problem becomes a warning with a location, type "guidepress" and the diagnostic code as
subtype (`log_diagnostic`, the one place that speaks to Sphinx's logger), so `-W` fails the build
and `suppress_warnings = ["guidepress.review-overdue"]` works.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from guidepress.schemas import Code, Guideline, Registry, Settings
from guidepress.schemas.characters import printable
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.config import Library, SettingsError, load_registry
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.pipeline import Checks, Layout, check_page, forget_real_folders
from guidepress.validators.safety import (
    UNSAFE_TEX,
    UNSAFE_TEX_MESSAGE,
    allowed_link,
    is_line_break,
)
from guidepress.validators.sphinx_files import setup_file_checks

logger = logging.getLogger(__name__)

# What a refused page becomes: its front matter goes too, since what was refused may be there.
REFUSED_PAGE = """# This page was refused

```{error}
This page was refused because it contains content that pages may not hold (raw HTML, script, a
link that is not to a page or the web, files from outside the library, or markup in its title).
The build log names the line.
```
"""


# Folders whose pages guidepress never checks (library.find_pages skips them), so Sphinx skips them.
# `.?*`, not `.*`: Sphinx matches these against static files too, as "./name", and `.*` matches ".".
HIDDEN_FOLDERS = ("_*/**", "**/_*/**", ".?*/**", "**/.?*/**")


def log_diagnostic(diagnostic: Diagnostic, docname: str | None = None) -> None:
    """Report a diagnostic as a Sphinx warning, at the document's line when it has a docname
    (Sphinx then names the file its own way), else at the diagnostic's own path and line."""
    location = (docname, diagnostic.line) if docname else f"{diagnostic.path}:{diagnostic.line}"
    logger.warning(
        f"{diagnostic.severity}: {printable(diagnostic.message)} (column {diagnostic.col})",
        location=location,
        type="guidepress",
        subtype=str(diagnostic.code),
    )


class GuidelineDomain(Domain):
    """Per-page guideline models, kept so they survive parallel reads and incremental builds."""

    name = "guidepress"
    label = "guidepress"
    # Sphinx copies it into each environment. pages: docname -> model; files: docname -> the files
    # below the source folder that the checks saw the page show or offer (and its digest covers).
    # recommendations: docname -> the page's checked recommendations.
    # tags: docname -> {recommendation id: its change tag}, set when the page is rendered.
    initial_data: ClassVar[dict[str, Any]] = {
        "pages": {},
        "files": {},
        "recommendations": {},
        "tags": {},
    }

    @property
    def pages(self) -> dict[str, Guideline]:
        return self.data["pages"]  # type: ignore[no-any-return]

    @property
    def files(self) -> dict[str, frozenset[str]]:
        return self.data.setdefault("files", {})  # type: ignore[no-any-return]

    @property
    def recommendations(self) -> dict[str, list[Recommendation]]:
        return self.data.setdefault("recommendations", {})  # type: ignore[no-any-return]

    def clear_doc(self, docname: str) -> None:
        self.pages.pop(docname, None)
        self.files.pop(docname, None)
        self.recommendations.pop(docname, None)
        self.data.setdefault("tags", {}).pop(docname, None)

    def merge_domaindata(self, docnames: Any, otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            for kind in ("pages", "files", "recommendations", "tags"):
                if docname in otherdata.get(kind, {}):
                    self.data.setdefault(kind, {})[docname] = otherdata[kind][docname]

    def resolve_any_xref(self, *args: Any) -> list[tuple[str, nodes.Element]]:
        return []  # the domain holds no cross-reference targets; MyST asks every domain


def guideline_models(env: BuildEnvironment) -> dict[str, Guideline]:
    """The validated front matter of each valid guideline page, by docname."""
    domain: GuidelineDomain = env.domains["guidepress"]  # type: ignore[assignment]
    return domain.pages


def checked_recommendations(env: BuildEnvironment) -> dict[str, list[Recommendation]]:
    """The checked recommendations of each valid guideline page, by docname, in page order."""
    domain: GuidelineDomain = env.domains["guidepress"]  # type: ignore[assignment]
    return domain.recommendations


def change_tags(env: BuildEnvironment) -> dict[str, dict[str, str]]:
    """Each guideline page's recommendations' change tags ("[new 2026]"), by docname."""
    domain: GuidelineDomain = env.domains["guidepress"]  # type: ignore[assignment]
    return domain.data.setdefault("tags", {})  # type: ignore[no-any-return]


def registry_of(app: Sphinx) -> Registry | None:
    """The reviewer registry, read once when the configuration was."""
    registry: Registry | None = getattr(app, "guidepress_registry", None)
    return registry


def checked_files(env: BuildEnvironment) -> dict[str, frozenset[str]]:
    """The files the checks saw each guideline page show or offer, by docname."""
    domain: GuidelineDomain = env.domains["guidepress"]  # type: ignore[assignment]
    return domain.files


def settings_of(config: Config) -> Settings:
    return config.guidepress_settings  # type: ignore[no-any-return]


def read_only_checked_pages(config: Config) -> None:
    """Sphinx reads, and publishes, exactly the pages guidepress checks: MyST pages only (no
    reStructuredText page, which no rule reads), none in a folder starting with `_` or `.`
    (where `guidepress validate` looks for none), no copy of a page's source (which Sphinx
    copies even for a page guidepress refused), and no translation of them."""
    config.source_suffix = {".md": "markdown"}
    config.exclude_patterns = [*config.exclude_patterns, *HIDDEN_FOLDERS]
    config.html_copy_source = False
    # No translation catalogue or language-named image replaces what the checks read (and the
    # approvals sign): a library is written in its own language.
    config.locale_dirs = []
    config.gettext_auto_build = False
    config.figure_language_filename = "{root}{ext}"


def on_config_inited(app: Sphinx, config: Config) -> None:
    """Find the library's settings as the command line does: the nearest pyproject.toml with a
    [tool.guidepress] table at or above conf.py (unless the caller handed them down)."""
    read_only_checked_pages(config)
    root = Path(app.confdir)
    if config.guidepress_settings is None:
        try:
            library = Library.around(root)
        except SettingsError as error:
            raise ExtensionError(str(error)) from None
        root, config.guidepress_settings = library.root, library.settings
        if not library.has_settings:
            message = (
                f"no pyproject.toml with a [tool.guidepress] table at or above {app.confdir}, so "
                "the default settings apply; add the table (guidepress init writes one)"
            )
            conf = str(Path(app.confdir) / "conf.py")
            log_diagnostic(Diagnostic.of(Code.SETTINGS_MISSING, conf, 1, 1, message))
    registry, problems = load_registry(root, settings_of(config))
    for problem in problems:
        log_diagnostic(problem)
    app.guidepress_registry = registry  # type: ignore[attr-defined]
    app.guidepress_registry_path = root / settings_of(config).registry  # type: ignore[attr-defined]


def registry_changed(
    app: Sphinx, env: BuildEnvironment, added: Any, changed: Any, removed: Any
) -> list[str]:
    """Every guideline page, when the registry differs from the last build's: the checks of a
    page's approvals, and what it shows of its reviewers, come from the registry. (Not a
    dependency Sphinx tracks: the registry may not exist, and then every page would be read
    again every time.)"""
    path: Path = app.guidepress_registry_path  # type: ignore[attr-defined]
    try:
        now = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        now = "none"
    domain: GuidelineDomain = env.domains["guidepress"]  # type: ignore[assignment]
    before = domain.data.get("registry")
    domain.data["registry"] = now
    return sorted(domain.pages) if before not in (None, now) else []


def on_builder_inited(app: Sphinx) -> None:
    forget_real_folders()  # a long session (a live preview) sees folders swapped for links
    # Defence in depth behind the safety rule: docutils itself refuses raw output and file reads.
    app.env.settings["raw_enabled"] = False
    app.env.settings["file_insertion_enabled"] = False


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    path = str(app.env.doc2path(docname))
    registry: Registry | None = app.guidepress_registry  # type: ignore[attr-defined]
    checks = Checks(
        Layout.at_source(Path(app.srcdir), settings_of(app.config)), date.today(), registry
    )
    checked = check_page(path, path, checks, text=source[0])
    if checked.refused:
        source[0] = REFUSED_PAGE
    if checked.model is not None and checked.page is not None:
        guideline_models(app.env)[docname] = checked.model
        checked_files(app.env)[docname] = frozenset(checked.page.files)
        checked_recommendations(app.env)[docname] = checked.recommendations
    for diagnostic in checked.diagnostics:
        if diagnostic.code == Code.MISSING_FILE:
            continue  # Sphinx reports a missing image or download itself
        if diagnostic.severity == "warning" and not app.config.guidepress_report_warnings:
            continue
        log_diagnostic(diagnostic, docname)


def remove_unsafe_output(app: Sphinx, doctree: nodes.Node, docname: str = "") -> None:
    """Defence in depth behind the safety rule: whatever markup produced them, no raw output and
    no script links reach the site. Runs when a page is read, before Sphinx's collectors copy
    its titles and toctree, and again on the finished page just before it is written."""
    for raw in list(doctree.findall(nodes.raw)):
        if not is_line_break(raw):
            raw.parent.remove(raw)
    for meta in list(doctree.findall(nodes.meta)):  # <meta http-equiv="refresh"> would redirect
        meta.parent.remove(meta)
    for only in list(doctree.findall(addnodes.only)):  # one output's content, not the other's
        _refused(only, "content for one output only (`{only}`) was removed")
        only.parent.remove(only)
    for maths in list(doctree.findall(_is_maths)):
        if UNSAFE_TEX.search(maths.astext()):
            _refused_maths(maths)
            maths.replace_self(nodes.literal("", maths.astext()))
    for reference in list(doctree.findall(nodes.reference)):
        if not allowed_link(reference.get("refuri", "")):
            _refused_link(reference, reference["refuri"])
            reference.replace_self(nodes.Text(reference.astext()))
    for toctree in doctree.findall(addnodes.toctree):
        _remove_unsafe_entries(toctree)


# What guidepress writes on a page is marked by these classes and ids; the nodes its own
# directives make carry `guidepress_made`. A page may not forge them.
OWN_CLASS = "guidepress-"
OWN_IDS = ("ref-", "rec-")


def remove_forged_marks(app: Sphinx, doctree: nodes.Node) -> None:
    """Defence in depth behind the safety rule: a class named guidepress-… (however the markup
    set it: a class option, rst-class, a role of that name) or a reference's or recommendation's
    id on a node guidepress did not make is removed, before guidepress renders the page."""
    for node in doctree.findall(nodes.Element):
        if node.get("guidepress_made"):
            continue
        forged = [c for c in node.get("classes", []) if c.lower().startswith(OWN_CLASS)]
        forged += [i for i in node.get("ids", []) if i.startswith(OWN_IDS)]
        if not forged:
            continue
        node["classes"] = [c for c in node["classes"] if c not in forged]
        node["ids"] = [i for i in node["ids"] if i not in forged]
        _refused(node, f"{', '.join(forged)} marks what guidepress writes and was removed")


def _remove_unsafe_entries(toctree: addnodes.toctree) -> None:
    for title, target in list(toctree["entries"]):
        if not allowed_link(target):
            _refused_link(toctree, target)
            toctree["entries"].remove((title, target))


def _is_maths(node: nodes.Node) -> bool:
    return isinstance(node, (nodes.math, nodes.math_block))


def _refused_maths(node: nodes.Element) -> None:
    document = node.document
    path = node.source or (document["source"] if document is not None else "")
    diagnostic = Diagnostic.of(Code.UNSAFE_CONTENT, path, node.line or 1, 1, UNSAFE_TEX_MESSAGE)
    log_diagnostic(diagnostic)


def _refused(node: nodes.Element, message: str) -> None:
    document = node.document
    path = node.source or (document["source"] if document is not None else "")
    log_diagnostic(Diagnostic.of(Code.UNSAFE_CONTENT, path, node.line or 1, 1, message))


def _refused_link(node: nodes.Element, target: str) -> None:
    document = node.document
    path = node.source or (document["source"] if document is not None else "")
    message = (
        f"the link {target!r} is not allowed and was removed; link to a page or an https:// address"
    )
    log_diagnostic(Diagnostic.of(Code.UNSAFE_CONTENT, path, node.line or 1, 1, message))


def on_check_consistency(app: Sphinx, env: BuildEnvironment) -> None:
    # What Sphinx's collectors copied from each page for the navigation (its contents and its
    # title), which an extension's handler may have filled after the page was first checked.
    for copied in [*env.tocs.values(), *env.titles.values()]:
        remove_unsafe_output(app, copied)
    seen: dict[str, str] = {}
    for docname, model in sorted(guideline_models(env).items()):
        if model.id in seen:
            message = (
                f"id {model.id!r} is already used by {env.doc2path(seen[model.id])}; "
                "give this page its own id"
            )
            path = str(env.doc2path(docname))
            log_diagnostic(Diagnostic.of(Code.DUPLICATE_PAGE_ID, path, 1, 1, message), docname)
        else:
            seen[model.id] = docname


def setup_validation(app: Sphinx) -> None:
    app.add_config_value(
        "guidepress_settings", None, "env", types=frozenset({Settings, type(None)})
    )
    # `guidepress build` validates first, printing warnings and failing on them only with --strict;
    # its Sphinx runs, warnings-as-errors for Sphinx's own problems, leave guidepress's warnings
    # out.
    app.add_config_value("guidepress_report_warnings", True, "", types=frozenset({bool}))
    app.add_domain(GuidelineDomain)
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", registry_changed)
    # Before Sphinx's collectors (500) copy toctrees and titles, after guidepress's rendering
    # (400); again after every other handler, before the page is saved (the saved page gives
    # other pages their navigation); and last on the finished page, after write-time transforms.
    app.connect("doctree-read", remove_forged_marks, priority=390)  # before rendering (400)
    app.connect("doctree-read", remove_unsafe_output, priority=490)
    app.connect("doctree-read", remove_unsafe_output, priority=999)
    app.connect("doctree-resolved", remove_unsafe_output, priority=999)
    setup_file_checks(app)
    app.connect("env-check-consistency", on_check_consistency)
