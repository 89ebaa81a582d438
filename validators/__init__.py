"""The rules that check a guideline library, their diagnostics, and a thin Sphinx extension."""
