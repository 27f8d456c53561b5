"""Every label and format a person reads, in one place: pages, ballots and minutes share it.

Pure Python (no Flask, no database), so the ballot printer (`kiemphieu.ocr`) and the minutes
(`kiemphieu.minutes`) use it as the web pages do, and one style holds everywhere:

- kinds of election, electing bodies, round states, entry modes, congress kinds, user roles,
  result statuses and invalid-ballot reasons;
- dates: "ngày 20 tháng 6 năm 2025" in running text and date lines (the Party's style, no
  leading zeros), "20/06/2025" in tables and forms, the date line "Hưng Long, ngày ..." naming
  the locality (never the hall);
- numbers: the decimal comma ("81,08").

It lives at the package's top level rather than in ``kiemphieu/minutes/formatting.py`` because
the ballot printer and the web pages need it too, and neither should depend on the minutes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from .tally import REASON_LABELS, Body, Kind, Status

DOTS = "…………"

KIND_LABELS = {
    Kind.COMMITTEE: "Ban Chấp hành",
    Kind.STANDING_COMMITTEE: "Ban Thường vụ",
    Kind.SECRETARY: "Bí thư",
    Kind.DEPUTY_SECRETARY: "Phó Bí thư",
    Kind.INSPECTION_COMMITTEE: "Ủy ban Kiểm tra",
    Kind.INSPECTION_CHAIR: "Chủ nhiệm Ủy ban Kiểm tra",
    Kind.DELEGATES: "Đại biểu chính thức dự đại hội cấp trên",
    Kind.ALTERNATES: "Đại biểu dự khuyết dự đại hội cấp trên",
    Kind.OTHER: "Khác",
}

BODY_LABELS = {
    Body.CONGRESS: "Đại hội",
    Body.COMMITTEE: "Hội nghị lần thứ nhất Ban Chấp hành khóa mới",
}

USER_ROLE_LABELS = {
    "viewer": "Người xem",
    "counter": "Người nhập phiếu",
    "organiser": "Người tổ chức",
    "admin": "Quản trị viên",
}

CONGRESS_KIND_LABELS = {"members": "Đại hội đảng viên", "delegates": "Đại hội đại biểu"}

ROUND_STATUS_LABELS = {"setup": "Chuẩn bị", "entry": "Đang nhập phiếu", "finalised": "Đã chốt"}

ENTRY_MODE_LABELS = {"single": "Nhập một lần", "double": "Nhập hai lần độc lập", "triple": "Nhập ba lần độc lập"}

RESULT_STATUS_LABELS = {
    Status.ELECTED: "Trúng cử",
    Status.TIE: "Bằng phiếu — chưa xác định",
    Status.NOT_ELECTED: "Quá một nửa nhưng hết chỗ",
    Status.BELOW_MAJORITY: "Không đủ quá một nửa",
}

# The boxes form's marks (entry screen, comparison, adjudication).
BOX_LABELS = {"agree": "Đồng ý", "disagree": "Không đồng ý", "both": "Cả hai ô", "none": "Để trống"}

# Roles in the vote-count committee (Ban kiểm phiếu), in signing order.
HEAD_ROLE, DEPUTY_ROLE, MEMBER_ROLE = "Trưởng ban", "Phó Trưởng ban", "Ủy viên"
COMMITTEE_ROLES = (HEAD_ROLE, DEPUTY_ROLE, MEMBER_ROLE)

__all__ = [
    "BODY_LABELS", "BOX_LABELS", "COMMITTEE_ROLES", "CONGRESS_KIND_LABELS", "DEPUTY_ROLE", "DOTS", "ENTRY_MODE_LABELS",
    "HEAD_ROLE", "KIND_LABELS", "MEMBER_ROLE", "REASON_LABELS", "RESULT_STATUS_LABELS", "ROUND_STATUS_LABELS",
    "USER_ROLE_LABELS", "date_long", "date_short", "datetime_short", "locality_of", "meeting_name", "percent_vi", "place_date",
]


# ------------------------------------------------------------------ numbers


def percent_vi(value: Decimal | float | str) -> str:
    """The engine's two-decimal percent with a decimal comma: 81.08 -> "81,08"."""
    return f"{Decimal(str(value)):.2f}".replace(".", ",")


# ------------------------------------------------------------------ dates


def date_long(day: date | None) -> str:
    """"ngày 20 tháng 6 năm 2025", "ngày 5 tháng 1 năm 2026": no leading zeros, the one style
    of every ballot, minutes and summary; dots to fill in by hand when the day is unknown."""
    if day is None:
        return f"ngày {DOTS} tháng {DOTS} năm {DOTS}"
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def date_short(day: date | None) -> str:
    """"20/06/2025" for tables and forms (the format the set-up forms read back)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day else ""


def datetime_short(moment: datetime | None) -> str:
    return f"{date_short(moment)} {moment.hour:02d}:{moment.minute:02d}" if moment else ""


_ORGANISATION_PREFIX = re.compile(
    r"^(?:đảng bộ|chi bộ)(?:\s+cơ sở)?\s+(?:(?:xã|phường|thị trấn|thị xã|huyện|quận|thành phố|tỉnh|đặc khu)\s+)?",
    re.IGNORECASE,
)


def locality_of(organisation: str) -> str:
    """The place name of a date line from the organisation's name:
    "Đảng bộ xã Hưng Long" -> "Hưng Long" (the organiser may type another)."""
    name = " ".join(organisation.split())
    return _ORGANISATION_PREFIX.sub("", name) or name


def meeting_name(body: Body | str, organization: str, congress: str) -> str:
    """Who holds the vote, in full: the congress's name, or the new committee's first meeting
    ("Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ xã Yên Lập khóa mới")."""
    if Body(body) is Body.COMMITTEE:
        return " ".join(f"Hội nghị lần thứ nhất Ban Chấp hành {organization} khóa mới".split())
    return congress or "Đại hội"


def place_date(place: str, day: date | None) -> str:
    """The date line under the national motto: "Hưng Long, ngày 20 tháng 6 năm 2025"."""
    when = date_long(day)
    return f"{place}, {when}" if place else when[:1].upper() + when[1:]
