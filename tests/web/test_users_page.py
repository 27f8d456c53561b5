"""The users page at a province's size: a constant number of queries however many users (it
ran one query per user and per grant: 1,524 for 600 clerks as administrator, 6,424 as a district
organiser), a search by username or full name, and pages of 50."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from kiemphieu.auth import services as users
from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Organisation, Role

from .conftest import PASSWORD, login_client


def _province(clerks_per_congress: int, congresses: int):
    top = services.create_organisation("Đảng bộ tỉnh Hà Tĩnh", level="province")
    district = services.create_organisation("Đảng bộ huyện số 1", top, level="district")
    users.create_user("huyen1", PASSWORD, Role.COUNTER, grant_on=district, grant_role=Role.ORGANISER)
    for n in range(congresses):
        commune = services.create_organisation(f"Đảng bộ xã số {n + 1}", district)
        congress = services.create_congress(commune, convened=100)
        for k in range(clerks_per_congress):
            clerk = users.create_user(f"nhap-{n + 1}-{k}", PASSWORD, Role.COUNTER, full_name=f"Lê Văn Nhập {n + 1}")
            users.assign(clerk, congress, Role.COUNTER)


def _queries(web, client, url: str) -> tuple[int, str]:
    count = [0]

    def counted(*_):
        count[0] += 1

    with web.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert response.status_code == 200
    return count[0], response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["admin", "district"])
def test_the_users_page_runs_the_same_queries_for_10_or_60_clerks(web, who):
    with web.app_context():
        _province(clerks_per_congress=2, congresses=5)
        users.create_user("quantri", PASSWORD, Role.ADMIN)
        db.session.remove()
    client = login_client(web, "quantri" if who == "admin" else "huyen1")
    client.get("/users")  # warm caches that are not per request
    small, _ = _queries(web, client, "/users")
    with web.app_context():
        district = db.session.scalar(db.select(Organisation).where(Organisation.name == "Đảng bộ huyện số 1"))
        for n in range(5):
            congress = services.create_congress(services.create_organisation(f"Đảng bộ xã mới {n}", district),
                                                convened=90)
            for k in range(10):
                clerk = users.create_user(f"them-{n}-{k}", PASSWORD, Role.COUNTER)
                users.assign(clerk, congress, Role.COUNTER)
        db.session.remove()
    large, page = _queries(web, client, "/users")
    assert "them-4-9" in page  # the new clerks are listed (and managed by the district organiser)
    assert large == small


def test_the_users_page_searches_and_pages(web):
    with web.app_context():
        _province(clerks_per_congress=2, congresses=40)  # 80 clerks
        users.create_user("quantri", PASSWORD, Role.ADMIN)
        db.session.remove()
    client = login_client(web, "quantri")
    _, first = _queries(web, client, "/users")
    rows = re.findall(r'<tr data-user="([^"]+)"', first)
    assert len(rows) == 50 and "Trang 1 / 2" in first
    _, second = _queries(web, client, "/users?page=2")
    assert len(re.findall(r'<tr data-user="', second)) == 82 - 50  # 80 clerks, huyen1 and the administrator
    _, found = _queries(web, client, "/users?q=nhap+17")  # tone marks and case ignored: "Nhập 17"
    assert sorted(re.findall(r'<tr data-user="([^"]+)"', found)) == ["nhap-17-0", "nhap-17-1"]
    _, none = _queries(web, client, "/users?q=khong-co-ai")
    assert "Không có người dùng nào khớp" in none
