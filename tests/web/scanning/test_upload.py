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


def test_an_oversized_upload_is_a_clean_413_that_says_the_limit(app, client, scan_round, counter):
    app.config["SCAN_UPLOAD_MAX_BYTES"] = 3 * 1024 * 1024
    response = upload(client, scan_round, ("big.png", png_bytes(10, 400) + bytes(4 * 1024 * 1024)))
    assert response.status_code == 413
    assert "Tệp tải lên quá lớn: mỗi lần tải lên tối đa 3 MB" in response.get_data(as_text=True)
    assert scans() == [] and incoming(app) == []


def test_the_scan_upload_limit_fits_a_congress_and_other_forms_keep_theirs(app, client, scan_round, counter):
    """2,000 A4 ballots at 200 dpi (~366 KB each) fit one upload; the limit is on the form."""
    assert app.config["SCAN_UPLOAD_MAX_BYTES"] >= 2000 * 366 * 1024
    assert app.config["SCAN_ZIP_MAX_TOTAL"] >= 2000 * 366 * 1024
    page = client.get(f"/rounds/{scan_round.id}/scans").get_data(as_text=True)
    assert "Giới hạn mỗi lần tải lên: <strong>2 GB</strong>" in page and "tối đa 2000 ảnh" in page
    app.config["MAX_CONTENT_LENGTH"] = 10_000  # the limit of every other request
    response = upload(client, scan_round, ("big.png", png_bytes(10, 400) + bytes(20_000)))
    assert response.status_code == 302 and len(scans()) == 1
    response = client.post(f"/rounds/{scan_round.id}", data={"x": "y" * 20_000})
    assert response.status_code == 413


def incoming(app):
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "incoming")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_uploads_are_spooled_to_disk_in_the_instance_not_held_in_memory(app, client, scan_round, counter,
                                                                       monkeypatch):
    """The upload is parsed into a file in uploads/incoming and read from there in chunks:
    nothing calls FileStorage.read() on the whole upload."""
    from werkzeug.datastructures import FileStorage

    from kiemphieu.scanning.spooling import SpoolingRequest

    spooled = []
    original = SpoolingRequest._get_file_stream

    def spy(self, *args, **kwargs):
        stream = original(self, *args, **kwargs)
        spooled.append(os.readlink(f"/proc/self/fd/{stream.fileno()}"))
        return stream

    def read(self, size=-1):
        assert size is not None and size >= 0, "the whole upload read into memory"
        return self.stream.read(size)

    monkeypatch.setattr(SpoolingRequest, "_get_file_stream", spy)
    monkeypatch.setattr(FileStorage, "read", read, raising=False)
    archive = zip_bytes({f"{i}.png": png_bytes(i) for i in range(3)})
    response = upload(client, scan_round, ("scans.zip", archive), ("one.png", png_bytes(7)))
    assert response.status_code == 302 and len(scans()) == 4
    # Anonymous temporary files in the instance's incoming folder (gone once closed).
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "incoming")
    assert len(spooled) == 2 and all(path.startswith(folder) for path in spooled)
    assert incoming(app) == []  # nothing left behind


def test_a_zip_bomb_below_the_old_10_mb_threshold_is_refused(app, client, scan_round, counter):
    """Issue 10: 110 members of 9.4 MB (under the old 10 MB rule) from a 1 MB zip."""
    member = b"\x89PNG\r\n\x1a\n" + bytes(9_400_000)
    bomb = zip_bytes({f"{i}.png": member for i in range(3)})
    response = upload(client, scan_round, ("bomb.zip", bomb))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tỷ lệ nén bất thường" in page
    small = zip_bytes({"a.png": b"\x89PNG\r\n\x1a\n" + bytes(300_000)})  # 300 KB of zeros: ~1,000:1
    response = upload(client, scan_round, ("small.zip", small))
    assert "tỷ lệ nén bất thường" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert scans() == [] and stored_files(app) == [] and incoming(app) == []


def test_a_member_lying_about_its_size_is_stopped_while_copying(app, scan_round, tmp_path):
    """The directory says small; the data inflates beyond it: the copy stops, the .part goes."""
    import zipfile

    import pytest

    from kiemphieu.scanning.intake import IntakeError, Limits, expand_zip

    archive = zip_bytes({"a.png": png_bytes(1) + os.urandom(50_000)}, compression=zipfile.ZIP_STORED)
    lying = bytearray(archive)
    central = lying.rfind(b"PK\x01\x02")
    lying[central + 24:central + 28] = (100).to_bytes(4, "little")  # uncompressed size in the directory
    folder = tmp_path / "spool"
    folder.mkdir()
    with pytest.raises(IntakeError):
        expand_zip(bytes(lying), Limits(), folder)
    assert list(folder.iterdir()) == []


def test_a_full_disk_is_a_clear_message_and_leaves_no_part_file(app, client, scan_round, counter, monkeypatch):
    import errno

    from kiemphieu.scanning import intake

    real_open = open
    calls = {"n": 0}

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            calls["n"] += 1
            if calls["n"] >= 2:  # the second member hits the full disk
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def fake_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullDisk(handle) if str(path).endswith(".part") and "x" in mode else handle

    monkeypatch.setattr(intake, "open", fake_open, raising=False)
    archive = zip_bytes({f"{i}.png": png_bytes(i) for i in range(3)})
    response = upload(client, scan_round, ("scans.zip", archive))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ổ đĩa của máy chủ đã đầy" in page
    assert scans() == [] and stored_files(app) == [] and incoming(app) == []


def test_a_full_disk_while_the_request_is_spooled_is_a_507_in_vietnamese(app, client, scan_round, counter,
                                                                         monkeypatch):
    import errno

    from kiemphieu.scanning.spooling import SpoolingRequest

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SpoolingRequest, "_get_file_stream", no_space)
    response = upload(client, scan_round, ("a.png", png_bytes(1)))
    assert response.status_code == 507 and "Ổ đĩa của máy chủ đã đầy" in response.get_data(as_text=True)


def test_tiff_and_image_pixel_and_page_limits(app, client, scan_round, counter):
    from PIL import Image

    app.config["SCAN_MAX_PAGES"] = 5
    response = upload(client, scan_round, ("many.tif", tiff_bytes(6)))
    assert "vượt quá giới hạn 5 trang" in client.get(response.headers["Location"]).get_data(as_text=True)
    app.config["SCAN_MAX_PIXELS"] = 10_000
    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, "PNG")
    response = upload(client, scan_round, ("huge.png", buffer.getvalue()))
    assert "Ảnh quá lớn (200×100 điểm ảnh" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert scans() == [] and incoming(app) == []


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


def test_a_big_zip_is_stored_in_chunks_each_file_once(app, client, scan_round, counter, monkeypatch):
    """Files already stored, and the same file twice in one zip, are stored once and said so;
    the rest is committed a chunk at a time (one sync and one transaction per chunk)."""
    from kiemphieu.scanning import storage

    syncs = []
    original = storage.sync_folder
    monkeypatch.setattr(storage, "sync_folder", lambda folder, paths: syncs.append(len(paths)) or original(folder, paths))
    upload(client, scan_round, ("old.png", png_bytes(1)))
    members = {f"{i:02d}.png": png_bytes(i) for i in range(1, 41)}
    members["copy.png"] = png_bytes(5)
    response = upload(client, scan_round, ("stack.zip", zip_bytes(members)))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nhận 39 tệp (39 trang)" in page and "2 tệp đã được tải lên trước đây" in page
    assert len(scans()) == 40 and len(stored_files(app)) == 40 and incoming(app) == []
    assert syncs == [1, 31, 8]  # the single upload, then chunks of 32 members (one a repeat)
    uploads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "scan.upload")).all()
    assert len(uploads) == 40  # one audit entry per stored file
    assert sorted(i for entry in uploads for i in entry.detail["scan_ids"]) == sorted(s.id for s in scans())
    from kiemphieu import audit

    assert audit.verify_chain().ok  # a chunk's entries written in one statement, chained in order
