"""The adjudication page in headless Debian chromium: boxes drawn, keys rule, Enter saves."""

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


def seed_review_scan(app) -> int:
    """A scan in review (c02 doubtful) with a real preview of the printed ballot."""
    import cv2

    from kiemphieu.ocr.printing import render_ballot_image
    from kiemphieu.models import Round
    from kiemphieu.scanning import services
    from kiemphieu.scanning.intake import Limits, check_scan
    from kiemphieu.worker import preview_jpeg

    with app.app_context():
        round_ = db.session.get(Round, app.config["ROUND_ID"])
        election = round_.to_election()
        ok, jpeg = cv2.imencode(".jpg", np.asarray(render_ballot_image(election, dpi=200)))
        [scan] = services.store_scan(round_, check_scan(jpeg.tobytes(), "0001.jpg", Limits()), user=None).scans
        [scan] = services.claim_next()
        page = cv2.cvtColor(np.asarray(render_ballot_image(election, dpi=100)), cv2.COLOR_BGR2GRAY)
        preview, _ = preview_jpeg(page, None)  # the printed page is the page warped upright
        name = services.new_preview_name(scan)
        services.write_file_atomically(services.preview_path(name), preview)
        reading = {"file": "0001.jpg", "page": 0, "status": "review", "reason": None, "flags": [], "boxes": None,
                   "marks": {"c01": "struck", "c02": "uncertain", "c03": "kept"},
                   "scores": {"c01": 0.9, "c02": 0.4, "c03": 0.01}}
        services.record_readings([(scan, reading, name)])
        scan_id = scan.id
        db.session.remove()
    return scan_id


def test_keys_rule_the_doubtful_row_and_enter_saves(server_app, live):
    from playwright.sync_api import sync_playwright

    scan_id = seed_review_scan(server_app)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", "tram1")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{live.url}/rounds/{server_app.config['ROUND_ID']}/scans/review")
        assert page.url.endswith(f"/scans/{scan_id}")
        page.wait_for_function("document.getElementById('page-image').complete")
        assert page.eval_on_selector("#page-overlay", "c => c.width") > 500  # boxes drawn at image scale
        assert page.eval_on_selector("tr.current", "tr => tr.dataset.code") == "c02"  # first doubtful row
        page.keyboard.press("1")  # struck
        assert page.is_checked("input[name=row-c02][value=struck]")
        page.keyboard.press("Enter")
        page.wait_for_selector("#queue-empty")
        browser.close()
    assert errors == []
    with server_app.app_context():
        assert db.session.scalar(select(ScanImage.status)) == "adjudicated"
        assert db.session.scalar(select(Ballot.marks)) == {"struck": ["c01", "c02"]}
        db.session.remove()
