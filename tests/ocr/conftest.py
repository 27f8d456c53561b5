"""Shared elections and blank-ballot rasters for the OCR tests (rendered once per session)."""

from __future__ import annotations

import itertools
import json

import pytest

from kiemphieu.tally import parse_election

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Quốc", "Minh", "Thu", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hường", "Khánh", "Lan", "Mạnh", "Nga",
         "Phương", "Quỳnh", "Sơn", "Thảo", "Uyên", "Việt", "Xuân", "Yến", "Tâm"]


def election_dict(n: int, seats: int, *, round_: int = 1, title: str = "Bầu Ban Chấp hành Đảng bộ xã khóa XXI"):
    names = (f"{f} {m} {g}" for g, f, m in itertools.product(GIVEN, FAMILY, MIDDLE))
    names = itertools.islice((nm for i, nm in enumerate(names) if i % 7 == 0), n)
    return {
        "schema": "kiemphieu/election-1",
        "organization": "Đảng bộ xã Yên Lập",
        "congress": "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030",
        "title": title,
        "kind": "committee",
        "round": round_,
        "seats": seats,
        "convened": 150,
        "excluded": 2,
        "candidates": [{"id": f"c{i + 1:02d}", "name": nm} for i, nm in enumerate(names)],
        "place": "Yên Lập",
        "date": "2025-06-20",
    }


def at_work_dpi(profile):
    """The profile without the finer second look (`scan.finer_look`): a test of a rule at the
    working resolution must see the page go to review where that rule leaves a name uncertain."""
    from dataclasses import replace

    return replace(profile, scan=replace(profile.scan, finer_look=False))


def make_election(n: int, seats: int, **kw):
    return parse_election(json.dumps(election_dict(n, seats, **kw), ensure_ascii=False))


@pytest.fixture(scope="session")
def strike_election():
    return make_election(5, 3)


@pytest.fixture(scope="session")
def boxes_election():
    return make_election(3, 3)


@pytest.fixture(scope="session")
def write_election(tmp_path_factory):
    def write(election_or_dict, name="election.json"):
        from kiemphieu.tally import election_to_json

        data = election_or_dict if isinstance(election_or_dict, dict) else election_to_json(election_or_dict)
        path = tmp_path_factory.mktemp("e") / name
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture(scope="session")
def strike_blank(strike_election):
    """The strike ballot printed at 200 dpi with the seal: the page a voter is handed."""
    return _sealed_blank(strike_election)


@pytest.fixture(scope="session")
def boxes_blank(boxes_election):
    return _sealed_blank(boxes_election)


def _sealed_blank(election, dpi: int = 200):
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.printing import render_ballot_image

    from . import marks

    img = render_ballot_image(election, dpi)
    marks.seal(img, layout_for(election), dpi)
    img.setflags(write=False)  # shared: each test draws on its own copy
    return img
