"""kiemphieu.labels: the one place for labels and formats pages, ballots and minutes share."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from kiemphieu import labels, models
from kiemphieu.minutes import formatting
from kiemphieu.results import routes as results_routes


def test_dates_have_one_style_without_leading_zeros():
    assert labels.date_long(date(2025, 6, 20)) == "ngày 20 tháng 6 năm 2025"
    assert labels.date_long(date(2026, 1, 5)) == "ngày 5 tháng 1 năm 2026"
    assert labels.place_date("Hưng Long", date(2026, 1, 5)) == "Hưng Long, ngày 5 tháng 1 năm 2026"
    assert labels.place_date("", date(2026, 1, 5)) == "Ngày 5 tháng 1 năm 2026"
    assert labels.date_short(date(2026, 1, 5)) == "05/01/2026"
    assert labels.datetime_short(datetime(2026, 1, 5, 7, 3)) == "05/01/2026 07:03"


@pytest.mark.parametrize("organisation,locality", [
    ("Đảng bộ xã Hưng Long", "Hưng Long"), ("Đảng bộ phường Yên Hòa", "Yên Hòa"),
    ("Đảng bộ thị trấn Yên Lập", "Yên Lập"), ("Đảng bộ tỉnh Phú Thọ", "Phú Thọ"),
    ("Đảng bộ huyện Yên Lập", "Yên Lập"), ("Chi bộ Thôn 3", "Thôn 3"), ("Hưng Long", "Hưng Long"),
])
def test_the_locality_comes_from_the_organisation(organisation, locality):
    assert labels.locality_of(organisation) == locality


def test_decimal_comma():
    assert labels.percent_vi(Decimal("81.08")) == "81,08"
    assert labels.percent_vi(Decimal("100")) == "100,00"


def test_pages_and_documents_share_the_same_labels():
    assert formatting.percent_vi is labels.percent_vi and formatting.date_long is labels.date_long
    assert results_routes.percent_vi is labels.percent_vi
    assert results_routes.STATUS_LABELS is labels.RESULT_STATUS_LABELS
    assert models.KIND_LABELS is labels.KIND_LABELS and models.BODY_LABELS is labels.BODY_LABELS
    assert models.COMMITTEE_ROLES is labels.COMMITTEE_ROLES
    assert models.RoundStatus.FINALISED.label == labels.ROUND_STATUS_LABELS["finalised"]
    assert models.Role.ADMIN.label == labels.USER_ROLE_LABELS["admin"]
    assert models.EntryMode.SINGLE.label == "Nhập một lần"
