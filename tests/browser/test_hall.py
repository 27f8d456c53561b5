"""The hall's projector page in headless chromium: progress only while counting, then the
announcement appears by itself when the committee finalises; the presenter's keys."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kiemphieu.extensions import db
from kiemphieu.models import Round

from .conftest import CANDIDATES

pytestmark = pytest.mark.browser


def finalise(day, round_id: int) -> list[str]:
    from kiemphieu.results import services

    with day.app.app_context():
        round_ = db.session.get(Round, round_id)
        services.finalise(round_, ["Lê Thị Thu"])
        result = services.version_result(services.latest_version(round_)).result
        elected = [result.by_id(cid) for cid in result.elected]
        names = [(c.name, c.votes) for c in elected]
        db.session.remove()
    return names


def test_hall_shows_progress_then_the_result(counting_day, browser, login, screenshots):
    day = counting_day
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, "totruong")
    with day.app.app_context():
        congress_id = db.session.get(Round, day.strike_round).election.congress_id
        db.session.remove()
    page.goto(f"{day.base_url}/congresses/{congress_id}/hall")

    first = page.locator('section.slide[data-index="0"]')
    expect(first).to_be_visible()
    expect(first.locator(".counted")).to_have_text(str(day.seeded))
    expect(first.locator(".issued")).to_have_text("146")
    expect(page.locator("#hall-position")).to_have_text("1 / 2")
    body = page.locator("body").inner_text()
    assert not any(name in body for name in CANDIDATES), "a candidate shown before the result"
    assert "%" not in body and "trúng cử" not in body
    assert page.locator("nav, .topbar").count() == 0
    page.screenshot(path=str(screenshots / "hall-counting.png"))

    # A clicker's PageDown, then the arrow back.
    page.keyboard.press("PageDown")
    expect(page.locator('section.slide[data-index="1"]')).to_be_visible()
    expect(page.locator("#hall-position")).to_have_text("2 / 2")
    assert page.url.endswith("#2")
    page.keyboard.press("ArrowLeft")
    expect(first).to_be_visible()

    elected = finalise(day, day.strike_round)
    # No reload: the page's own poll brings the announcement.
    expect(first.locator(".elected li")).to_have_count(len(elected), timeout=15_000)
    expect(first.locator(".elected li").first.locator(".name")).to_have_text(elected[0][0])
    expect(first.locator(".elected li").first.locator(".votes")).to_have_text(f"{elected[0][1]} phiếu")
    expect(first.locator(".figures")).to_contain_text("148")  # base: 150 convened - 2 excluded
    expect(first.locator(".outcome")).not_to_be_empty()
    assert "," in first.locator(".elected li .percent").first.inner_text()
    page.screenshot(path=str(screenshots / "hall-result.png"))
    context.close()
