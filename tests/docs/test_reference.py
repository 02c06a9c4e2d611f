"""The reference pages keep up with the code they describe."""

from __future__ import annotations

from pathlib import Path

import corecors

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_api_page_lists_every_reason_code() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for code, meaning in corecors.REASONS.items():
        assert f"| `{code}` | {meaning.replace('|', '/')} |" in text, code


def test_api_page_documents_every_public_name() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in corecors.__all__:
        if name != "__version__":
            assert f"corecors.{name}\n" in text or f"py:data:: {name}\n" in text, name


def test_api_page_documents_every_adapter() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for adapter in ("wsgi", "asgi", "flask", "django", "hook"):
        assert f".. automodule:: corecors.adapters.{adapter}\n" in text


def test_index_lists_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = {
        p.stem for p in DOCS.glob("*.md")
        if not p.read_text(encoding="utf-8").startswith("---\norphan: true")
    } - {"index"}
    listed = {line.strip() for line in index.splitlines()}
    assert pages <= listed, pages - listed
