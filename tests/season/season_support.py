"""Helpers for the season tests: the contract's header, example rows, CSV and real XLSX bytes,
an app context on the test instance and a counted round.

Imported as `season_support` (tests/season/conftest.py and tests/web/season/conftest.py put this
folder on sys.path).
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from contextlib import contextmanager
from datetime import date

from openpyxl import Workbook

from kiemphieu import create_app
from kiemphieu.extensions import db

# KIEMPHIEU_TEST_DATABASE_URL=postgresql+psycopg://... runs these commands on PostgreSQL (the
# database is emptied first); by default each test has its own SQLite file.
TEST_DATABASE_URL = os.environ.get("KIEMPHIEU_TEST_DATABASE_URL", "")
ON_POSTGRESQL = TEST_DATABASE_URL.startswith("postgresql")


def empty_database() -> None:
    """PostgreSQL: drop every table of the test database (SQLite: each instance has its own file)."""
    if ON_POSTGRESQL:
        from sqlalchemy import create_engine

        from kiemphieu.season.backup import drop_everything

        engine = create_engine(TEST_DATABASE_URL)
        drop_everything(engine)
        engine.dispose()


HEADER = ["Tổ chức", "Đại hội", "Hình thức", "Ngày", "Địa điểm", "Triệu tập", "Cuộc bầu", "Loại", "Số lượng",
          "Họ và tên", "Ngày sinh"]
PROVINCE = "Đảng bộ tỉnh Hà Tĩnh"
DISTRICT = f"{PROVINCE} / Đảng bộ huyện Can Lộc"
COMMUNE = f"{DISTRICT} / Đảng bộ xã Khánh Vĩnh Yên"
CONGRESS = "Đại hội đại biểu Đảng bộ xã Khánh Vĩnh Yên lần thứ XXI"


def season_rows(path=COMMUNE, congress=CONGRESS, day="20/06/2025", convened="12"):
    """One congress: a committee election (2 of 4) and a secretary election (1 of 1)."""
    base = [path, congress, "đại biểu", day, "Hội trường UBND xã", convened]
    committee = ["Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "committee", "2"]
    return [
        base + committee + ["Nguyễn Văn An", "02/04/1975"],
        base + committee + ["Trần Thị Bình", "1980"],
        base + committee + ["Lê Văn Cường", ""],
        base + committee + ["Phạm Thị Dung", "15/09/1982"],
        base + ["Bầu Bí thư Đảng ủy xã", "Bí thư", "1", "Nguyễn Văn An", "02/04/1975"],
    ]


def csv_bytes(rows, header=HEADER, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    """A real XLSX (openpyxl), cells typed as given: dates stay Excel dates, numbers numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Mùa đại hội"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Ghi chú").append(["this second sheet is ignored"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@contextmanager
def app_context(**config):
    app = create_app({"WTF_CSRF_ENABLED": False, **config})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def count_round(round_, stack, *, finalise=True):
    """Single entry of ``stack`` (ballot objects) into a round in set-up, then finalise it."""
    from kiemphieu.congress import services as setup
    from kiemphieu.entry import services as entry
    from kiemphieu.models import EntryPass
    from kiemphieu.results import services as results

    congress = round_.congress
    if not congress.committee:
        setup.add_committee_member(congress, "Hà Văn Tâm", "Trưởng ban")
    setup.set_entry_mode(round_, "single")
    setup.set_round_numbers(round_, len(stack), len(stack), voted_on=date(2025, 6, 21))
    setup.start_entry(round_)
    for marks in stack:
        entry.save_ballot(round_, EntryPass.A, marks, uuid.uuid4().hex, confirm_invalid=True)
    if finalise:
        results.finalise(round_, ["Hà Văn Tâm"], acknowledge_checks=True)
    return round_
