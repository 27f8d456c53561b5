"""A large document is made by the worker: the results page's minutes link leads to the
"Đang tạo tài liệu…" page, which follows the job without a reload and opens the PDF once the
worker (run here, in this process) has made it (headless chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiemphieu.extensions import db

pytestmark = pytest.mark.browser


def test_the_minutes_link_waits_for_the_worker_then_gives_the_pdf(counting_day, page, login, screenshots):
    import kiemphieu.worker as worker

    day = counting_day
    login(page, "totruong")
    page.goto(f"{day.base_url}/rounds/{day.strike_round}/results")
    page.get_by_role("link", name=re.compile("Tải biên bản")).first.click()
    page.wait_for_url(re.compile(r"/documents/\d+$"))
    expect(page.locator("#job-waiting")).to_contain_text("Đang tạo tài liệu…")
    page.evaluate("window.notReloaded = true")
    page.screenshot(path=str(screenshots / "document-waiting.png"), full_page=True)
    assert page.evaluate("window.notReloaded") is True

    with page.expect_response(re.compile(r"/documents/\d+/download$"), timeout=30_000) as answer:
        with day.app.app_context():
            assert worker.run_once() == 1  # the worker, in this process
            db.session.remove()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert "bien-ban-kiem-phieu-vong-1-ban-nhap.pdf" in response.headers["content-disposition"]
    # Chromium shows it in its PDF viewer; the same address, fetched in this session, is the PDF.
    assert page.request.get(response.url).body().startswith(b"%PDF")
