"""`kiemphieu import FILE [--dry-run]` (season.md sections 1 and 2), through the command line."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from sqlalchemy import func, select

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Candidate, Congress, Election, Organisation, RoundStatus

from season_support import app_context, COMMUNE, CONGRESS, csv_bytes, DISTRICT, HEADER, season_rows, xlsx_bytes

LINE = re.compile(r"^(?P<file>.+?):(?P<row>\d+): (?P<column>[^:]+): (?P<message>.+)$")


def counts_of(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def stored() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (("organisations", Organisation), ("congresses", Congress),
                                ("elections", Election), ("candidates", Candidate))}


def test_csv_import_creates_the_season_and_a_second_import_creates_nothing(cli, tmp_path):
    season = tmp_path / "mua.csv"
    season.write_bytes(csv_bytes(season_rows(), bom=True))
    code, out, err = cli("import", season)
    assert (code, err) == (0, "")
    assert counts_of(out) == {"organisations": 3, "congresses": 1, "elections": 2, "candidates": 5}
    code, out, _ = cli("import", season)
    assert code == 0 and counts_of(out) == {"organisations": 0, "congresses": 0, "elections": 0, "candidates": 0}
    with app_context():
        assert stored() == {"organisations": 3, "congresses": 1, "elections": 2, "candidates": 5}
        congress = db.session.scalar(select(Congress))
        assert congress.name == CONGRESS and congress.convened == 12 and congress.kind == "delegates"
        assert congress.start_date == date(2025, 6, 20) and congress.place == "Hội trường UBND xã"
        path = []
        org = congress.organisation
        while org is not None:
            path.insert(0, org.name)
            org = org.parent
        assert " / ".join(path) == COMMUNE
        committee, secretary = congress.elections
        assert (committee.kind, committee.seats, secretary.kind, secretary.seats) == ("committee", 2, "secretary", 1)
        # As set-up would: the secretary is elected by the new committee, the committee by the congress.
        assert (committee.body, secretary.body) == ("congress", "committee")
        first = committee.rounds[0]
        assert first.status == RoundStatus.SETUP.value and first.number == 1
        assert {c.name for c in first.candidates} == {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"}
        binh = next(c for c in committee.candidates if c.name == "Trần Thị Bình")
        assert binh.born is None and binh.note == "Năm sinh 1980"  # a year alone is kept, not invented
        actions = list(db.session.scalars(select(AuditEntry.action)))
        assert actions.count("season.import") == 2 and actions.count("congress.create") == 1
    assert cli("audit-check")[0] == 0


def test_dry_run_counts_what_would_be_created_and_writes_nothing(cli, tmp_path):
    season = tmp_path / "mua.csv"
    season.write_bytes(csv_bytes(season_rows()))
    code, out, _ = cli("import", season, "--dry-run")
    assert code == 0 and counts_of(out) == {"organisations": 3, "congresses": 1, "elections": 2, "candidates": 5}
    with app_context():
        assert stored() == {"organisations": 0, "congresses": 0, "elections": 0, "candidates": 0}
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_missing_levels_are_created_under_existing_ones_and_new_names_join_an_election(cli, tmp_path):
    first = tmp_path / "dot1.csv"
    first.write_bytes(csv_bytes(season_rows()))
    assert cli("import", first)[0] == 0
    other_commune = f"{DISTRICT} / Đảng bộ xã Đồng Lộc"
    rows = season_rows() + [season_rows()[0][:9] + ["Võ Văn Giang", ""]] + season_rows(path=other_commune,
                                                                                     congress="Đại hội Đồng Lộc")
    second = tmp_path / "dot2.csv"
    second.write_bytes(csv_bytes(rows))
    code, out, err = cli("import", second)
    assert code == 0, err
    assert counts_of(out) == {"organisations": 1, "congresses": 1, "elections": 2, "candidates": 6}
    with app_context():
        election = db.session.scalars(select(Election).order_by(Election.id)).first()
        giang = next(c for c in election.candidates if c.name == "Võ Văn Giang")
        assert giang.code == "c05" and giang in election.rounds[0].candidates


def test_xlsx_with_excel_dates_numbers_and_headers_written_as_keys(cli, tmp_path):
    header = ["  TO_CHUC ", "Dai_hoi", "hinh_thuc", "NGAY", "dia_diem", "trieu_tap", "cuoc_bau", "loai",
              "so_luong", "ho_ten", "ngay_sinh"]
    base = [COMMUNE, CONGRESS, "Đảng viên", datetime(2025, 6, 20), None, 40]
    rows = [
        base + ["Bầu Ban Chấp hành", "Ban Chấp hành", 2, "Nguyễn Văn An", datetime(1975, 4, 2)],
        base + ["Bầu Ban Chấp hành", "Ban Chấp hành", 2, "Trần Thị Bình", "15/09/1982"],
        base + ["Bầu Ban Chấp hành", "Ban Chấp hành", 2, "Lê Văn Cường", 1968],
        [COMMUNE, CONGRESS, "đảng viên", "20/06/2025", None, "40", "Bầu Bí thư", "secretary", "1",
         "Nguyễn Văn An", None],
    ]
    season = tmp_path / "mua.xlsx"
    season.write_bytes(xlsx_bytes(rows, header))
    code, out, err = cli("import", season)
    assert code == 0, err
    assert counts_of(out) == {"organisations": 3, "congresses": 1, "elections": 2, "candidates": 4}
    with app_context():
        congress = db.session.scalar(select(Congress))
        assert (congress.kind, congress.start_date, congress.convened) == ("members", date(2025, 6, 20), 40)
        born = {c.name: c.born for c in congress.elections[0].candidates}
        assert born == {"Nguyễn Văn An": date(1975, 4, 2), "Trần Thị Bình": date(1982, 9, 15), "Lê Văn Cường": None}


def test_an_import_file_with_every_kind_of_error_lists_them_all_and_writes_nothing(cli, tmp_path):
    header = [h for h in HEADER if h != "Triệu tập"] + ["Ghi chú"]  # a required column missing, one unknown
    base = [COMMUNE, CONGRESS, "đại biểu", "20/06/2025", "Hội trường"]
    bch = ["Bầu Ban Chấp hành", "committee", "3"]
    ubkt = ["Bầu Ủy ban Kiểm tra", "inspection_committee", "2"]
    rows = [
        base + bch + ["Nguyễn Văn An", "02/04/1975", ""],                               # 2 fine
        base + bch + ["", "", ""],                                                    # 3 missing value
        base + bch[:2] + ["ba"] + ["Đinh Văn Bốn", "", ""],                           # 4 bad number
        base[:3] + ["32/13/2025"] + base[4:] + bch + ["Đinh Văn Năm", "", ""],        # 5 bad date
        base + ["Bầu Thủ quỹ", "thủ quỹ", "1", "Đinh Văn Sáu", "", ""],               # 6 unknown kind
        base[:2] + ["đảng viên"] + base[3:] + bch + ["Đinh Văn Bảy", "", ""],         # 7 congress disagrees
        base + bch[:2] + ["4"] + ["Đinh Văn Tám", "", ""],                            # 8 election disagrees
        base + bch + ["Trần Thị Bình", "01/01/1980", ""],                             # 9
        base + bch + ["Trần Thị Bình", "01/01/1980", ""],                             # 10 identical candidate
        base + bch + ["Lê Văn Cường", "", ""],                                        # 11
        base + bch + ["Lê Văn Cường", "", ""],                                        # 12 namesake, no birth date
        base + ubkt + ["Hồ Văn Mười", "", ""],                                        # 13 seats >= candidates
        base + ubkt + ["Hồ Văn Một", "", ""],                                         # 14
    ]
    data = csv_bytes(rows, header) + ",".join(base + bch).encode("utf-8") + b",Ph\xe1m V\xe3n,,\r\n"  # 15 encoding
    season = tmp_path / "loi.csv"
    season.write_bytes(data)
    code, out, err = cli("import", season)
    assert code == 2 and out == ""
    lines = [LINE.match(line) for line in err.splitlines()]
    assert all(lines), err
    assert {m["file"] for m in lines} == {str(season)}
    found = [(int(m["row"]), m["column"]) for m in lines]
    assert found == [
        (1, "Ghi chú"), (1, "Triệu tập"),
        (3, "Họ và tên"), (4, "Số lượng"), (5, "Ngày"), (6, "Loại"), (7, "Hình thức"), (8, "Số lượng"),
        (10, "Họ và tên"), (12, "Họ và tên"), (13, "Số lượng"), (15, "Họ và tên"),
    ], err
    messages = {(int(m["row"]), m["column"]): m["message"] for m in lines}
    assert "thiếu cột bắt buộc" in messages[(1, "Triệu tập")]
    assert "không có trong mẫu" in messages[(1, "Ghi chú")]
    assert messages[(3, "Họ và tên")] == "thiếu giá trị"
    assert "không phải số nguyên" in messages[(4, "Số lượng")]
    assert "không phải ngày" in messages[(5, "Ngày")]
    assert "thủ quỹ" in messages[(6, "Loại")]
    assert "khác với dòng 2" in messages[(7, "Hình thức")] and "khác với dòng 2" in messages[(8, "Số lượng")]
    assert "trùng người ứng cử với dòng 9" in messages[(10, "Họ và tên")]
    assert "không có ngày sinh" in messages[(12, "Họ và tên")]
    assert "số dư" in messages[(13, "Số lượng")]
    assert "UTF-8" in messages[(15, "Họ và tên")]
    # --dry-run reports the same lines
    assert cli("import", season, "--dry-run")[2] == err
    with app_context():
        assert stored() == {"organisations": 0, "congresses": 0, "elections": 0, "candidates": 0}
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_xlsx_errors_name_the_rows_as_the_spreadsheet_numbers_them(cli, tmp_path):
    rows = season_rows()
    rows[1][8] = 2.5  # seats: not an integer
    rows[2] = [None] * len(HEADER)  # an empty row in the middle is skipped, not an error
    rows[3][5] = "mười hai"
    season = tmp_path / "loi.xlsx"
    season.write_bytes(xlsx_bytes(rows))
    code, _, err = cli("import", season)
    assert code == 2
    assert err.splitlines()[:2] == [
        f"{season}:3: Số lượng: “2.5” không phải số nguyên",
        f"{season}:5: Triệu tập: “mười hai” không phải số nguyên",
    ]


def test_a_namesake_needs_full_birth_dates_and_existing_congresses_must_match(cli, tmp_path):
    season = tmp_path / "mua.csv"
    season.write_bytes(csv_bytes(season_rows()))
    assert cli("import", season)[0] == 0
    changed = season_rows(convened="13")[:1]
    changed.append(changed[0][:9] + ["Lê Văn Cường", "1970"])  # the stored Cường has no birth date
    other = tmp_path / "khac.csv"
    other.write_bytes(csv_bytes(changed))
    code, _, err = cli("import", other)
    assert code == 2
    assert f"{other}:2: Triệu tập: đại hội này đã có trong hệ thống với giá trị khác (“12”)" in err
    assert f"{other}:3: Họ và tên: trùng họ tên “Lê Văn Cường” với danh sách đã có trong hệ thống" in err


def test_a_file_that_is_not_there_or_empty(cli, tmp_path):
    code, _, err = cli("import", tmp_path / "khong-co.csv")
    assert code == 2 and "không đọc được tệp" in err
    empty = tmp_path / "trong.csv"
    empty.write_bytes(b"")
    code, _, err = cli("import", empty)
    assert code == 2 and f"{empty}:1: tệp: tệp trống" in err


def test_a_damaged_xlsx_is_one_error_on_row_1(cli, tmp_path):
    damaged = tmp_path / "hong.xlsx"
    damaged.write_bytes(xlsx_bytes(season_rows())[:300])  # a ZIP cut short
    code, _, err = cli("import", damaged)
    assert code == 2 and err.startswith(f"{damaged}:1: tệp: tệp XLSX bị hỏng")
