"""Fixtures for the season commands: a file-backed instance driven through `kiemphieu` (cli.main)."""

from __future__ import annotations

import csv
import io
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from openpyxl import Workbook

from kiemphieu import create_app
from kiemphieu.cli import main
from kiemphieu.extensions import db

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


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db-upgrade"]) == 0
    return folder


class Cli:
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(instance, capsys):
    return Cli(capsys)


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
