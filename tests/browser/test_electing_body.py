"""Set-up of an election held by the new committee's first meeting, in headless chromium: the
form's default body for a secretary, the meeting's own figures on the congress page, and the
round's base and majority following them (issue 9, item 1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kiemphieu.extensions import db
from kiemphieu.models import Round

pytestmark = pytest.mark.browser


def test_a_secretary_election_counts_against_the_new_committee(counting_day, page, login, screenshots):
    day = counting_day
    with day.app.app_context():
        congress_id = db.session.get(Round, day.strike_round).election.congress_id
        db.session.remove()
    login(page, "totruong")

    page.goto(f"{day.base_url}/congresses/{congress_id}/elections/new")
    page.select_option('select[name="kind"]', "secretary")
    page.fill('input[name="title"]', "Bầu Bí thư Đảng ủy xã khóa XXI")
    page.fill('input[name="seats"]', "1")
    expect(page.locator('select[name="body"]')).to_have_value("")  # "by the kind" unless chosen
    page.click('form:has(input[name="title"]) button[type="submit"]')
    expect(page.locator("#body")).to_have_text("Hội nghị lần thứ nhất Ban Chấp hành khóa mới")
    election_url = page.url

    # The meeting's figures: the committee's 15 seats convened, one member excluded.
    page.goto(f"{day.base_url}/congresses/{congress_id}#hoi-nghi")
    expect(page.locator("#committee-convened")).to_have_text("15")
    page.fill('input[name="committee-count"]', "1")
    page.fill('input[name="committee-reason"]', "Ủy viên Ban Chấp hành đi chữa bệnh dài ngày")
    page.click('form[action$="exclusions?body=committee"] button[type="submit"]')
    expect(page.locator("#committee-base")).to_have_text("14")
    expect(page.locator("#committee-majority")).to_have_text("8")
    # The congress's own base is untouched (150 convened, 2 excluded).
    expect(page.locator("#base")).to_have_text("148")
    page.locator("#hoi-nghi").screenshot(path=str(screenshots / "committee-meeting.png"))

    # The round counts against the meeting: present is checked against its 15 members.
    page.goto(election_url)
    page.click("text=Vòng 1")
    page.fill('input[name="present"]', "16")
    page.fill('input[name="issued"]', "14")
    page.click('form:has(input[name="present"]) button[type="submit"]')
    expect(page.locator(".flash-error")).to_contain_text("không thể lớn hơn số được triệu tập (15)")
    page.fill('input[name="present"]', "14")
    page.fill('input[name="issued"]', "14")
    page.click('form:has(input[name="present"]) button[type="submit"]')
    expect(page.locator("#convened")).to_have_text("15")
    expect(page.locator("#base")).to_have_text("14")
    expect(page.locator("#majority")).to_have_text("8")
    expect(page.locator("#fact-present")).to_have_text("14")
    assert "Số ủy viên Ban Chấp hành có mặt lúc bầu cử" in page.content()
