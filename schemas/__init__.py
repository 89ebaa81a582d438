"""Pydantic models of guideline front matter and library settings (no Sphinx, no file system).

Installed as `guidepress.schemas` (see CONTRIBUTING.md, "One import name").
"""

if __name__ != "guidepress.schemas":  # e.g. `import schemas` with a checkout on sys.path
    raise ImportError(
        f"import guidepress.schemas, not {__name__}: the folder installs under guidepress"
    )

from guidepress.schemas.codes import Code, Severity
from guidepress.schemas.guideline import (
    Approval,
    ChangeEntry,
    Guideline,
    Person,
    Reference,
    Reviewer,
)
from guidepress.schemas.identity import person_key
from guidepress.schemas.registry import Registry, RegistryMember
from guidepress.schemas.settings import LinkStatus, Settings

__all__ = [
    "Approval",
    "ChangeEntry",
    "Code",
    "Guideline",
    "LinkStatus",
    "Person",
    "Reference",
    "Registry",
    "RegistryMember",
    "Reviewer",
    "Settings",
    "Severity",
    "person_key",
]
