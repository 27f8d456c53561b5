"""The ballot's fonts and their exact metrics.

Printing and reading must agree to the tenth of a millimetre about where a name is, so the
layout measures text with the very font files the PDF embeds (advance widths from `hmtx`, no
kerning, no ligatures: the printing CSS turns both off).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
FONT_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
}


class FontMissing(RuntimeError):
    pass


def font_path(style: str) -> Path:
    name = FONT_FILES[style]
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(f"font {name} not found (install the Debian package fonts-liberation2)")


@dataclass(frozen=True)
class FontMetrics:
    """Per-em metrics (fractions of the font size) of one font file."""

    ascent: float  # hhea ascender: the top of the tallest stacked Vietnamese diacritic
    descent: float  # hhea descender, positive
    cap_height: float
    x_height: float
    advances: dict  # code point -> advance in em
    default_advance: float

    def width(self, text: str, size_mm: float) -> float:
        text = unicodedata.normalize("NFC", text)
        return size_mm * sum(self.advances.get(ord(ch), self.default_advance) for ch in text)


@cache
def metrics(style: str = "regular") -> FontMetrics:
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path(style)), lazy=True)
    upm = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    cmap = font.getBestCmap()
    advances = {cp: hmtx[glyph][0] / upm for cp, glyph in cmap.items()}
    os2 = font["OS/2"]
    return FontMetrics(
        ascent=font["hhea"].ascent / upm,
        descent=-font["hhea"].descent / upm,
        cap_height=os2.sCapHeight / upm,
        x_height=os2.sxHeight / upm,
        advances=advances,
        default_advance=hmtx[".notdef"][0] / upm,
    )


def wrap(text: str, size_mm: float, max_width: float, style: str = "regular") -> list[str]:
    """Greedy word wrap by measured width (one long word stays on its own line)."""
    font = metrics(style)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and font.width(candidate, size_mm) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
