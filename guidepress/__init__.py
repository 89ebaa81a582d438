"""guidepress: clinical guidelines as code."""
