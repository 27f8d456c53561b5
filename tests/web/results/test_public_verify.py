"""/verify/<digest> on the LAN: no login, exactly what the minutes print, nothing else; the QR
code's base address is a deployment setting."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata

import pypdfium2
import pytest

from kiemphieu.extensions import db
from kiemphieu.models import Role, Round

from ..conftest import enter, get_document
from .conftest import login_as


def finalised(client, round_) -> str:
    reply = client.post(f"/rounds/{round_.id}/finalise",
                        data={"confirmed": ["Lê Thị Thu"], "acknowledge_checks": "y"})
    assert reply.status_code == 302
    db.session.expire_all()
    return db.session.get(Round, round_.id).digest


TABLE_HEADS = ("TT Họ và tên Số phiếu Tỷ lệ %", "TT Họ và tên Ghi chú")


def words(text: str) -> str:
    """The words of a text, without the list bullets CSS draws, the page numbers and the table
    headers (the PDF repeats them on each page a table crosses)."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"Trang \d+/\d+", " ", text)
    text = " ".join(w for w in text.split() if w not in {"-", "+", "*"})
    for head in TABLE_HEADS:
        text = text.replace(head + " ", "")
    return text


def article_text(page_html: str) -> str:
    article = re.search(r'<article class="minutes-copy" id="minutes">(.*)</article>', page_html, re.DOTALL).group(1)
    article = re.sub(r'<div class="page-footer">.*?</table>\s*</div>', " ", article, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", article))


def pdf_text_without_footers(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    pages = [page.get_textpage().get_text_range() for page in document]
    document.close()
    text = " ".join(pages)
    return re.sub(r"Mã xác thực \(SHA-256\):.*?kiemphieu verify", " ", text.replace("\r\n", " "), flags=re.DOTALL)


def test_anyone_on_the_lan_sees_exactly_what_the_minutes_print(client, counted_round, auth):
    digest = finalised(client, counted_round)
    pdf = get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data
    auth.logout()
    page = client.get(f"/verify/{digest}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert words(article_text(html)) == words(pdf_text_without_footers(pdf))
    # The footer (digest, QR address) as printed.
    assert f"Mã xác thực (SHA-256): <span class=\"digest\">{digest}</span>" in html
    assert f"Kiểm tra tại: http://localhost/verify/{digest}" in html


def test_the_public_page_shows_no_ballots_and_no_users(client, counted_round, auth, codes):
    digest = finalised(client, counted_round)
    auth.logout()
    html = client.get(f"/verify/{digest}").get_data(as_text=True)
    for code in codes(counted_round):
        assert not re.search(rf"\b{code}\b", html)  # candidate ids appear only in ballots
    assert "struck" not in html and "no_stamp" not in html
    assert "totruong" not in html and "Đăng xuất" not in html
    assert "Xem phiên bản này trong ứng dụng" not in html  # no way into the app


def test_unknown_or_malformed_digest_is_404_without_login(client):
    assert client.get(f"/verify/{'0' * 64}").status_code == 404
    assert client.get("/verify/..%2f..%2fetc").status_code == 404


def test_a_superseded_version_says_so(client, counted_round, auth, make_user, post, codes):
    digest = finalised(client, counted_round)
    login_as(make_user, auth, "quantri", Role.ADMIN)
    assert client.post(f"/rounds/{counted_round.id}/reopen", data={"reason": "Nhập sai phiếu 3"}).status_code == 302
    c = codes(counted_round)
    enter(post, counted_round, "A", [{"struck": [c[0], c[1]]}])
    enter(post, counted_round, "B", [{"struck": [c[0], c[1]]}])
    finalised(client, counted_round)
    auth.logout()
    html = client.get(f"/verify/{digest}").get_data(as_text=True)
    assert "đã có phiên bản mới hơn" in html


@pytest.mark.parametrize("setting", ["config", "env"])
def test_the_qr_base_address_is_a_deployment_setting(tmp_path, monkeypatch, setting, counted_round):
    from kiemphieu.config import default_config

    if setting == "env":
        monkeypatch.setenv("KIEMPHIEU_VERIFY_URL_BASE", "http://kiemphieu.lan:8000/")
        assert default_config(tmp_path)["VERIFY_URL_BASE"] == "http://kiemphieu.lan:8000/"
        return
    monkeypatch.delenv("KIEMPHIEU_VERIFY_URL_BASE", raising=False)
    assert default_config(tmp_path)["VERIFY_URL_BASE"] is None


def test_minutes_print_the_configured_base_address(app, client, counted_round):
    app.config["VERIFY_URL_BASE"] = "http://kiemphieu.lan:8000/"
    digest = finalised(client, counted_round)
    html = client.get(f"/verify/{digest}").get_data(as_text=True)
    assert f"Kiểm tra tại: http://kiemphieu.lan:8000/verify/{digest}" in html
    pdf = get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data
    document = pypdfium2.PdfDocument(pdf)
    printed = re.sub(r"\s+", "", "".join(p.get_textpage().get_text_range() for p in document))
    document.close()
    assert f"Kiểmtratại:http://kiemphieu.lan:8000/verify/{digest}" in printed  # the URL wraps
