"""The scanner-station API: login + CSRF token or station token, idempotent by SHA-256."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Role, ScanImage

from .conftest import PASSWORD_FOR_TESTS, pdf_bytes, png_bytes, reading, sha


@pytest.fixture
def station(app, client, make_election, make_user):
    """A client logged in as a counter through /api/session + /login, with CSRF checks on.

    (The app's CSRF switch is read per request; the csrf_app fixture would be a second app
    with its own in-memory database, which the factory fixtures do not write to.)
    """
    from kiemphieu.congress import services as setup

    app.config["WTF_CSRF_ENABLED"] = True
    csrf_client = client

    election = make_election(present=10, issued=10)
    round_ = election.rounds[0]
    setup.start_entry(round_)
    user = make_user("tram-quet", Role.COUNTER, congresses={election.congress: Role.COUNTER})
    token = csrf_client.get("/api/session").get_json()["csrf_token"]
    response = csrf_client.post("/login", data={"username": user.username, "password": PASSWORD_FOR_TESTS,
                                                "csrf_token": token})
    assert response.status_code == 302
    info = csrf_client.get("/api/session").get_json()
    assert info["user"] == "tram-quet"
    return csrf_client, round_, info["csrf_token"], user


def forget_login():
    """The fixtures keep one app context for the whole test, so Flask-Login's per-request
    cache (g._login_user) would carry the previous request's user into the next one."""
    from flask import g

    g.pop("_login_user", None)


def send(client, round_, data, csrf=None, **fields):
    form = {"image": (io.BytesIO(data), "0001.png"), **fields}
    headers = {"X-CSRFToken": csrf} if csrf else {}
    headers["Accept"] = "application/json"
    return client.post(f"/api/rounds/{round_.id}/scans", data=form, headers=headers,
                       content_type="multipart/form-data")


def test_the_round_api_gives_the_election_the_station_reads_with(station):
    client, round_, csrf, _ = station
    body = client.get(f"/api/rounds/{round_.id}").get_json()
    assert body["form"] == "strike" and body["status"] == "entry"
    assert [c["id"] for c in body["election"]["candidates"]] == ["c01", "c02", "c03"]


def test_a_station_sends_an_image_once(station):
    client, round_, csrf, user = station
    data = png_bytes(1)
    station_reading = reading("read")
    first = send(client, round_, data, csrf, sha256=sha(data), reading=json.dumps(station_reading))
    assert first.status_code == 201
    body = first.get_json()
    assert body["created"] is True and body["scans"][0]["status"] == "pending"
    again = send(client, round_, data, csrf, sha256=sha(data))
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["scans"][0]["id"] == body["scans"][0]["id"]
    [scan] = db.session.scalars(select(ScanImage)).all()
    assert scan.station_reading == station_reading and scan.uploaded_by_id == user.id


def test_a_multi_page_file_takes_one_station_reading_per_page(station):
    client, round_, csrf, _ = station
    readings = [reading("read"), reading("rejected", reason="blank_page")]
    response = send(client, round_, pdf_bytes(2), csrf, reading=json.dumps(readings))
    assert response.status_code == 201 and len(response.get_json()["scans"]) == 2
    stored = db.session.scalars(select(ScanImage).order_by(ScanImage.page)).all()
    assert [s.station_reading["status"] for s in stored] == ["read", "rejected"]


def test_a_post_without_the_csrf_header_is_refused(station):
    client, round_, _, _ = station
    assert send(client, round_, png_bytes(2)).status_code == 400
    assert db.session.scalars(select(ScanImage)).all() == []


def test_bad_requests_get_json_errors(station):
    client, round_, csrf, _ = station
    data = png_bytes(3)
    wrong = send(client, round_, data, csrf, sha256="0" * 64)
    assert wrong.status_code == 400 and "SHA-256" in wrong.get_json()["error"]
    assert send(client, round_, data, csrf, reading="{not json").status_code == 400
    not_image = send(client, round_, b"hello world", csrf)
    assert not_image.status_code == 400 and "JPEG" in not_image.get_json()["error"]
    missing = client.post(f"/api/rounds/{round_.id}/scans", data={}, headers={"X-CSRFToken": csrf})
    assert missing.status_code == 400
    assert db.session.scalars(select(ScanImage)).all() == []


def test_a_closed_round_answers_409(station):
    client, round_, csrf, _ = station
    round_.status = "finalised"
    db.session.commit()
    response = send(client, round_, png_bytes(4), csrf)
    assert response.status_code == 409 and "chốt" in response.get_json()["error"]


def test_a_station_token_needs_no_cookie_and_no_csrf(app, station):
    client, round_, _, user = station
    from kiemphieu.scanning import tokens

    with app.test_request_context():
        token = tokens.make_token(user)
    fresh = app.test_client()  # no cookie at all
    forget_login()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert fresh.get("/api/session", headers=headers).get_json()["user"] == user.username
    forget_login()
    response = fresh.post(f"/api/rounds/{round_.id}/scans", headers=headers, content_type="multipart/form-data",
                          data={"image": (io.BytesIO(png_bytes(5)), "a.png")})
    assert response.status_code == 201, response.get_data(as_text=True)
    forget_login()
    bad = fresh.post(f"/api/rounds/{round_.id}/scans", content_type="multipart/form-data",
                     headers={"Authorization": "Bearer nonsense", "Accept": "application/json"},
                     data={"image": (io.BytesIO(png_bytes(6)), "a.png")})
    assert bad.status_code in (400, 401)  # no user: refused (CSRF first, then login)
    # The token is not accepted outside /api/.
    forget_login()
    assert fresh.get(f"/rounds/{round_.id}/scans", headers=headers).status_code in (302, 401)  # not logged in
    assert len(db.session.scalars(select(ScanImage)).all()) == 1


def test_changing_the_password_revokes_station_tokens(app, station):
    client, round_, _, user = station
    from kiemphieu.auth import services as users
    from kiemphieu.scanning import tokens

    with app.test_request_context():
        token = tokens.make_token(user)
        assert tokens.user_for(token).id == user.id
        users.set_password(user, "mat-khau-moi-123")
        assert tokens.user_for(token) is None


def test_the_station_page_makes_a_token(app, client, scan_round, counter):
    page = client.post(f"/rounds/{scan_round.id}/scans/station").get_data(as_text=True)
    assert 'id="station-token"' in page and f"--round {scan_round.id}" in page


def test_an_anonymous_script_gets_401(app, client, scan_round):
    response = client.post(f"/api/rounds/{scan_round.id}/scans", headers={"Accept": "application/json"})
    assert response.status_code in (400, 401)
    assert client.get(f"/api/rounds/{scan_round.id}", headers={"Accept": "application/json"}).status_code == 401
