"""The season pages within a district organiser's scope: dashboard, import, export; and the
levels the import gives the organisations it creates."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from kiemphieu.auth import services as auth_services
from kiemphieu.extensions import db
from kiemphieu.models import Congress, Organisation, Role
from kiemphieu.season.importing import import_season

from season_support import PROVINCE, csv_bytes, season_rows

PASSWORD = "matkhau-thu-nghiem"
CAN_LOC = f"{PROVINCE} / Đảng bộ huyện Can Lộc"
NGHI_XUAN = f"{PROVINCE} / Đảng bộ huyện Nghi Xuân"


@pytest.fixture
def district_organiser(app, client):
    """A province with two districts, one congress each; 'huyen' organises Can Lộc only."""
    assert import_season(csv_bytes(season_rows(path=f"{CAN_LOC} / Đảng bộ xã Khánh Vĩnh Yên", congress="ĐH Khánh")
                                   + season_rows(path=f"{NGHI_XUAN} / Đảng bộ xã Xuân Hội", congress="ĐH Xuân Hội"))).ok
    district = db.session.scalar(select(Organisation).where(Organisation.name == "Đảng bộ huyện Can Lộc"))
    auth_services.create_user("huyen", PASSWORD, Role.COUNTER, grant_on=district, grant_role=Role.ORGANISER)
    assert client.post("/login", data={"username": "huyen", "password": PASSWORD}).status_code == 302
    return district


def upload(client, rows):
    return client.post("/season/import", data={"file": (io.BytesIO(csv_bytes(rows)), "mua.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_the_dashboard_shows_and_offers_only_the_district(client, district_organiser):
    html = client.get("/").get_data(as_text=True)
    assert "ĐH Khánh" in html and "ĐH Xuân Hội" not in html
    assert "Can Lộc" in html and "Nghi Xuân" not in html  # not even in the organisation filter
    assert "1 đại hội" in html


def test_a_district_organiser_imports_below_the_district_only(client, district_organiser):
    html = upload(client, season_rows(path=f"{CAN_LOC} / Đảng bộ xã Mới", congress="ĐH Mới"))
    assert "Sẽ tạo 1 tổ chức, 1 đại hội" in html
    html = upload(client, season_rows(path=f"{CAN_LOC} / Đảng bộ xã Mới", congress="ĐH Mới")
                  + season_rows(path=f"{NGHI_XUAN} / Đảng bộ xã Khác", congress="ĐH Khác")
                  + season_rows(path="Đảng bộ tỉnh Khác / Đảng bộ xã Lạ", congress="ĐH Lạ")
                  + season_rows(path=f"{NGHI_XUAN} / Đảng bộ xã Xuân Hội", congress="ĐH Xuân Hội"))
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    refused = re.findall(r'<td class="num">(\d+)</td><td>Tổ chức</td><td>bạn không có quyền', table)
    assert refused == ["7", "12", "17"]
    assert db.session.scalar(select(Congress).where(Congress.name == "ĐH Mới")) is None


def test_the_results_export_leaves_out_other_districts(client, district_organiser):
    exported = client.get("/season/export/results.json").get_json()
    assert {item["congress"] for item in exported} == {"ĐH Khánh"}


def test_imported_organisations_get_levels_from_the_tree(app):
    assert import_season(csv_bytes(season_rows(path=f"{CAN_LOC} / Đảng bộ xã Mới / Chi bộ thôn 1", congress="ĐH A")
                                   + season_rows(path="Đảng bộ Khối cơ quan / Đảng bộ Sở Y tế", congress="ĐH B"))).ok
    levels = {o.name: o.level for o in db.session.scalars(select(Organisation))}
    assert levels["Đảng bộ tỉnh Hà Tĩnh"] == "province" and levels["Đảng bộ huyện Can Lộc"] == "district"
    assert levels["Đảng bộ xã Mới"] == "grassroots" and levels["Chi bộ thôn 1"] == "cell"
    assert levels["Đảng bộ Khối cơ quan"] == "district" and levels["Đảng bộ Sở Y tế"] == "grassroots"
