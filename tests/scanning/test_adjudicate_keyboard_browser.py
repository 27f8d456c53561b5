"""A stack ruled with the keyboard alone, in headless Debian chromium: a doubtful row, a ballot
ruled invalid with the committee's reason (the entry screen's keys: `/` or F9, a digit,
Enter), a page that is not a ballot. No mouse event reaches any page; keys work with the focus
on the reason list too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Ballot, ScanImage

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is absent")]

# Counts trusted mouse and pointer events on every page (sessionStorage outlives navigation).
# A form submitted with Enter gets a "click" on its button with detail 0: that one is the keyboard.
NO_MOUSE = """
for (const kind of ["mousedown", "mouseup", "click", "pointerdown", "dblclick", "contextmenu", "wheel"]) {
  window.addEventListener(kind, (e) => {
    if (e.isTrusted && !(e.type === "click" && e.detail === 0)) {
      sessionStorage.mouse = String(Number(sessionStorage.mouse || 0) + 1);
    }
  }, true);
}
"""

STACK = {
    "doubtful.jpg": ({"c01": "struck", "c02": "uncertain", "c03": "kept"}, []),
    "unstamped.jpg": ({"c01": "struck", "c02": "kept", "c03": "kept"}, ["no_stamp"]),
    "leaflet.jpg": ({"c01": "kept", "c02": "kept", "c03": "kept"}, ["extra_writing"]),
}


def seed_stack(app) -> dict[int, str]:
    """Three scans in review with real previews; returns scan id -> file name."""
    import cv2

    from kiemphieu.models import Round
    from kiemphieu.ocr.printing import render_ballot_image
    from kiemphieu.scanning import services
    from kiemphieu.scanning.intake import Limits, check_scan
    from kiemphieu.worker import preview_jpeg

    names = {}
    with app.app_context():
        round_ = db.session.get(Round, app.config["ROUND_ID"])
        printed = np.asarray(render_ballot_image(round_.to_election(), dpi=100))
        for index, (name, (marks, flags)) in enumerate(STACK.items()):
            image = printed.copy()
            image[5, 5 + index] = 0  # distinct files
            ok, jpeg = cv2.imencode(".jpg", image)
            services.store_scan(round_, check_scan(jpeg.tobytes(), name, Limits()), user=None)
            [scan] = services.claim_next()
            preview, _ = preview_jpeg(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), None)
            preview_name = services.new_preview_name(scan)
            services.write_file_atomically(services.preview_path(preview_name), preview)
            reading = {"file": name, "page": 0, "status": "review", "reason": None, "flags": flags, "boxes": None,
                       "marks": marks, "scores": {c: (0.4 if m == "uncertain" else 0.02) for c, m in marks.items()},
                       "preview": "aligned"}
            if name == "doubtful.jpg":  # the reader's second look struck c02 but did not settle the page
                reading["checks"] = {"finer_look": {"dpi": 150.0, "status": "review", "found": {"c02": "struck"},
                                                    "uncertain": []}}
            services.record_readings([(scan, reading, preview_name)])
            names[scan.id] = name
        db.session.remove()
    return names


def test_a_stack_is_ruled_with_no_mouse_event(server_app, live):
    from playwright.sync_api import sync_playwright

    names = seed_stack(server_app)
    errors: list[str] = []
    ruled = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.add_init_script(NO_MOUSE)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live.url}/login")
        page.focus("input[name=username]")
        page.keyboard.type("tram1")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{live.url}/rounds/{server_app.config['ROUND_ID']}/scans/review")
        for _ in range(len(STACK)):
            page.wait_for_selector("#rows")
            scan_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            name = names[scan_id]
            ruled.append(name)
            if name == "doubtful.jpg":
                assert page.eval_on_selector("tr.current", "tr => tr.dataset.code") == "c02"
                # The second look's finding is shown as a hint; the row is still the person's to rule.
                assert page.inner_text("tr.current .finer-look") == "đọc kỹ (150 dpi): gạch"
                assert not page.is_checked("input[name=row-c02][value=struck]")
                page.keyboard.press("2")  # kept
            elif name == "unstamped.jpg":
                page.focus("select[name=invalid_reason]")  # keys work with the focus on the list
                page.keyboard.press("/")
                assert page.is_visible("#reason-keys")
                page.keyboard.press("2")  # the entry screen's 2: no stamp
                assert page.eval_on_selector("select[name=invalid_reason]", "s => s.value") == "no_stamp"
                assert page.is_checked("input[name=ballot][value=invalid]")
            else:
                page.keyboard.press("F9")  # change of mind: Esc leaves the reason list untouched
                page.keyboard.press("Escape")
                assert not page.is_checked("input[name=ballot][value=invalid]")
                page.keyboard.press("n")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        page.wait_for_selector("#queue-empty")
        mouse = page.evaluate("sessionStorage.mouse || '0'")
        browser.close()
    assert errors == [] and mouse == "0"
    assert sorted(ruled) == sorted(STACK)
    with server_app.app_context():
        by_name = {s.original_name: s for s in db.session.scalars(select(ScanImage))}
        assert {s.status for s in by_name.values()} == {"adjudicated"}
        marks = {db.session.get(ScanImage, b.scan_id).original_name: b.marks for b in db.session.scalars(select(Ballot))}
        assert marks == {"doubtful.jpg": {"struck": ["c01"]}, "unstamped.jpg": {"invalid": "no_stamp"}}
        db.session.remove()
