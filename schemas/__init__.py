"""Pydantic models of guideline front matter and library settings (no Sphinx, no file system)."""

from schemas.guideline import ChangeEntry, Guideline, Person, Reference, Reviewer
from schemas.settings import Settings

__all__ = ["ChangeEntry", "Guideline", "Person", "Reference", "Reviewer", "Settings"]
