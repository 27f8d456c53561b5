"""Formatting particular to the minutes (lists "A, B và C", clock times, headings); dates and
the decimal comma come from :mod:`kiemphieu.labels`, shared with the pages and ballots."""

from __future__ import annotations

import re

# The shared labels and formats (kiemphieu/labels.py): one style on pages, ballots, minutes.
from kiemphieu.labels import DOTS, date_long, date_short, percent_vi  # noqa: F401 (re-exported)

def join_vi(items: list[str]) -> str:
    """"A", "A và B", "A, B và C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]

_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")

def parse_clock(text: str) -> tuple[int, int]:
    """"HH:MM" (or "14h30") -> (hours, minutes); ValueError otherwise."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"not a time HH:MM: {text!r}")
    return int(match.group(1)), int(match.group(2))

_HEADING = re.compile(r"(đại hội(?:\s+đại biểu)?)\b.*?\b(lần thứ\s+[IVXLCDM\d]+)", re.IGNORECASE)
_TERM = re.compile(r"nhiệm kỳ\s*(\d{4})\s*[-–]\s*(\d{4})", re.IGNORECASE)

def congress_heading(congress: str) -> str:
    """"Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, ..." -> "ĐẠI HỘI ĐẠI BIỂU LẦN THỨ XXI"."""
    match = _HEADING.search(congress)
    if match:
        return f"{match.group(1)} {match.group(2)}".upper()
    return congress.split(",")[0].upper() if congress else "ĐẠI HỘI"

def term_of(*texts: str) -> str:
    """"2025 - 2030" from the first text naming a term (nhiệm kỳ), else ""."""
    for text in texts:
        match = _TERM.search(text or "")
        if match:
            return f"{match.group(1)} - {match.group(2)}"
    return ""
