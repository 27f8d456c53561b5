"""A real server (werkzeug, temp SQLite file, CSRF on) and headless Debian chromium via Playwright.

``counting_day`` seeds a commune congress: a committee election (17 candidates, 15 seats, double
entry) with a stack of ballots already entered in both passes, and a delegates election on the
boxes form (single entry). Tests drive the entry screen with the keyboard.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "mat-khau-trinh-duyet"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

COMMITTEE = [("Lê Thị Thu", "Trưởng ban"), ("Hà Văn Tâm", "Phó Trưởng ban"), ("Đỗ Minh Châu", "Ủy viên")]
CANDIDATES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Giang",
    "Đặng Văn Hải", "Bùi Thị Hạnh", "Đỗ Văn Hùng", "Ngô Thị Lan", "Dương Văn Long", "Lý Thị Mai",
    "Trịnh Văn Nam", "Đinh Thị Oanh", "Mai Văn Phúc", "Tạ Thị Quỳnh", "Cao Văn Sơn",
]
DELEGATES = ["Nguyễn Thị Hoa", "Trần Văn Khánh", "Phan Văn Tuấn"]
SEEDED = 138  # ballots already in each pass when the browser starts


@dataclass
class Day:
    base_url: str
    app: object
    strike_round: int
    boxes_round: int
    seeded: int = SEEDED


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent (scripts/install --test installs Debian chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


def _seed(app) -> tuple[int, int]:
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services
    from kiemphieu.entry import services as entry
    from kiemphieu.extensions import db
    from kiemphieu.models import EntryPass, Role
    from kiemphieu.tally import Kind

    with app.app_context():
        db.create_all()
        organiser = users.create_user("totruong", PASSWORD, Role.ORGANISER)
        organiser.full_name = "Lê Thị Thu"
        users.create_user("nhapA", PASSWORD, Role.COUNTER)
        org = services.create_organisation("Đảng bộ xã Yên Lập")
        congress = services.create_congress(org, convened=150, number="lần thứ XXI", term="2025 - 2030",
                                            place="Hội trường UBND xã Yên Lập", start_date=date(2025, 6, 20))
        services.add_exclusion(congress, 2, "Vắng mặt cả kỳ đại hội có lý do")
        for name, role in COMMITTEE:
            services.add_committee_member(congress, name, role)
        users.assign(users.authenticate("nhapA", PASSWORD), congress, Role.COUNTER)

        election = services.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", 15)
        services.add_candidates(election, [(n, None) for n in CANDIDATES])
        strike_round = election.rounds[0]
        services.set_round_numbers(strike_round, 146, 146)
        services.start_entry(strike_round)
        codes = [c.code for c in strike_round.candidates]
        rng = random.Random(20250620)
        weights = [1 + i % 5 for i in range(len(codes))]
        for _ in range(SEEDED):
            if rng.random() < 0.03:
                marks = {"invalid": rng.choice(["no_stamp", "added_name"])}
            else:
                struck = set()
                while len(struck) < 2:
                    struck.add(rng.choices(codes, weights)[0])
                marks = {"struck": sorted(struck)}
            for entry_pass in (EntryPass.A, EntryPass.B):
                entry.save_ballot(strike_round, entry_pass, marks, uuid.uuid4().hex, confirm_invalid=True)

        delegates = services.create_election(congress, Kind.DELEGATES, "Bầu đại biểu dự Đại hội cấp trên", 3,
                                             entry_mode="single")
        services.add_candidates(delegates, [(n, None) for n in DELEGATES])
        boxes_round = delegates.rounds[0]
        services.set_round_numbers(boxes_round, 146, 146)
        services.start_entry(boxes_round)
        ids = strike_round.id, boxes_round.id
        db.session.remove()
    return ids


def browser_app(folder: Path, secret: str):
    """An app on a SQLite file in ``folder``, as the server runs it (not TESTING)."""
    from kiemphieu import create_app

    return create_app({
        "TESTING": False,
        "SECRET_KEY": secret,
        "INSTANCE_PATH": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'kiemphieu.sqlite'}",
    })


@contextmanager
def served(app, folder: Path):
    """Serve ``app`` on a free local port for the block (its base URL); afterwards stop the
    server, close the database and remove ``folder``."""
    from werkzeug.serving import make_server

    from kiemphieu.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def counting_day(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    app = browser_app(folder, "browser-test-secret")
    strike_round, boxes_round = _seed(app)
    with served(app, folder) as url:
        yield Day(url, app, strike_round, boxes_round)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(counting_day):
    """login(page, "totruong"): through the real login form (CSRF on)."""

    def enter(page, username: str) -> None:
        page.goto(f"{counting_day.base_url}/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url)

    return enter


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where the tests save screenshots: docs/screenshots when KIEMPHIEU_SCREENSHOTS=1 (to
    refresh the README's pictures), else a temporary folder, so a test run leaves git clean."""
    if os.environ.get("KIEMPHIEU_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
