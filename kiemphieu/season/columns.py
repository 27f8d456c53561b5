"""The season file's columns (contract section 1) and the typed value of one cell.

A cell parser returns the value or raises ``CellError`` with a Vietnamese message; the
importer adds the file, row and column. XLSX cells may already be numbers or datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..models import KIND_LABELS, CongressKind
from ..tally import Kind, normalize_name


class CellError(ValueError):
    """A cell that cannot be read; the message is Vietnamese and shown as is."""


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    required: bool
    example: str


COLUMNS = (
    Column("to_chuc", "Tổ chức", True,
           "Đảng bộ tỉnh Hà Tĩnh / Đảng bộ huyện Can Lộc / Đảng bộ xã Khánh Vĩnh Yên"),
    Column("dai_hoi", "Đại hội", True, "Đại hội đại biểu Đảng bộ xã Khánh Vĩnh Yên lần thứ XXI"),
    Column("hinh_thuc", "Hình thức", True, "đại biểu"),
    Column("ngay", "Ngày", True, "20/06/2025"),
    Column("dia_diem", "Địa điểm", False, "Hội trường UBND xã"),
    Column("trieu_tap", "Triệu tập", True, "150"),
    Column("cuoc_bau", "Cuộc bầu", True, "Bầu Ban Chấp hành Đảng bộ xã khóa XXI"),
    Column("loai", "Loại", True, "committee"),
    Column("so_luong", "Số lượng", True, "11"),
    Column("ho_ten", "Họ và tên", True, "Nguyễn Văn An"),
    Column("ngay_sinh", "Ngày sinh", False, "02/04/1975"),
)
BY_KEY = {c.key: c for c in COLUMNS}
CONGRESS_KEYS = ("hinh_thuc", "ngay", "dia_diem", "trieu_tap")
ELECTION_KEYS = ("loai", "so_luong")


def header_key(text: str) -> str:
    """How a header cell is compared: NFC, case-folded, spaces around ignored (and doubled)."""
    return normalize_name(text).casefold()


_HEADERS = {header_key(c.heading): c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}


def match_header(text: str) -> str | None:
    """The column key a header cell names (its heading or its key), or None."""
    return _HEADERS.get(header_key(text))


# ------------------------------------------------------------------ cell values


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing '.0', dates as dd/mm/yyyy, NFC."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = f"{value:%d/%m/%Y}"
    return normalize_name(str(value))


def parse_int(value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool):
        raise CellError(f"“{value}” không phải số nguyên")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(f"“{cell_text(value)}” không phải số nguyên")
        number = int(value)
    else:
        text = cell_text(value).replace(" ", "")
        # '1.200' or '1,200' as a thousands separator is not a number a count committee writes.
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError(f"“{cell_text(value)}” không phải số nguyên")
        number = int(text)
    if number < minimum:
        raise CellError(f"phải là số nguyên từ {minimum} trở lên, không phải {number}")
    return number


_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_date(value: Any, *, year_alone: bool = False) -> date | int:
    """dd/mm/yyyy (or an Excel date); with ``year_alone`` a bare year is returned as an int."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(f"“{cell_text(value)}” không phải ngày dạng ngày/tháng/năm")
        number = int(value)
        if year_alone and 1900 <= number <= 2100:
            return number
        if 1 <= number <= 2958465:  # an Excel serial date whose cell lost its date format
            return _EXCEL_EPOCH + timedelta(days=number)
        raise CellError(f"“{number}” không phải ngày dạng ngày/tháng/năm")
    text = cell_text(value)
    if year_alone and re.fullmatch(r"\d{4}", text):
        return int(text)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    hint = " (hoặc chỉ năm sinh)" if year_alone else ""
    raise CellError(f"“{text}” không phải ngày dạng ngày/tháng/năm, ví dụ 20/06/2025{hint}")


def _labels(pairs) -> dict[str, str]:
    return {header_key(label): value for label, value in pairs}


_KINDS = _labels([(k.value, k.value) for k in Kind] + [(label, k.value) for k, label in KIND_LABELS.items()])
_CONGRESS_KINDS = _labels([
    ("đại biểu", CongressKind.DELEGATES.value), ("đảng viên", CongressKind.MEMBERS.value),
    (CongressKind.DELEGATES.label, CongressKind.DELEGATES.value),
    (CongressKind.MEMBERS.label, CongressKind.MEMBERS.value),
    (CongressKind.DELEGATES.value, CongressKind.DELEGATES.value),
    (CongressKind.MEMBERS.value, CongressKind.MEMBERS.value),
])


def parse_kind(value: Any) -> str:
    text = cell_text(value)
    try:
        return _KINDS[header_key(text)]
    except KeyError:
        known = ", ".join(k.value for k in Kind)
        raise CellError(f"loại cuộc bầu “{text}” không có; dùng một trong: {known} "
                        "(hoặc tên tiếng Việt như “Ban Chấp hành”)") from None


def parse_congress_kind(value: Any) -> str:
    text = cell_text(value)
    try:
        return _CONGRESS_KINDS[header_key(text)]
    except KeyError:
        raise CellError(f"hình thức “{text}” không có; ghi “đại biểu” hoặc “đảng viên”") from None


def parse_path(value: Any) -> tuple[str, ...]:
    """'A / B / C' -> ('A', 'B', 'C'): the organisation from the top level down."""
    # Levels are separated by " / " (spaced), so a name such as "Chi bộ 1/5" stays whole.
    parts = tuple(normalize_name(p) for p in re.split(r"\s/\s", cell_text(value)))
    if any(not p for p in parts):
        raise CellError("đường dẫn tổ chức có cấp để trống (các cấp cách nhau bằng “ / ”)")
    return parts


def parse_name(value: Any) -> str:
    name = cell_text(value)
    if any(ch.isdigit() for ch in name):
        raise CellError(f"họ tên “{name}” có chữ số")
    return name


def path_text(parts: tuple[str, ...]) -> str:
    return " / ".join(parts)
