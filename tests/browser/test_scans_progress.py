"""The scans page follows the worker without a reload: queued, then read (headless chromium)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kiemphieu import heartbeat
from kiemphieu.extensions import db
from kiemphieu.models import Round

pytestmark = pytest.mark.browser


def png(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (seed * 40 % 256, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def store_scans(day, count: int) -> list[str]:
    from kiemphieu.scanning import services
    from kiemphieu.scanning.intake import Limits, check_scan

    with day.app.app_context():
        round_ = db.session.get(Round, day.boxes_round)
        codes = [c.code for c in round_.candidates]
        for i in range(count):
            services.store_scan(round_, check_scan(png(i + 1), f"{i + 1:04d}.png", Limits()), user=None)
        db.session.remove()
    return codes


def test_the_scans_page_moves_from_queued_to_read_without_reload(counting_day, page, login, screenshots,
                                                                  monkeypatch):
    import kiemphieu.worker as worker

    day = counting_day
    codes = store_scans(day, 4)
    all_agree = {"status": "read", "marks": None, "boxes": {c: "agree" for c in codes}, "flags": [],
                 "scores": {c: 0.9 for c in codes}, "reason": None}
    def read_pages(path, election, profile_name, file_name, wanted):  # the reader, stubbed
        yield worker.PageResult(0, {**all_agree, "file": file_name, "page": 0}, None, aligned=False)

    monkeypatch.setattr(worker, "read_pages", read_pages)

    login(page, "nhapA")
    page.goto(f"{day.base_url}/rounds/{day.boxes_round}/scans")
    expect(page.locator("#count-pending")).to_have_text("4")
    expect(page.locator("#uploads progress").first).to_have_attribute("value", "0")
    health = page.locator("#worker-health")
    expect(health).to_contain_text("chưa chạy")
    expect(health).to_have_class(re.compile(r"\bflash-error\b"))
    page.evaluate("window.notReloaded = true")

    # The worker starts: its heartbeat appears and the page's worker line follows the next poll.
    run_folder = Path(day.app.instance_path) / "run"
    heartbeat.write(run_folder, "reading", 0)
    expect(health).to_contain_text("hoạt động, đang đọc phiếu", timeout=10_000)
    expect(health).to_have_class(re.compile(r"\bflash-success\b"))
    page.screenshot(path=str(screenshots / "scans-queued.png"), full_page=True)

    with day.app.app_context():
        assert worker.run_once() == 4  # the worker, in this process
        db.session.remove()

    expect(page.locator("#count-read")).to_have_text("4", timeout=15_000)
    expect(page.locator("#count-pending")).to_have_text("0")
    expect(page.locator("#uploads progress").first).to_have_attribute("value", "4")
    expect(page.locator("#recent-scans tbody tr").first).to_contain_text("Đọc được")
    expect(page.locator("#scan-live")).to_contain_text("Đã đọc hết")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(screenshots / "scans-read.png"), full_page=True)
    heartbeat.clear(run_folder)
