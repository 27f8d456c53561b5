"""The scan worker: reads queued scans outside the web server (``kiemphieu worker``).

A loop polls the database for ScanImage rows in ``pending``, claims one file (all its waiting
pages) atomically, reads it with the OCR reader using the round's election and the scan's
scanner profile, stores each page's reading (read / review / rejected) and, for ``read``
ballots, the Ballot that counts. An image that makes the reader raise is rejected with the
reason and the loop goes on; one that kills the process is retried once, then rejected.
Doubtful and rejected pages get a preview image (warped onto the layout, in colour) for the
adjudication page, so the web request never runs OpenCV.
"""

from __future__ import annotations

import logging
import signal
import time
import traceback
from dataclasses import replace
from typing import Any

log = logging.getLogger("kiemphieu.worker")

PREVIEW_DPI = 150.0  # adjudication image: enough to see a pen stroke when enlarged
PREVIEW_QUALITY = 85


def read_file(data: bytes, election, profile_name: str, file_name: str) -> list[dict[str, Any]]:
    """The reader's JSON for every page of one file (the seam the tests replace)."""
    from kiemphieu.ocr.reader import read_images

    return [reading.to_json() for reading in read_images(data, election, profile_name or None, file_name=file_name)]


def load_profile(name: str):
    from kiemphieu.ocr.profiles import load_profile as load

    return load(name or None)


def render_previews(data: bytes, pages: set[int], layout, profile) -> dict[int, bytes]:
    """JPEG previews of some pages: warped onto the layout (page millimetres x PREVIEW_DPI)
    when the corner markers are found, else the page as scanned, scaled down."""
    import cv2
    import numpy as np

    from kiemphieu.ocr.decode import decode_pages
    from kiemphieu.ocr.geometry import marker_boxes
    from kiemphieu.ocr.reader import find_markers

    fine = replace(profile, scan=replace(profile.scan, work_dpi=PREVIEW_DPI))
    px_per_mm = PREVIEW_DPI / 25.4
    size = (round(layout.paper.width * px_per_mm), round(layout.paper.height * px_per_mm))
    previews: dict[int, bytes] = {}
    for page in decode_pages(data, fine):
        if page.index not in pages or page.image is None:
            continue
        image = page.image
        found = find_markers(page.grey)
        boxes = marker_boxes(layout.paper)
        if all(mid in found for mid, _ in boxes):
            src = np.concatenate([found[mid] for mid, _ in boxes]).astype(np.float32)
            dst = np.float32([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]] for _, (x, y, w, h) in boxes])
            homography, _ = cv2.findHomography(src, dst.reshape(-1, 2) * px_per_mm, 0)
            if homography is not None:
                image = cv2.warpPerspective(image, homography, size, flags=cv2.INTER_AREA,
                                            borderValue=(255, 255, 255))
        else:
            scale = min(1.0, 1600 / max(image.shape[:2]))
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PREVIEW_QUALITY])
        if ok:
            previews[page.index] = encoded.tobytes()
        if len(previews) == len(pages):
            break
    return previews


def process_claimed(scans) -> list:
    """Read one claimed file (the scans are its pages) and store the results."""
    from kiemphieu.scanning import services

    first = scans[0]
    round_ = first.round
    results = []
    try:
        data = services.stored_path(first.stored_name).read_bytes()
        election = round_.to_election()
        readings = read_file(data, election, first.profile, first.original_name)
        by_page = {int(r.get("page", i)): r for i, r in enumerate(readings)}
    except Exception as exc:  # the reader must never stop the queue
        log.exception("reading %s failed", first.stored_name)
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return services.record_readings(
            [(scan, services.rejected_reading(scan, "worker_error", detail), None) for scan in scans]
        )
    for scan in scans:
        reading = by_page.get(scan.page) or services.rejected_reading(scan, "page_missing")
        reading = {**reading, "file": scan.original_name, "page": scan.page}
        results.append((scan, reading))
    previews = _previews(data, first, election, [(s, r) for s, r in results if r.get("status") != "read"])
    return services.record_readings([(scan, reading, previews.get(scan.page)) for scan, reading in results])


def _previews(data: bytes, first, election, doubtful) -> dict[int, str]:
    """Write previews for the pages a person will look at; failures only cost the picture."""
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.scanning import services

    if not doubtful:
        return {}
    try:
        images = render_previews(data, {scan.page for scan, _ in doubtful}, layout_for(election),
                                 load_profile(first.profile))
    except Exception:
        log.warning("no preview for %s:\n%s", first.stored_name, traceback.format_exc(limit=3))
        return {}
    names = {}
    for scan, _ in doubtful:
        if scan.page in images:
            name = services.new_preview_name(scan)
            services.write_file_atomically(services.preview_path(name), images[scan.page])
            names[scan.page] = name
    return names


def run_once(max_files: int | None = None) -> int:
    """Process the queue until it is empty (or max_files files); returns the pages done."""
    from kiemphieu.scanning import services

    done = files = 0
    while max_files is None or files < max_files:
        scans = services.claim_next()
        if not scans:
            break
        files += 1
        try:
            done += len(process_claimed(scans))
        except Exception:  # a database problem: leave the claim to go stale, keep serving
            log.exception("storing the reading of %s failed", scans[0].stored_name)
            from kiemphieu.extensions import db

            db.session.rollback()
    return done


class _Stop:
    requested = False


def run_forever(interval: float = 1.0) -> None:
    """Poll the queue; stop cleanly (after the current file) on SIGTERM or SIGINT."""
    from kiemphieu.extensions import db

    stop = _Stop()

    def request_stop(signum, frame):
        stop.requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("kiemphieu worker: waiting for scans")
    pause = interval
    while not stop.requested:
        try:
            count = run_once(max_files=1)
            pause = interval
        except Exception:  # e.g. the database is being migrated: wait longer each time
            log.exception("worker loop (next try in %.0f s)", pause)
            db.session.rollback()
            count = 0
            pause = min(max(pause, interval) * 2, 60.0)
        finally:
            db.session.remove()
        if count == 0:
            for _ in range(max(1, int(pause * 10))):
                if stop.requested:
                    break
                time.sleep(0.1)
