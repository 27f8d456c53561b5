"""Helpers shared by the electing-body, namesake and document-style tests."""

from __future__ import annotations

import re

import pypdfium2

COMMITTEE = ["Lê Thị Thu", "Hà Văn Tâm", "Đỗ Minh Châu"]


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace runs collapsed to one space."""
    document = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return re.sub(r"\s+", " ", text)


def html_text(reply) -> str:
    """A page's text without its tags, whitespace runs collapsed to one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reply.get_data(as_text=True)))
