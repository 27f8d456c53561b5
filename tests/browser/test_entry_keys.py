"""The entry keys in headless chromium, against a real server: what the screen shows and what is stored."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.extensions import db
from kiemphieu.models import Ballot, Round

pytestmark = pytest.mark.browser


def stored(day, round_id: int, entry_pass: str) -> list[tuple[int, dict]]:
    with day.app.app_context():
        rows = db.session.scalars(
            select(Ballot).where(Ballot.round_id == round_id, Ballot.entry_pass == entry_pass,
                                 Ballot.superseded.is_(False)).order_by(Ballot.sequence)
        ).all()
        result = [(b.sequence, b.marks) for b in rows]
        db.session.remove()
    return result


def round_facts(day, round_id: int):
    with day.app.app_context():
        round_ = db.session.get(Round, round_id)
        codes = [c.code for c in round_.candidates]
        election = round_.to_election()
        facts = {
            "codes": codes,
            "status": round_.status,
            "digest": round_.digest,
            "pass_a": tally.tally(election, [b.to_engine(election) for b in round_.active_ballots("A")]),
            "expected_digest": tally.round_digest(election, round_.engine_ballots()),
        }
        db.session.remove()
    return facts


def keys(page, *presses: str) -> None:
    for key in presses:
        page.keyboard.press(key)


def save_and_wait(page, sequence: int, note: str = "") -> None:
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text(f"Đã lưu phiếu số {sequence}{note}.")


def test_a_struck_row_below_the_fold_is_scrolled_into_view(counting_day, browser, login):
    """(Runs before the test that finalises the round.) On a list longer than the screen, the row just typed is brought into view above the
    sticky buttons, so the clerk sees the name struck; nothing is saved (Escape clears)."""
    day = counting_day
    context = browser.new_context(viewport={"width": 1200, "height": 560}, locale="vi-VN")
    page = context.new_page()
    try:
        login(page, "nhapA")
        page.goto(f"{day.base_url}/rounds/{day.strike_round}/entry/A")
        expect(page.locator("#seq")).to_be_visible()
        last = page.locator('tr[data-order="17"]')

        def visible_above_buttons() -> bool:
            row, buttons = last.bounding_box(), page.locator(".entry-buttons").bounding_box()
            return row is not None and 0 <= row["y"] and row["y"] + row["height"] <= buttons["y"]

        assert not visible_above_buttons()  # the fold is above row 17 at this height
        keys(page, "1", "7")
        expect(last).to_have_class("cand struck")
        page.wait_for_function("() => true")  # one frame: drawing happens on the next animation frame
        assert visible_above_buttons()
        keys(page, "2")
        second = page.locator('tr[data-order="2"]')
        expect(second).to_have_class("cand struck")
        box = second.bounding_box()
        assert box is not None and box["y"] >= 0
        keys(page, "Escape")
        expect(page.locator("#kept")).to_have_text("Giữ lại 17/15")
    finally:
        context.close()


def test_strike_entry_double_entry_settle_and_finalise(counting_day, page, browser, login, screenshots):
    day = counting_day
    first = day.seeded + 1
    login(page, "nhapA")
    page.goto(f"{day.base_url}/rounds/{day.strike_round}/entry/A")
    expect(page.locator("#seq")).to_have_text(f"Phiếu số {first}")
    expect(page.locator("#pass-label")).to_contain_text("Lượt A")
    expect(page.locator("#kept")).to_have_text("Giữ lại 17/15")
    # Nothing typed yet: no red "over the seats" on a paper not yet read.
    expect(page.locator("#kept")).to_have_class("entry-kept")
    expect(page.locator("#verdict")).to_have_class("verdict fresh")

    # 1 on a list of 17 waits for Space (it could start 10-17); 1 2 is 12 at once.
    keys(page, "1")
    expect(page.locator("#buffer")).to_contain_text("1")
    keys(page, "Space", "1", "2")
    expect(page.locator("#kept")).to_have_text("Giữ lại 15/15")
    expect(page.locator("#verdict")).to_have_text("Phiếu hợp lệ")
    expect(page.locator('tr[data-order="12"]')).to_have_class("cand struck")
    save_and_wait(page, first)
    expect(page.locator("#seq")).to_have_text(f"Phiếu số {first + 1}")

    keys(page, "3", "1", "7")
    save_and_wait(page, first + 1)

    # "/" asks for the committee's reason; 2 = no stamp.
    keys(page, "/")
    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-body")).to_contain_text("Phiếu không có dấu")
    keys(page, "2", "Enter")
    expect(page.locator("#message")).to_have_text(f"Đã lưu phiếu số {first + 2} (không hợp lệ).")

    # A wrong ballot saved, then undone with Ctrl+Z (confirmed), then entered again.
    keys(page, "2", "4")
    save_and_wait(page, first + 3)
    keys(page, "Control+z")
    expect(page.locator("#dialog-title")).to_have_text(f"Hủy phiếu số {first + 3}?")
    keys(page, "Enter")
    expect(page.locator("#message")).to_have_text(f"Đã hủy phiếu số {first + 3}: nhập lại phiếu đó.")
    expect(page.locator("#seq")).to_have_text(f"Phiếu số {first + 3}")
    keys(page, "2", "6")
    save_and_wait(page, first + 3)

    # Enter on a ballot that keeps 17 of 15: the engine's verdict is shown before anything is stored.
    keys(page, "Enter")
    expect(page.locator("#dialog-title")).to_have_text("Phiếu không hợp lệ: Bầu quá số lượng cần bầu")
    keys(page, "Escape")
    expect(page.locator("#dialog")).to_be_hidden()
    keys(page, "5", "Backspace")  # Backspace takes back the last mark of the ballot being typed
    expect(page.locator('tr[data-order="5"]')).to_have_class("cand")
    keys(page, "8", "9")
    save_and_wait(page, first + 4)

    facts = round_facts(day, day.strike_round)
    c = facts["codes"]
    a_rows = stored(day, day.strike_round, "A")
    assert len(a_rows) == first + 4
    assert a_rows[-5:] == [
        (first, {"struck": sorted([c[0], c[11]])}),
        (first + 1, {"struck": sorted([c[2], c[16]])}),
        (first + 2, {"invalid": "no_stamp"}),
        (first + 3, {"struck": sorted([c[1], c[5]])}),
        (first + 4, {"struck": sorted([c[7], c[8]])}),
    ]
    # The running totals on screen are the engine's tally of pass A.
    result = facts["pass_a"]
    expect(page.locator("#t-counted")).to_have_text(str(result.counted))
    expect(page.locator("#t-valid")).to_have_text(str(result.valid))
    expect(page.locator("#t-invalid")).to_have_text(str(result.invalid))
    for candidate in result.candidates:
        expect(page.locator(f'tr[data-id="{candidate.id}"] td.votes')).to_have_text(str(candidate.votes))

    # A ballot half typed, for the README's screenshot.
    keys(page, "1", "3", "1", "5")
    expect(page.locator("#verdict")).to_have_text("Phiếu hợp lệ")
    page.screenshot(path=str(screenshots / "entry.png"), full_page=True)
    keys(page, "Escape")

    # Pass B by the committee's organiser: the same stack, one ballot read differently (16, not 17).
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="vi-VN")
    second = context.new_page()
    login(second, "totruong")
    second.goto(f"{day.base_url}/rounds/{day.strike_round}/entry/B")
    expect(second.locator("#pass-label")).to_contain_text("Lượt B")
    keys(second, "1", "Space", "1", "2")
    save_and_wait(second, first)
    keys(second, "3", "1", "6")
    save_and_wait(second, first + 1)
    keys(second, "F9", "2", "Enter")
    expect(second.locator("#message")).to_have_text(f"Đã lưu phiếu số {first + 2} (không hợp lệ).")
    keys(second, "2", "6")
    save_and_wait(second, first + 3)
    keys(second, "8", "9")
    save_and_wait(second, first + 4)

    second.goto(f"{day.base_url}/rounds/{day.strike_round}/compare")
    expect(second.locator("#unsettled-count")).to_have_text("1")
    row = second.locator(f"#phieu-{first + 1}")
    expect(row.locator(".reading-a")).to_contain_text("Cao Văn Sơn")  # 17th on the ballot
    expect(row.locator(".reading-b")).to_contain_text("Tạ Thị Quỳnh")  # 16th
    # Finalising is refused while the difference stands.
    second.goto(f"{day.base_url}/rounds/{day.strike_round}/finalise")
    expect(second.locator("#blockers")).to_contain_text("Còn 1 phiếu")
    second.goto(f"{day.base_url}/rounds/{day.strike_round}/compare")
    row = second.locator(f"#phieu-{first + 1}")
    row.locator('input[name="choice"][value="A"]').check()
    row.locator('button[type="submit"]').click()
    expect(second.locator("#unsettled-count")).to_have_text("0")
    settled = stored(day, day.strike_round, "settled")
    assert settled == [(first + 1, {"struck": sorted([c[2], c[16]])})]

    second.goto(f"{day.base_url}/rounds/{day.strike_round}/finalise")
    second.locator('input[name="confirmed"][value="Lê Thị Thu"]').check()
    second.locator('input[name="confirmed"][value="Hà Văn Tâm"]').check()
    second.locator("#finalise-form button[type=submit]").click()
    expect(second.locator("#digest")).to_be_visible()
    facts = round_facts(day, day.strike_round)
    assert facts["status"] == "finalised" and facts["digest"] == facts["expected_digest"]
    expect(second.locator("#digest")).to_have_text(facts["digest"])
    second.screenshot(path=str(screenshots / "results.png"), full_page=True)

    # The finalised round refuses entry, with a clear message.
    page.goto(f"{day.base_url}/rounds/{day.strike_round}/entry/A")
    expect(page.locator("#entry-closed")).to_contain_text("Vòng bầu đã chốt kết quả")
    context.close()


def test_boxes_form_keys(counting_day, page, login):
    day = counting_day
    login(page, "totruong")
    page.goto(f"{day.base_url}/rounds/{day.boxes_round}/entry/A")
    expect(page.locator("#pass-label")).to_have_text("Nhập một lần — không đối chiếu")
    expect(page.locator("#kept")).to_have_text("Đồng ý 0/3")

    keys(page, "a", "a", "d")
    expect(page.locator("#kept")).to_have_text("Đồng ý 2/3")
    expect(page.locator("#verdict")).to_have_text("Phiếu hợp lệ")
    save_and_wait(page, 1)

    # Row 2 marked in both boxes, the others empty: no vote -> confirm, then stored as invalid.
    keys(page, "2", "b", "Enter")
    expect(page.locator("#dialog-title")).to_have_text("Phiếu không hợp lệ: Không bầu ai")
    keys(page, "Enter")
    expect(page.locator("#message")).to_have_text("Đã lưu phiếu số 2 (không hợp lệ).")

    keys(page, "+", "+", "+")
    save_and_wait(page, 3)

    keys(page, "a", "ArrowUp", "d", "a")
    save_and_wait(page, 4)

    facts = round_facts(day, day.boxes_round)
    c = facts["codes"]

    def boxes(*marks):
        return {"boxes": dict(zip(c, marks))}

    assert stored(day, day.boxes_round, "A") == [
        (1, boxes("agree", "agree", "disagree")),
        (2, boxes("none", "both", "none")),
        (3, boxes("agree", "agree", "agree")),
        (4, boxes("disagree", "agree", "none")),
    ]
    expect(page.locator("#t-counted")).to_have_text("4")
    expect(page.locator("#t-invalid")).to_have_text("1")
    expect(page.locator(f'tr[data-id="{c[1]}"] td.votes')).to_have_text("3")

