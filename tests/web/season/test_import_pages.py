"""The season import pages: upload, preview with every error per row, confirm, the template."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Candidate, Congress, Organisation, Role
from kiemphieu.season.checking import check_season

from season_support import COMMUNE, HEADER, csv_bytes, season_rows, xlsx_bytes


def upload(client, data: bytes, name: str):
    return client.post("/season/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_upload_preview_then_confirm_creates_the_season(client, auth):
    auth.as_role(Role.ORGANISER)
    page = upload(client, xlsx_bytes(season_rows()), "mua-dai-hoi.xlsx")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sẽ tạo 3 tổ chức, 1 đại hội, 2 cuộc bầu, 5 người ứng cử" in html
    assert COMMUNE in html and "Xác nhận nhập" in html
    assert count(Congress) == 0  # the preview writes nothing
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    done = client.post("/season/import/confirm", data={"token": token, "name": "mua-dai-hoi.xlsx"})
    assert done.status_code == 302
    assert (count(Organisation), count(Congress), count(Candidate)) == (3, 1, 5)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "season.import"))
    assert entry.detail["file"] == "mua-dai-hoi.xlsx" and entry.username.startswith("organiser")
    # the staged file is gone: confirming twice imports nothing more
    again = client.post("/season/import/confirm", data={"token": token, "name": "x"}, follow_redirects=True)
    assert "hết hạn" in again.get_data(as_text=True) and count(Congress) == 1


def test_upload_with_errors_lists_every_row_and_offers_no_confirmation(client, auth):
    auth.as_role(Role.ORGANISER)
    logged = count(AuditEntry)
    rows = season_rows()
    rows[0][8] = "hai"
    rows[2][9] = ""
    rows[4][7] = "thư ký"
    page = upload(client, csv_bytes(rows, HEADER + ["Ghi chú"]), "loi.csv")
    html = page.get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td>', table)
    assert cells == [("1", "Ghi chú"), ("2", "Số lượng"), ("4", "Họ và tên"), ("6", "Loại")]
    assert "Tệp có 4 lỗi" in html and "Xác nhận nhập" not in html
    assert count(Congress) == 0 and count(AuditEntry) == logged


def test_confirm_checks_the_file_again(client, auth, make_organisation):
    auth.as_role(Role.ORGANISER)
    html = upload(client, csv_bytes(season_rows()), "mua.csv").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    # meanwhile somebody imports the same congress with another convened count
    from kiemphieu.season.importing import import_season

    assert import_season(csv_bytes(season_rows(convened="30"))).ok
    page = client.post("/season/import/confirm", data={"token": token, "name": "mua.csv"})
    assert page.status_code == 200 and "đã có trong hệ thống với giá trị khác" in page.get_data(as_text=True)
    assert count(Congress) == 1 and db.session.scalar(select(Congress.convened)) == 30


def test_the_templates_are_real_files_that_import_as_they_are(client, auth):
    auth.as_role(Role.ORGANISER)
    xlsx = client.get("/season/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    assert [c.value for c in next(workbook.worksheets[0].iter_rows(max_row=1))] == HEADER
    check = check_season(xlsx.data)
    assert check.ok and check.counts == {"organisations": 3, "congresses": 1, "elections": 1, "candidates": 3}
    csv_file = client.get("/season/template.csv")
    assert csv_file.data.startswith(b"\xef\xbb\xbf") and check_season(csv_file.data).counts == check.counts


def test_only_organisers_import(client, auth):
    auth.as_role(Role.COUNTER)
    assert client.get("/season/import").status_code == 403
    assert upload(client, csv_bytes(season_rows()), "mua.csv").status_code == 403
    assert client.get("/season/template.xlsx").status_code == 403


def test_the_upload_form_needs_the_csrf_token(csrf_client, csrf_app, make_user):
    make_user("tochuc", Role.ORGANISER)
    page = csrf_client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    csrf_client.post("/login", data={"username": "tochuc", "password": "matkhau-thu-nghiem", "csrf_token": token})
    refused = csrf_client.post("/season/import", data={"file": (io.BytesIO(csv_bytes(season_rows())), "m.csv")},
                               content_type="multipart/form-data")
    assert refused.status_code == 400
