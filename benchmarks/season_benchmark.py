"""A province's season: import 300 congresses from a generated XLSX, then time the dashboard.

Run: .venv/bin/python benchmarks/season_benchmark.py [--congresses 300] [--keep DIR]
(DATABASE_URL=postgresql://... to run it on PostgreSQL; the database is emptied first.)
Prints: the file's size, the read time with python-calamine and with openpyxl, the import
(check + write) time, then the dashboard's median/p95 over 20 requests and its query count,
unfiltered and filtered. Target (issue 12): the dashboard of 300 congresses in < 300 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Hữu", "Xuân"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh", "Lan", "Long", "Minh", "Nam",
         "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Yến"]
# (title, kind, seats, candidates) of a commune congress's elections.
ELECTIONS = [
    ("Bầu Ban Chấp hành khóa mới", "committee", 15, 18),
    ("Bầu Ban Thường vụ", "standing_committee", 5, 6),
    ("Bầu Bí thư", "secretary", 1, 1),
    ("Bầu Phó Bí thư", "deputy_secretary", 2, 2),
    ("Bầu Ủy ban Kiểm tra", "inspection_committee", 5, 6),
    ("Bầu đại biểu dự Đại hội cấp trên", "delegates", 10, 12),
]
HEADER = ["Tổ chức", "Đại hội", "Hình thức", "Ngày", "Địa điểm", "Triệu tập", "Cuộc bầu", "Loại", "Số lượng",
          "Họ và tên", "Ngày sinh"]


def season_workbook(congresses: int, rng: random.Random) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    province = "Đảng bộ tỉnh Hà Tĩnh"
    for n in range(congresses):
        district = f"{province} / Đảng bộ huyện số {n % 20 + 1}"
        path = f"{district} / Đảng bộ xã số {n + 1}"
        day = datetime(2025, 5, 1) + timedelta(days=n % 60)
        for title, kind, seats, count in ELECTIONS:
            for i in range(count):
                name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                born = datetime(1960 + i, 1 + i % 12, 1 + n % 28)  # distinct per election: namesakes allowed
                sheet.append([path, f"Đại hội đại biểu Đảng bộ xã số {n + 1}", "đại biểu", day, "Hội trường",
                              150, title, kind, seats, name, born])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def progress_rounds(rng: random.Random) -> None:
    """A quarter of the congresses counting (100 ballots per pass), a tenth finalised."""
    from sqlalchemy import select

    from kiemphieu.congress import services as setup
    from kiemphieu.auth.services import create_user
    from kiemphieu.entry import comparison
    from kiemphieu.entry import services as entry
    from kiemphieu.extensions import db
    from kiemphieu.models import Ballot, Congress, EntryPass
    from kiemphieu.results import services as results

    congresses = db.session.scalars(select(Congress).order_by(Congress.id)).all()
    clerks = {entry_pass: create_user(f"bench-clerk-{entry_pass.value}", "bench-password-123", "counter")
              for entry_pass in (EntryPass.A, EntryPass.B)}  # each pass typed by its own clerk
    for index, congress in enumerate(congresses):
        if index % 4 and index % 10:
            continue
        setup.add_committee_member(congress, "Hà Văn Tâm", "Trưởng ban")
        round_ = congress.elections[0].rounds[0]
        setup.set_round_numbers(round_, 140, 140)
        setup.start_entry(round_)
        codes = [c.code for c in round_.candidates]
        finalising = index % 10 == 0
        rows = []
        for sequence in range(1, 101):
            marks = {"struck": sorted(rng.sample(codes, 3))}
            for entry_pass in (EntryPass.A, EntryPass.B):
                changed = {"struck": sorted(rng.sample(codes, 3))} if entry_pass is EntryPass.B and rng.random() < .02 else marks
                if finalising:  # finalising checks every ballot against its audit entry
                    entry.save_ballot(round_, entry_pass, changed, uuid.uuid4().hex, user=clerks[entry_pass])
                else:  # written in bulk (no audit entry per ballot): this benchmark times reading
                    rows.append(Ballot(round_id=round_.id, entry_pass=entry_pass.value, sequence=sequence,
                                       marks=changed, idempotency_key=uuid.uuid4().hex))
        db.session.add_all(rows)
        db.session.commit()
        if finalising:
            for difference in comparison.compare_passes(round_).unsettled:
                comparison.settle(round_, difference.sequence, "A")
            results.finalise(round_, ["Hà Văn Tâm"], acknowledge_checks=True)


def time_dashboard(client, query: str, repeat: int = 20) -> tuple[float, float, int]:
    from sqlalchemy import event

    from kiemphieu.extensions import db

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    client.get(f"/{query}")  # warm
    times = []
    for _ in range(repeat):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", record)
        start = time.perf_counter()
        response = client.get(f"/{query}")
        times.append((time.perf_counter() - start) * 1000)
        event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--congresses", type=int, default=300)
    parser.add_argument("--keep", help="instance folder to keep (default: a temporary one)")
    args = parser.parse_args()
    rng = random.Random(12)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="kiemphieu-season-"))
    os.environ["KIEMPHIEU_INSTANCE"] = str(folder)

    data, seconds = timed(lambda: season_workbook(args.congresses, rng))
    season = folder / "mua-dai-hoi.xlsx"
    folder.mkdir(parents=True, exist_ok=True)
    season.write_bytes(data)
    rows = sum(e[3] for e in ELECTIONS) * args.congresses
    print(f"season file: {args.congresses} congresses, {rows} rows, {len(data) / 1e6:.1f} MB (written in {seconds:.1f} s)")
    _, calamine = timed(lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python())
    _, openpyxl = timed(lambda: list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True)))
    print(f"read: python-calamine {calamine:.2f} s, openpyxl (read-only) {openpyxl:.2f} s")

    from kiemphieu import create_app
    from kiemphieu.cli import main as cli
    from kiemphieu.extensions import db

    if os.environ.get("DATABASE_URL"):
        import secrets

        from kiemphieu.season.backup import drop_everything

        os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))  # PostgreSQL nodes share one

        app = create_app()
        with app.app_context():
            drop_everything(db.engine)
    cli(["db-upgrade"])
    code, seconds = timed(lambda: cli(["import", str(season)]))
    print(f"kiemphieu import: exit {code} in {seconds:.1f} s")
    code, seconds = timed(lambda: cli(["import", str(season)]))
    print(f"kiemphieu import again (creates nothing): exit {code} in {seconds:.1f} s")

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        _, seconds = timed(lambda: progress_rounds(rng))
        print(f"rounds counting and finalised set up in {seconds:.1f} s")
        from kiemphieu.auth.services import create_user

        create_user("bench-admin", "bench-password-123", "admin")
        client = app.test_client()
        client.post("/login", data={"username": "bench-admin", "password": "bench-password-123"})
        for label, query in (("all, page 1", ""), ("counting", "?state=counting"), ("search 'xa so 12'", "?q=xa+so+12"),
                             ("page 10", "?page=10")):
            median, p95, queries = time_dashboard(client, query)
            print(f"dashboard {label:<20} median {median:6.1f} ms  p95 {p95:6.1f} ms  {queries} queries")
        db.session.remove()
        db.engine.dispose()
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
