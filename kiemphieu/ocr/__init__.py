"""Ballots on paper: one geometry, printing, and reading scans (NumPy + OpenCV, no Flask).

Public API (imported lazily so `import kiemphieu.ocr` stays cheap):
- `layout_for(election) -> Layout`, `Layout.to_json()` (contract `kiemphieu/layout-1`),
  `election_fingerprint(election)`
- `render_ballot_pdf(election, copies=1) -> bytes`, `render_ballot_image(election, dpi=200) -> BGR`
- `read_images(path_or_bytes, election, profile=None, file_name=None) -> list[Reading]`,
  `Reading.to_json()` (contract section 4)
- `load_profile(name_or_path=None) -> Profile`, `ProfileError`
- `Reason` (why a page is rejected) and `Flag` (what a person must rule on): `StrEnum`s whose
  values are the contract strings
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "layout_for": "geometry", "Layout": "geometry", "LayoutError": "geometry",
    "election_fingerprint": "geometry",
    "render_ballot_pdf": "printing", "render_ballot_image": "printing",
    "render_layout_pdf": "printing", "render_layout_image": "printing",
    "read_images": "reader", "read_page": "reader", "Reading": "reader",
    "load_profile": "profiles", "Profile": "profiles", "ProfileError": "profiles",
    "Reason": "reasons", "Flag": "reasons", "Rejection": "reasons",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(name)
