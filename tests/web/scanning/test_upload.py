"""Uploads on the round's scan page: types by content, zips, limits, idempotence, access."""

from __future__ import annotations

import io
import os

from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Role, ScanImage
from kiemphieu.scanning import services

from .conftest import pdf_bytes, png_bytes, sha, tiff_bytes, upload, zip_bytes


def scans():
    return db.session.scalars(select(ScanImage).order_by(ScanImage.id)).all()


def stored_files(app):
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "scans")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_images_are_stored_under_generated_names_and_queued(app, client, scan_round, counter):
    first, second = png_bytes(1), png_bytes(2)
    response = upload(client, scan_round, ("../../etc/passwd.png", first), ("b.png", second))
    assert response.status_code == 302
    rows = scans()
    assert [s.status for s in rows] == ["pending", "pending"]
    assert [s.sha256 for s in rows] == [sha(first), sha(second)]
    assert rows[0].original_name == "../../etc/passwd.png"  # display only
    files = stored_files(app)
    assert sorted(s.stored_name for s in rows) == files
    assert all(services.STORED_NAME.match(name) for name in files)
    assert services.stored_path(rows[0].stored_name).read_bytes() == first
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("scan.upload") == 2


def test_the_same_image_twice_is_stored_once_and_said_so(app, client, scan_round, counter):
    data = png_bytes(3)
    upload(client, scan_round, ("a.png", data))
    response = upload(client, scan_round, ("copy-of-a.png", data))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã được tải lên trước đây" in page
    assert len(scans()) == 1
    assert len(stored_files(app)) == 1


def test_a_multi_page_pdf_gives_one_scan_per_page(app, client, scan_round, counter):
    data = pdf_bytes(3)
    upload(client, scan_round, ("stack.pdf", data))
    rows = scans()
    assert [s.page for s in rows] == [0, 1, 2]
    assert len({s.stored_name for s in rows}) == 1
    assert rows[0].sha256 == sha(data)
    assert len({s.sha256 for s in rows}) == 3
    assert rows[0].stored_name.endswith(".pdf")


def test_a_multi_page_tiff_gives_one_scan_per_page(app, client, scan_round, counter):
    upload(client, scan_round, ("stack.tif", tiff_bytes(2)))
    assert [s.page for s in scans()] == [0, 1]


def test_a_zip_of_images_is_unpacked_and_other_members_are_reported(app, client, scan_round, counter):
    archive = zip_bytes({"scans/0001.png": png_bytes(4), "scans/0002.png": png_bytes(5), "notes.txt": b"hello"})
    response = upload(client, scan_round, ("batch.zip", archive))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert [s.original_name for s in scans()] == ["0001.png", "0002.png"]
    assert "notes.txt" in page and "Không phải ảnh" in page


def test_a_zip_with_a_climbing_member_is_refused_whole(app, client, scan_round, counter):
    archive = zip_bytes({"ok.png": png_bytes(6), "../evil.png": png_bytes(7)})
    response = upload(client, scan_round, ("evil.zip", archive))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đường dẫn không hợp lệ" in page
    assert scans() == [] and stored_files(app) == []


def test_a_nested_archive_is_refused(app, client, scan_round, counter):
    inner = zip_bytes({"a.png": png_bytes(8)})
    response = upload(client, scan_round, ("outer.zip", zip_bytes({"inner.dat": inner})))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tệp nén khác" in page
    assert scans() == []


def test_a_zip_bomb_is_refused_by_its_uncompressed_size(app, client, scan_round, counter):
    bomb = zip_bytes({"big.png": b"\x89PNG\r\n\x1a\n" + bytes(12_000_000)})
    assert len(bomb) < 100_000
    response = upload(client, scan_round, ("bomb.zip", bomb))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tỷ lệ nén bất thường" in page
    app.config["SCAN_ZIP_MAX_TOTAL"] = 1000
    response = upload(client, scan_round, ("many.zip", zip_bytes({"a.png": png_bytes(9) + os.urandom(2000)})))
    assert "giải nén ra quá lớn" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert scans() == []


def test_a_zip_with_too_many_members_is_refused(app, client, scan_round, counter):
    app.config["SCAN_ZIP_MAX_MEMBERS"] = 3
    archive = zip_bytes({f"{i}.png": png_bytes(i) for i in range(5)})
    response = upload(client, scan_round, ("many.zip", archive))
    assert "vượt quá giới hạn 3" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert scans() == []


def test_a_file_that_is_not_an_image_is_refused_by_content_not_name(app, client, scan_round, counter):
    response = upload(client, scan_round, ("ballot.jpg", b"MZ\x90\x00 this is an executable"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kiểm tra theo nội dung tệp" in page
    assert scans() == [] and stored_files(app) == []


def test_a_corrupt_pdf_is_refused_cleanly(app, client, scan_round, counter):
    response = upload(client, scan_round, ("x.pdf", b"%PDF-1.7\nnot really a pdf"))
    assert response.status_code == 302
    assert "PDF bị hỏng" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_oversized_upload_is_a_clean_413(app, client, scan_round, counter):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(client, scan_round, ("big.png", png_bytes(10, 400) + bytes(20_000)))
    assert response.status_code == 413
    assert "quá lớn" in response.get_data(as_text=True)
    assert scans() == []


def test_no_file_chosen_is_an_error_message(app, client, scan_round, counter):
    response = client.post(f"/rounds/{scan_round.id}/scans", data={"profile": ""})
    assert "Chọn ít nhất một tệp" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_uploads_are_refused_before_entry_starts(app, client, make_election, auth):
    election = make_election(present=10, issued=10)
    auth.as_role(Role.COUNTER, congresses={election.congress: Role.COUNTER})
    response = upload(client, election.rounds[0], ("a.png", png_bytes(11)))
    assert "chưa bắt đầu nhập phiếu" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert scans() == []


def test_a_counter_of_another_congress_gets_403(app, client, scan_round, auth, make_congress):
    other = make_congress(name="Đại hội khác")
    auth.as_role(Role.COUNTER, congresses={other: Role.COUNTER})
    assert client.get(f"/rounds/{scan_round.id}/scans").status_code == 403
    assert upload(client, scan_round, ("a.png", png_bytes(12))).status_code == 403
    assert scans() == []


def test_the_upload_form_needs_its_csrf_token(app, client, scan_round, counter):
    app.config["WTF_CSRF_ENABLED"] = True  # read per request (csrf_app would be another database)
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    without = client.post(f"/rounds/{scan_round.id}/scans", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(png_bytes(13)), "a.png")], "profile": ""})
    assert without.status_code == 400
    assert scans() == []
    with_token = client.post(f"/rounds/{scan_round.id}/scans", content_type="multipart/form-data",
                             data={"files": [(io.BytesIO(png_bytes(13)), "a.png")], "profile": "",
                                   "csrf_token": token})
    assert with_token.status_code == 302
    assert len(scans()) == 1


def test_the_scan_page_shows_counts_and_the_upload_form(app, client, scan_round, counter):
    upload(client, scan_round, ("a.png", png_bytes(14)))
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert 'id="count-pending">1<' in page
    assert 'enctype="multipart/form-data"' in page and "a.png" in page
