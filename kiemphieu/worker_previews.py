"""The scan worker's previews: the page a person will look at (review, rejected) as a JPEG,
written by the reader without a sync each and made durable a batch at once by the storing loop
before the readings that name them commit (an fsync per preview cost a reader ~5 ms a page)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("kiemphieu.worker")

PREVIEW_QUALITY = 85
PREVIEW_MAX_SIDE = 1600  # a page whose markers were not found is shown scaled down to this


def encode_jpeg(image) -> bytes | None:
    import cv2

    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_QUALITY])
    return encoded.tobytes() if ok else None


def preview_jpeg(warped, scanned) -> tuple[bytes | None, bool]:
    """The page warped onto the layout when the reader got that far, else the scan scaled down."""
    import cv2

    aligned = warped is not None
    image = warped if aligned else scanned
    if image is None:
        return None, False
    if not aligned:
        scale = min(1.0, PREVIEW_MAX_SIDE / max(image.shape[:2]))
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    encoded = encode_jpeg(image)
    return (encoded, aligned) if encoded else (None, False)


def write_preview(folder: Path, stored_name: str, page: int, data: bytes) -> str | None:
    """Write a preview beside the others (not synced: see ``sync_previews``); its name, or
    None when it could not be written (a failure only costs the picture)."""
    from kiemphieu.scanning.services import preview_name_for, write_file_atomically

    name = preview_name_for(stored_name, page)
    try:
        write_file_atomically(folder / name, data, sync=False)
    except OSError:
        log.warning("no preview for %s page %d", stored_name, page, exc_info=True)
        return None
    return name


def sync_previews(folder: Path, names: list[str]) -> None:
    """Make the previews just written durable at once (one filesystem sync)."""
    from kiemphieu.scanning.storage import sync_folder

    if names:
        try:
            sync_folder(folder, [folder / name for name in names])
        except OSError:  # a preview is only a picture: the readings are stored all the same
            log.warning("could not sync %d preview(s)", len(names), exc_info=True)
