"""The demo congress: a commune Party congress with every screen filled.

Đại hội đại biểu Đảng bộ xã Hưng Long lần thứ XXI (150 delegates convened, 2 itemised
exclusions, a count committee of 5) with four elections: the committee (15 of 17, strike
form, entered twice with two differences left to settle), the secretary (one candidate,
boxes form, elected by the new committee at its first meeting: 15 members convened, 1
excluded, 14 present, so base 14 and majority 8), 9 official delegates from 11 and 2
alternates from 3 to the district congress. So one election of each electing body.
Ballots are drawn from a seeded random generator, so every run gives the same stacks.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from . import audit
from .auth import services as user_services
from .congress import services
from .extensions import db
from .models import Ballot, Congress, CongressKind, EntryMode, Organisation, Role, Round, User
from .tally import Body, Kind

ORGANISATION = "Đảng bộ xã Hưng Long"
PARENT = "Đảng bộ huyện Yên Lập"
CONGRESS_NAME = "Đại hội đại biểu Đảng bộ xã Hưng Long"

COMMITTEE_MEMBERS = [
    ("Lê Thị Thu", "Trưởng ban"),
    ("Hà Văn Tâm", "Ủy viên"),
    ("Đinh Thị Lan", "Ủy viên"),
    ("Cao Văn Phúc", "Ủy viên"),
    ("Lương Thị Hằng", "Ủy viên"),
]

COMMITTEE_CANDIDATES = [
    ("Nguyễn Văn An", date(1975, 4, 2)),
    ("Trần Thị Bình", date(1980, 9, 15)),
    ("Lê Văn Cường", date(1972, 1, 20)),
    ("Phạm Thị Dung", date(1983, 6, 11)),
    ("Hoàng Văn Đức", date(1978, 12, 3)),
    ("Vũ Thị Giang", date(1986, 3, 27)),
    ("Đặng Văn Hải", date(1970, 8, 8)),
    ("Bùi Thị Hạnh", date(1984, 5, 19)),
    ("Đỗ Văn Hùng", date(1976, 10, 30)),
    ("Ngô Thị Hương", date(1981, 2, 14)),
    ("Dương Văn Khánh", date(1979, 7, 7)),
    ("Lý Thị Mai", date(1988, 11, 21)),
    ("Nguyễn Văn Minh", date(1974, 4, 9)),
    ("Trịnh Thị Nga", date(1985, 1, 5)),
    ("Phan Văn Quang", date(1977, 9, 25)),
    ("Mai Thị Thảo", date(1990, 6, 18)),
    ("Tạ Văn Vinh", date(1982, 3, 3)),
]
# The two the delegates struck most in this (invented) congress.
COMMITTEE_WEAK = {"Mai Thị Thảo", "Tạ Văn Vinh"}

SECRETARY = ("Nguyễn Văn An", date(1975, 4, 2))

DELEGATE_CANDIDATES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Hoàng Văn Đức", "Đặng Văn Hải", "Đỗ Văn Hùng",
    "Dương Văn Khánh", "Nguyễn Văn Minh", "Phan Văn Quang", "Kiều Thị Oanh", "Lò Văn Sơn",
]
DELEGATE_WEAK = {"Kiều Thị Oanh", "Lò Văn Sơn"}

ALTERNATE_CANDIDATES = ["Vũ Thị Giang", "Bùi Thị Hạnh", "Lý Thị Mai"]
ALTERNATE_WEAK = {"Lý Thị Mai"}

CONVENED, PRESENT = 150, 146
# The new committee's first meeting (Hội nghị lần thứ nhất Ban Chấp hành khóa mới).
COMMITTEE_EXCLUSION = "Ủy viên Ban Chấp hành khóa mới vắng mặt có lý do (đi điều trị bệnh)"


@dataclass
class DemoResult:
    congress: Congress | None
    created: bool
    passwords: dict[str, str] = field(default_factory=dict)
    message: str = ""


def any_congress() -> bool:
    return (db.session.scalar(select(func.count()).select_from(Congress)) or 0) > 0


def find_demo() -> Congress | None:
    return db.session.scalar(select(Congress).where(Congress.name == CONGRESS_NAME))


def load_demo(*, if_empty: bool = False) -> DemoResult:
    """Create the demo congress and its logins once; later calls change nothing."""
    if if_empty and any_congress():
        return DemoResult(None, False, message="Đã có đại hội trong cơ sở dữ liệu: không tạo dữ liệu mẫu.")
    existing = find_demo()
    if existing is not None:
        return DemoResult(existing, False, message="Dữ liệu mẫu đã có sẵn.")
    passwords = _ensure_users()
    congress = _build_congress()
    for username in ("nhapphieu1", "nhapphieu2"):
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and not user.assignments:
            user_services.assign(user, congress, Role.COUNTER)
    return DemoResult(congress, True, passwords, "Đã tạo đại hội mẫu.")


def _ensure_users() -> dict[str, str]:
    """admin, an organiser and two counters; a password is generated (and shown) only once."""
    wanted = [
        ("admin", Role.ADMIN, "Quản trị hệ thống"),
        ("tochuc", Role.ORGANISER, "Văn phòng Đảng ủy"),
        ("nhapphieu1", Role.COUNTER, "Tổ kỹ thuật 1"),
        ("nhapphieu2", Role.COUNTER, "Tổ kỹ thuật 2"),
    ]
    passwords = {}
    for username, role, full_name in wanted:
        if db.session.scalar(select(User).where(User.username == username)) is None:
            password = secrets.token_urlsafe(9)
            user_services.create_user(username, password, role, full_name=full_name)
            passwords[username] = password
    return passwords


def _build_congress() -> Congress:
    parent = db.session.scalar(select(Organisation).where(Organisation.name == PARENT))
    parent = parent or services.create_organisation(PARENT, level="district")
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORGANISATION))
    organisation = organisation or services.create_organisation(ORGANISATION, parent, level="grassroots")
    congress = services.create_congress(
        organisation,
        kind=CongressKind.DELEGATES,
        name=CONGRESS_NAME,
        number="lần thứ XXI",
        term="2025 - 2030",
        place="Hội trường Ủy ban nhân dân xã Hưng Long",
        start_date=date(2025, 6, 20),
        end_date=date(2025, 6, 21),
        convened=CONVENED,
    )
    services.add_exclusion(congress, 1, "Đại biểu vắng mặt cả kỳ đại hội, không có đại biểu dự khuyết thay thế")
    services.add_exclusion(congress, 1, "Ủy viên Ban Chấp hành đương nhiệm vắng mặt cả kỳ đại hội")
    for name, role in COMMITTEE_MEMBERS:
        services.add_committee_member(congress, name, role)

    rng = random.Random(20250620)
    committee = services.create_election(
        congress, Kind.COMMITTEE, "Bầu Ban Chấp hành Đảng bộ xã khóa XXI, nhiệm kỳ 2025 - 2030", 15,
        entry_mode=EntryMode.DOUBLE,
    )
    services.add_candidates(committee, COMMITTEE_CANDIDATES)
    _vote_strike(committee.rounds[0], rng, COMMITTEE_WEAK, over_seats=2, no_stamp=1, double=True, batches=2)

    # Elected by the new committee's first meeting (the default body for a secretary): its
    # 15 members are the convened, one of them excluded.
    secretary = services.create_election(
        congress, Kind.SECRETARY, "Bầu Bí thư Đảng ủy xã khóa XXI, nhiệm kỳ 2025 - 2030", 1,
        entry_mode=EntryMode.SINGLE, body=Body.COMMITTEE,
    )
    services.add_exclusion(congress, 1, COMMITTEE_EXCLUSION, Body.COMMITTEE)
    services.add_candidates(secretary, [SECRETARY])
    members_present = congress.base_for(Body.COMMITTEE)
    _vote_boxes(secretary.rounds[0], rng, members_present)

    delegates = services.create_election(
        congress, Kind.DELEGATES, "Bầu đại biểu chính thức đi dự Đại hội đại biểu Đảng bộ huyện Yên Lập lần thứ XXI",
        9, entry_mode=EntryMode.SINGLE,
    )
    services.add_candidates(delegates, [(n, None) for n in DELEGATE_CANDIDATES])
    _vote_strike(delegates.rounds[0], rng, DELEGATE_WEAK, over_seats=1, no_stamp=0)

    alternates = services.create_election(
        congress, Kind.ALTERNATES, "Bầu đại biểu dự khuyết đi dự Đại hội đại biểu Đảng bộ huyện Yên Lập lần thứ XXI",
        2, entry_mode=EntryMode.SINGLE,
    )
    services.add_candidates(alternates, [(n, None) for n in ALTERNATE_CANDIDATES])
    _vote_strike(alternates.rounds[0], rng, ALTERNATE_WEAK, over_seats=0, no_stamp=1)
    return congress


def _open_for_entry(round_: Round, present: int = PRESENT) -> None:
    services.set_round_numbers(round_, present, present, round_.congress.start_date)
    services.start_entry(round_)


def _vote_strike(round_: Round, rng: random.Random, weak: set[str], *, over_seats: int, no_stamp: int,
                 double: bool = False, batches: int = 1) -> None:
    """PRESENT ballots: most strike the surplus (the weak names more often), a few are invalid.

    ``batches``: the stack split into that many batches (tệp phiếu), each typed on its own."""
    _open_for_entry(round_)
    if batches > 1:
        services.set_batches(round_, batches)
    candidates = round_.candidates
    surplus = len(candidates) - round_.seats
    stack: list[dict] = []
    for _ in range(PRESENT - over_seats - no_stamp):
        count = surplus + (1 if rng.random() < 0.15 else 0)  # some strike one more than needed
        weights = [12.0 if c.name in weak else 1.0 for c in candidates]
        stack.append({"struck": sorted(c.code for c in _weighted_sample(rng, candidates, weights, count))})
    for _ in range(over_seats):  # struck too few: keeps more names than seats
        stack.append({"struck": sorted(c.code for c in rng.sample(candidates, max(surplus - 1, 0)))})
    stack += [{"invalid": "no_stamp"}] * no_stamp
    rng.shuffle(stack)
    _store_batches(round_, "A", stack, batches)
    if double:
        second = [dict(b) for b in stack]
        # Two keying slips in pass B, for the comparison page to show.
        for position in (17, 88):
            struck = second[position].get("struck")
            if struck is not None:
                others = [c.code for c in candidates if c.code not in struck]
                second[position] = {"struck": sorted(struck[:-1] + others[:1])}
        _store_batches(round_, "B", second, batches)


def _vote_boxes(round_: Round, rng: random.Random, present: int = PRESENT) -> None:
    _open_for_entry(round_, present)
    code = round_.candidates[0].code
    stack = [{"boxes": {code: "agree"}} for _ in range(present - 3)]
    stack += [{"boxes": {code: "disagree"}}] * 2 + [{"boxes": {code: "both"}}]
    rng.shuffle(stack)
    _store(round_, "A", stack)


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    items, weights, chosen = list(items), list(weights), []
    for _ in range(min(k, len(items))):
        index = rng.choices(range(len(items)), weights=weights)[0]
        chosen.append(items.pop(index))
        weights.pop(index)
    return chosen


def _store_batches(round_: Round, entry_pass: str, stack: list[dict], batches: int) -> None:
    """The stack cut into ``batches`` consecutive parts, each numbered from 1 in its batch."""
    size = -(-len(stack) // batches)
    for number in range(batches):
        _store(round_, entry_pass, stack[number * size:(number + 1) * size], batch=number + 1)


def _store(round_: Round, entry_pass: str, stack: list[dict], batch: int = 1) -> None:
    rows = [
        Ballot(round_id=round_.id, entry_pass=entry_pass, batch=batch, sequence=n, marks=marks,
               idempotency_key=f"demo-{round_.id}-{entry_pass}-{batch}-{n}", round_version=round_.version)
        for n, marks in enumerate(stack, start=1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    audit.record("demo.ballots", congress=round_.congress, round_id=round_.id, entry_pass=entry_pass,
                 batch=batch, count=len(stack),
                 ballot_digests=[[b.id, b.round_id, audit.ballot_digest(b)] for b in rows])
    db.session.commit()
