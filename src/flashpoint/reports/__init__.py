"""Printable briefs: a one-page situation report per pair (Markdown, HTML, PDF)."""
