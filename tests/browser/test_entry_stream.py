"""Entry never drops a keystroke: 155 ballots of every kind typed as fast as Playwright can type,
without and with 400 ms added to every request, in single and double entry; the stored stack
must equal the typed one position by position.

Latency is added in the server (a WSGI wrapper that sleeps before every request, threaded
server), so the browser and Playwright's own key events are never slowed: the screen sees
every answer 400 ms late, exactly as over a slow network.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Ballot, Round

from .conftest import CANDIDATES, DELEGATES, PASSWORD, browser_app, served

pytestmark = pytest.mark.browser

REASONS = ["not_issued", "no_stamp", "added_name", "identifying_mark", "other"]  # keys 1-5 on screen
STRIKE_BALLOTS, BOXES_BALLOTS = 120, 30
LATENCY = 0.4
# scenario -> the latency each pass is typed with (double entry: pass A fast, pass B slow)
SCENARIOS = {"single-fast": [0.0], "single-slow": [LATENCY], "double-mixed": [0.0, LATENCY]}


class Latency:
    """WSGI wrapper: every request waits ``delay`` seconds before the app sees it."""

    def __init__(self, app):
        self.app, self.delay = app, 0.0

    def __call__(self, environ, start_response):
        if self.delay:
            time.sleep(self.delay)
        return self.app(environ, start_response)


@dataclass
class Scenario:
    mode: str
    strike_round: int
    boxes_round: int
    strike_codes: list[str]
    boxes_codes: list[str]


@dataclass
class Server:
    base_url: str
    app: object
    latency: Latency
    scenarios: dict[str, Scenario] = field(default_factory=dict)


def _seed(app) -> dict[str, Scenario]:
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services
    from kiemphieu.models import Role
    from kiemphieu.tally import Kind

    scenarios = {}
    with app.app_context():
        db.create_all()
        clerks = [users.create_user(name, PASSWORD, Role.COUNTER) for name in ("nhapA", "nhapB")]
        for label in [*SCENARIOS, "single-held", "double-batches", "single-reload"]:
            mode = label.split("-")[0]
            org = services.create_organisation(f"Đảng bộ xã {label}")
            congress = services.create_congress(org, convened=400, number="lần thứ XXI", term="2025 - 2030",
                                                place="Hội trường", start_date=date(2025, 6, 20))
            services.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
            for clerk in clerks:
                users.assign(clerk, congress, Role.COUNTER)
            committee = services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 15, entry_mode=mode)
            services.add_candidates(committee, [(n, None) for n in CANDIDATES])
            delegates = services.create_election(congress, Kind.DELEGATES, "Bầu đại biểu", 3, entry_mode=mode)
            services.add_candidates(delegates, [(n, None) for n in DELEGATES])
            rounds = committee.rounds[0], delegates.rounds[0]
            for round_ in rounds:
                services.set_round_numbers(round_, 380, 380)
                services.start_entry(round_)
                if label == "double-batches":
                    services.set_batches(round_, 2)
            scenarios[label] = Scenario(mode, rounds[0].id, rounds[1].id, [c.code for c in rounds[0].candidates],
                                        [c.code for c in rounds[1].candidates])
        db.session.remove()
    return scenarios


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    app = browser_app(folder, "browser-stream-secret")
    scenarios = _seed(app)
    latency = Latency(app.wsgi_app)
    app.wsgi_app = latency
    with served(app, folder) as url:
        yield Server(url, app, latency, scenarios)


# ------------------------------------------------------------------ the papers and the keys typed for them


def number_keys(order: int, count: int, rng: random.Random) -> list[str]:
    """The keys for one list number; a prefix of a longer number is closed by Space."""
    digits = list(str(order))
    if order * 10 <= count:
        digits.append("Space")
    return digits


def strike_paper(rng: random.Random, codes: list[str]) -> tuple[dict, str]:
    """A paper of the strike stack and its kind."""
    roll = rng.random()
    if roll < 0.06:
        return {"invalid": rng.choice(REASONS)}, "reason"
    if roll < 0.12:
        return {"struck": sorted(rng.sample(codes, rng.choice([0, 1])))}, "over_seats"
    if roll < 0.15:
        return {"struck": sorted(codes)}, "all_struck"
    return {"struck": sorted(rng.sample(codes, rng.choice([2, 2, 2, 3, 4, 8])))}, "valid"


def boxes_paper(rng: random.Random, codes: list[str]) -> tuple[dict, str]:
    roll = rng.random()
    if roll < 0.1:
        return {"invalid": rng.choice(REASONS)}, "reason"
    if roll < 0.2:
        return {"boxes": {c: rng.choice(["disagree", "none", "both"]) for c in codes}}, "no_vote"
    marks = {c: rng.choice(["agree", "agree", "disagree", "both", "none"]) for c in codes}
    marks[rng.choice(codes)] = "agree"
    return {"boxes": marks}, "valid"


def strike_keys(paper: dict, codes: list[str], rng: random.Random) -> list[str]:
    if "invalid" in paper:
        return ["/", str(REASONS.index(paper["invalid"]) + 1), "Enter"]
    orders = [codes.index(c) + 1 for c in paper["struck"]]
    rng.shuffle(orders)
    keys: list[str] = []
    if orders and rng.random() < 0.1:  # a slip taken back with Backspace
        keys += [str(rng.choice([o for o in range(2, 10) if o not in orders] or [2])), "Backspace"]
    for i, order in enumerate(orders):
        typed = number_keys(order, len(codes), rng)
        if i == len(orders) - 1 and typed[-1] == "Space" and rng.random() < 0.5:
            typed = typed[:-1]  # Enter closes a number too
        keys += typed
    keys.append("Enter")
    kept = len(codes) - len(orders)
    if kept > 15 or kept == 0:
        keys.append("Enter")  # the confirmation of an invalid-by-rule ballot
    return keys


BOX_KEYS = {"agree": ["a", "+"], "disagree": ["d", "-"], "both": ["b", "*"], "none": ["n"]}


def boxes_keys(paper: dict, codes: list[str], rng: random.Random) -> list[str]:
    if "invalid" in paper:
        return ["/", str(REASONS.index(paper["invalid"]) + 1), "Enter"]
    marks = [paper["boxes"][c] for c in codes]
    if rng.random() < 0.3:  # the last row first, then back up with a list number
        keys = ["3", rng.choice(BOX_KEYS[marks[2]]), "1"] + [rng.choice(BOX_KEYS[m]) for m in marks[:2]]
    else:
        keys = [rng.choice(BOX_KEYS[m]) for m in marks]
    keys.append("Enter")
    if "agree" not in marks:
        keys.append("Enter")
    return keys


def slip(codes: list[str], rng: random.Random, form: str) -> list[str]:
    """A wrong ballot saved and taken back (Ctrl+Z or Backspace on an empty ballot, confirmed),
    or a half-typed one cleared with Esc."""
    wrong = ["2", "4", "Enter"] if form == "strike" else ["a", "d", "d", "Enter"]
    choice = rng.random()
    if choice < 0.4:
        return wrong + ["Control+z", "Enter"]
    if choice < 0.7:
        return wrong + ["Backspace", "Enter"]
    return wrong[:-1] + ["Escape"]


def typing_script(papers: list[dict], codes: list[str], form: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    keys: list[str] = []
    for paper in papers:
        if rng.random() < 0.05:
            keys += slip(codes, rng, form)
        keys += (strike_keys if form == "strike" else boxes_keys)(paper, codes, rng)
    return keys


def stack_of(day: Server, round_id: int, entry_pass: str) -> list[tuple[int, dict]]:
    with day.app.app_context():
        rows = db.session.scalars(select(Ballot).where(
            Ballot.round_id == round_id, Ballot.entry_pass == entry_pass, Ballot.superseded.is_(False),
        ).order_by(Ballot.sequence)).all()
        result = [(b.sequence, b.marks) for b in rows]
        db.session.remove()
    return result


# ------------------------------------------------------------------ typing


TYPABLE = {"Space": " ", "Enter": "\n"}


def chunks(keys: list[str]):
    """Runs of keys keyboard.type can send in one call, and the other keys one by one."""
    run: list[str] = []
    for key in keys:
        if len(key) == 1 or key in TYPABLE:
            run.append(TYPABLE.get(key, key))
            continue
        if run:
            yield run
            run = []
        yield key
    if run:
        yield run


def type_stack(page, keys: list[str], last_sequence: int) -> dict:
    """Type every key as fast as Playwright can, then wait until the screen has stored them all."""
    start = time.perf_counter()
    for chunk in chunks(keys):
        if isinstance(chunk, str):
            page.keyboard.press(chunk)
        else:
            page.keyboard.type("".join(chunk))  # one call for a run of plain keys ("\n" is Enter)
    typed = time.perf_counter()
    expect(page.locator("#pending")).to_have_text("", timeout=60_000)
    expect(page.locator("#message")).to_contain_text(f"Đã lưu phiếu số {last_sequence}", timeout=60_000)
    expect(page.locator("#stall")).to_be_hidden()
    stored = time.perf_counter()
    return {"keys": len(keys), "typing_s": typed - start, "keys_per_s": len(keys) / (typed - start),
            "stored_s": stored - start}


def login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("label", list(SCENARIOS))
def test_every_key_is_applied_in_order_and_the_stored_stack_equals_the_typed_one(server, browser, label, capsys):
    scenario = server.scenarios[label]
    seed = sum(map(ord, label))
    rng = random.Random(seed)
    strike_papers = [strike_paper(rng, scenario.strike_codes) for _ in range(STRIKE_BALLOTS)]
    boxes_papers = [boxes_paper(rng, scenario.boxes_codes) for _ in range(BOXES_BALLOTS)]
    kinds = {kind for _, kind in strike_papers + boxes_papers}
    assert kinds == {"valid", "reason", "over_seats", "all_struck", "no_vote"}
    expected_strike = [(i, marks) for i, (marks, _) in enumerate(strike_papers, 1)]
    expected_boxes = [(i, marks) for i, (marks, _) in enumerate(boxes_papers, 1)]

    passes = ["A", "B"] if scenario.mode == "double" else ["A"]
    figures = []
    try:
        for entry_pass, clerk, delay in zip(passes, ["nhapA", "nhapB"], SCENARIOS[label]):
            server.latency.delay = delay
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
            page = context.new_page()
            page.set_default_timeout(20_000)
            login(page, server.base_url, clerk)
            # Each pass keys the same papers its own way (its own seed).
            for round_id, papers, codes, form in (
                (scenario.strike_round, strike_papers, scenario.strike_codes, "strike"),
                (scenario.boxes_round, boxes_papers, scenario.boxes_codes, "boxes"),
            ):
                keys = typing_script([m for m, _ in papers], codes, form, seed * 7 + ord(entry_pass) + len(form))
                page.goto(f"{server.base_url}/rounds/{round_id}/entry/{entry_pass}")
                expect(page.locator("#seq")).to_have_text("Phiếu số 1")
                if form == "strike":
                    assert "Control+z" in keys or "Escape" in keys  # an undo or a clear is in every stack
                figures.append((f"{entry_pass} {form} +{int(delay * 1000)} ms", type_stack(page, keys, len(papers))))
            context.close()
    finally:
        server.latency.delay = 0.0

    for entry_pass in passes:
        assert stack_of(server, scenario.strike_round, entry_pass) == expected_strike
        assert stack_of(server, scenario.boxes_round, entry_pass) == expected_boxes
    if scenario.mode == "double":
        from kiemphieu.entry.comparison import compare_passes

        with server.app.app_context():
            for round_id in (scenario.strike_round, scenario.boxes_round):
                report = compare_passes(db.session.get(Round, round_id))
                assert report.differences == [] and report.agreed == report.a_count
            db.session.remove()
    with capsys.disabled():
        for what, f in figures:
            print(f"\n[{label}] pass {what}: {f['keys']} keys in {f['typing_s']:.2f} s = "
                  f"{f['keys_per_s']:.0f} keys/s; all stored after {f['stored_s']:.2f} s")


def test_keys_typed_while_a_question_is_open_are_held_and_applied_in_order(server, browser):
    """The issue's walk: an over-seats slip, then the next papers typed blind. Nothing is swallowed,
    the blind Enter does not answer the question, and every paper lands at its own position."""
    scenario = server.scenarios["single-held"]
    c = scenario.strike_codes
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    login(page, server.base_url, "nhapA")
    page.goto(f"{server.base_url}/rounds/{scenario.strike_round}/entry/A")
    press = page.keyboard.press

    # Paper 1 has names 2 and 4 struck; the clerk typed only 2 (16 kept of 15), then papers 2 and 3 blind.
    for key in ["2", "Enter", "3", "5", "Enter", "7", "9", "Enter"]:
        press(key)
    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-title")).to_have_text("Phiếu không hợp lệ: Bầu quá số lượng cần bầu")
    expect(page.locator("#dialog-held-keys kbd")).to_have_text(["3", "5", "↵", "7", "9", "↵"])
    expect(page.locator("#dialog-hint")).to_contain_text("Ctrl+Enter")
    assert stack_of(server, scenario.strike_round, "A") == []
    # Back to paper 1 (the held keys wait for it), add name 4, save: papers 2 and 3 follow.
    press("Control+Backspace")
    expect(page.locator("#dialog")).to_be_hidden()
    expect(page.locator("#ahead")).to_be_visible()
    expect(page.locator("#seq")).to_have_text("Phiếu số 1")
    press("4")
    press("Enter")
    expect(page.locator("#seq")).to_have_text("Phiếu số 4")
    expect(page.locator("#ahead")).to_be_hidden()

    # Paper 4 really keeps every name (over the seats): Enter, then paper 5 blind; Ctrl+Enter confirms.
    for key in ["Enter", "6", "8", "Enter"]:
        press(key)
    expect(page.locator("#dialog-held-keys kbd")).to_have_text(["6", "8", "↵"])
    press("Enter")  # still held: an Enter typed blind is not the answer
    expect(page.locator("#dialog-held-keys kbd")).to_have_text(["6", "8", "↵", "↵"])
    press("Control+Enter")
    # The held Enter after paper 5 saves an empty paper 6 only after its own question: answer no.
    expect(page.locator("#dialog-title")).to_have_text("Phiếu không hợp lệ: Bầu quá số lượng cần bầu")
    press("Escape")
    expect(page.locator("#seq")).to_have_text("Phiếu số 6")
    expect(page.locator("#pending")).to_have_text("")
    expect(page.locator("#message")).to_have_text("Đã lưu phiếu số 5.")
    assert stack_of(server, scenario.strike_round, "A") == [
        (1, {"struck": sorted([c[1], c[3]])}),
        (2, {"struck": sorted([c[2], c[4]])}),
        (3, {"struck": sorted([c[6], c[8]])}),
        (4, {"struck": []}),
        (5, {"struck": sorted([c[5], c[7]])}),
    ]
    context.close()


def test_at_1366x768_the_save_buttons_of_a_17_name_list_are_in_sight(server, browser):
    scenario = server.scenarios["single-held"]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    login(page, server.base_url, "nhapB")
    page.goto(f"{server.base_url}/rounds/{scenario.boxes_round}/entry/A")  # loads the session cheaply
    page.goto(f"{server.base_url}/rounds/{scenario.strike_round}/entry/A")
    expect(page.locator("tr.cand")).to_have_count(17)
    for action in ("save", "invalid", "clear", "undo"):
        box = page.locator(f'button[data-action="{action}"]').bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768, (action, box)
    context.close()


def test_a_batch_is_typed_from_its_own_screen_and_stored_in_its_own_stack(server, browser):
    scenario = server.scenarios["double-batches"]
    c = scenario.strike_codes
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    login(page, server.base_url, "nhapA")
    server.latency.delay = LATENCY
    try:
        page.goto(f"{server.base_url}/rounds/{scenario.strike_round}/batches/2/entry/B")
        expect(page.locator("#batch-label")).to_have_text("Tệp phiếu số 2/2")
        expect(page.locator("#seq")).to_have_text("Phiếu số 1 của tệp 2")
        for key in ["2", "4", "Enter", "3", "1", "Enter", "/", "2", "Enter"]:
            page.keyboard.press(key)
        expect(page.locator("#seq")).to_have_text("Phiếu số 4 của tệp 2")
        expect(page.locator("#message")).to_have_text("Đã lưu phiếu số 3 (không hợp lệ).", timeout=20_000)
    finally:
        server.latency.delay = 0.0
    with server.app.app_context():
        rows = db.session.scalars(select(Ballot).where(Ballot.round_id == scenario.strike_round)
                                  .order_by(Ballot.id)).all()
        stored = [(b.entry_pass, b.batch, b.sequence, b.marks) for b in rows]
        db.session.remove()
    assert stored == [("B", 2, 1, {"struck": sorted([c[1], c[3]])}), ("B", 2, 2, {"struck": sorted([c[0], c[2]])}),
                      ("B", 2, 3, {"invalid": "no_stamp"})]
    context.close()


def test_ballots_typed_before_a_reload_are_sent_again_when_the_screen_opens(server, browser):
    """The network drops mid-stack: one save reaches the server but its answer is lost, the next
    never leave the browser. The clerk reloads the page: every typed ballot is stored exactly once,
    at its own position."""
    scenario = server.scenarios["single-reload"]
    c = scenario.strike_codes
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Còn phiếu chưa lưu" on reload
    login(page, server.base_url, "nhapA")
    screen = f"{server.base_url}/rounds/{scenario.strike_round}/entry/A"
    page.goto(screen)
    expect(page.locator("#seq")).to_have_text("Phiếu số 1")
    for key in ["1", "Space", "2", "Enter", "3", "4", "Enter"]:
        page.keyboard.press(key)
    expect(page.locator("#message")).to_have_text("Đã lưu phiếu số 2.")

    lost = {"answers": 0}

    def network_down(route):
        if not lost["answers"]:
            lost["answers"] += 1
            route.fetch()  # the server stores it; its answer never comes back
        route.abort()

    page.route("**/entry/A/ballots", network_down)
    for key in ["5", "6", "Enter", "7", "8", "Enter", "9", "1", "0", "Enter"]:
        page.keyboard.press(key)
    expect(page.locator("#seq")).to_have_text("Phiếu số 6")
    expect(page.locator("#message")).to_contain_text("Mất kết nối", timeout=10_000)
    assert lost["answers"] == 1
    stored_before = stack_of(server, scenario.strike_round, "A")
    assert 3 <= len(stored_before) < 5  # the leaked save is in, the rest are not

    page.unroute("**/entry/A/ballots")
    page.reload()
    expect(page.locator("#pending")).to_have_text("", timeout=20_000)
    expect(page.locator("#seq")).to_have_text("Phiếu số 6")
    expect(page.locator("#stall")).to_be_hidden()
    assert stack_of(server, scenario.strike_round, "A") == [
        (1, {"struck": sorted([c[0], c[1]])}),
        (2, {"struck": sorted([c[2], c[3]])}),
        (3, {"struck": sorted([c[4], c[5]])}),
        (4, {"struck": sorted([c[6], c[7]])}),
        (5, {"struck": sorted([c[8], c[9]])}),
    ]
    # Acknowledged: nothing is left to send the next time the screen opens.
    assert page.evaluate("Object.keys(window.localStorage).filter(k => k.startsWith('kiemphieu-outbox')).length") == 0
    context.close()
