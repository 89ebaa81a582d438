"""Pydantic models of guideline front matter and library settings (no Sphinx, no file system)."""

from schemas.guideline import Approval, ChangeEntry, Guideline, Person, Reference, Reviewer
from schemas.registry import Registry, RegistryMember, person_key
from schemas.settings import Settings

__all__ = [
    "Approval",
    "ChangeEntry",
    "Guideline",
    "Person",
    "Reference",
    "Registry",
    "RegistryMember",
    "Reviewer",
    "Settings",
    "person_key",
]
