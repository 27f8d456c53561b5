"""Sessions (issue 10, item 6 and minor findings): password change for every user, sessions and
remember cookies that end with logout, password change and deactivation, a remember cookie of
at most a season, security headers on every response, safe redirects after login."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from kiemphieu.auth import services
from kiemphieu.cli import main
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Role, User

from .conftest import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def new_user(app, username, role=Role.VIEWER):
    with app.app_context():
        user_id = services.create_user(username, PASSWORD, role).id
        db.session.remove()
    return user_id


def fetch_user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def log_in(client, username, password=PASSWORD, remember=False):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def stolen(app, client, *names):
    """A second browser holding copies of the first one's cookies."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


# ------------------------------------------------------------------ ending sessions


def test_logout_ends_the_session_and_the_remember_cookie_everywhere(web):
    new_user(web, "lan")
    client = web.test_client()
    log_in(client, "lan", remember=True)
    copy_of_session = stolen(web, client, "session")
    copy_of_remember = stolen(web, client, "remember_token")
    assert logged_in(copy_of_session) and logged_in(copy_of_remember)
    client.post("/logout")
    assert not logged_in(client)
    assert not logged_in(copy_of_session)
    assert not logged_in(copy_of_remember)


def test_changing_ones_own_password_ends_the_other_sessions(web):
    user_id = new_user(web, "lan", Role.COUNTER)
    client = web.test_client()
    log_in(client, "lan", remember=True)
    other_machine = stolen(web, client, "session", "remember_token")
    assert "Đổi mật khẩu" in client.get("/").get_data(as_text=True)
    response = client.post("/account/password", data={"current": PASSWORD, "new": "mat-khau-moi-1",
                                                      "confirm": "mat-khau-moi-1"})
    assert response.status_code == 302
    assert logged_in(client)  # the one who changed it stays in
    assert not logged_in(other_machine)
    assert fetch_user(web, user_id).check_password("mat-khau-moi-1")
    with web.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password")).one()
        assert entry.user_id == user_id and entry.detail["own"] is True
    client.post("/logout")
    assert client.post("/login", data={"username": "lan", "password": PASSWORD}).status_code == 200
    log_in(client, "lan", "mat-khau-moi-1")


@pytest.mark.parametrize("form, message", [
    ({"current": "sai-roi-nhe", "new": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"}, "Mật khẩu hiện tại không đúng"),
    ({"current": PASSWORD, "new": "mat-khau-moi-1", "confirm": "khac-hoan-toan"}, "không khớp"),
    ({"current": PASSWORD, "new": "ngan", "confirm": "ngan"}, "từ 8 đến 200 ký tự"),
    ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, "phải khác"),
])
def test_a_bad_password_change_is_refused(web, form, message):
    user_id = new_user(web, "lan")
    client = web.test_client()
    log_in(client, "lan")
    page = client.post("/account/password", data=form).get_data(as_text=True)
    assert message in page
    assert fetch_user(web, user_id).check_password(PASSWORD)


def test_deactivation_ends_sessions_that_a_reactivation_does_not_bring_back(web):
    user_id = new_user(web, "lan")
    new_user(web, "quantri", Role.ADMIN)
    client, admin = web.test_client(), web.test_client()
    log_in(client, "lan", remember=True)
    copies = stolen(web, client, "session", "remember_token")
    log_in(admin, "quantri")
    admin.post(f"/users/{user_id}/active")
    assert not fetch_user(web, user_id).active
    assert not logged_in(copies)
    admin.post(f"/users/{user_id}/active")
    assert fetch_user(web, user_id).active
    assert not logged_in(copies) and not logged_in(client)


def test_an_administrator_sets_another_users_password(web):
    user_id = new_user(web, "lan")
    new_user(web, "quantri", Role.ADMIN)
    lan_browser, admin = web.test_client(), web.test_client()
    log_in(lan_browser, "lan")
    log_in(admin, "quantri")
    response = admin.post(f"/users/{user_id}/password", data={f"pw{user_id}-password": "dat-lai-mat-khau"})
    assert response.status_code == 302
    assert not logged_in(lan_browser)
    log_in(web.test_client(), "lan", "dat-lai-mat-khau")


def test_user_passwd_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    main(["db-upgrade"])
    assert main(["user", "create", "lan", "--role", "counter", "--password", "mat-khau-dai"]) == 0
    assert main(["user", "passwd", "lan", "--password", "mat-khau-moi-dai"]) == 0
    answers = iter(["tu-ban-phim-1", "tu-ban-phim-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "passwd", "lan"]) == 0
    assert main(["user", "passwd", "khong-co", "--password", "mat-khau-moi-dai"]) == 2
    assert main(["user", "passwd", "lan", "--password", "ngan"]) == 2
    from kiemphieu import create_app

    app = create_app()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lan"))
        assert user.check_password("tu-ban-phim-1")
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ cookies and headers


def test_the_remember_cookie_lasts_a_season_and_is_not_readable_by_scripts(web):
    new_user(web, "lan")
    client = web.test_client()
    response = log_in(client, "lan", remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    expires = datetime.strptime(re.search(r"Expires=([^;]+)", header).group(1), "%a, %d %b %Y %H:%M:%S GMT")
    days = (expires.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)).days
    assert 25 <= days <= 31
    session = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


def test_security_headers_on_every_response(web):
    new_user(web, "lan")
    client = web.test_client()
    responses = {"login": client.get("/login"), "missing": client.get("/no-such-page")}
    log_in(client, "lan")
    responses["private"] = client.get("/")
    for name, response in responses.items():
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp, name
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        assert response.headers["Cache-Control"] == "no-store", name
    static = client.get("/static/app.css")
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_pages_have_no_inline_scripts_styles_or_handlers():
    """The CSP allows only the site's own files: inline code would silently stop working."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        if path.parent.name == "minutes" or path.stem.endswith("_pdf"):  # rendered to PDF, never served
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            problems.append(f"{path.name}: {match.group(0)}")
        problems += [f"{path.name}: <style>" for _ in re.finditer(r"<style", text)]
        problems += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\s(style|on[a-z]+)\s*=", text)]
        problems += [f"{path.name}: javascript:" for _ in re.finditer(r"javascript:", text)]
    assert problems == []


# ------------------------------------------------------------------ redirects after login


@pytest.mark.parametrize("target", [
    "//evil.example/x", "/%09/evil.example", "/\t/evil.example", "/%0a/evil.example", "/\\evil.example",
    "/%5cevil.example", "http://evil.example/", "https:evil.example", "/%2F/evil.example", "\\\\evil.example",
    "javascript:alert(1)", " //evil.example",
])
def test_next_never_leaves_the_site(client, make_user, target):
    make_user("an", Role.VIEWER)
    response = client.post("/login", query_string={"next": target}, data={"username": "an", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_next_keeps_a_path_on_this_site(client, make_user):
    make_user("an", Role.VIEWER)
    response = client.post("/login", query_string={"next": "/rounds/3/results?x=1"},
                           data={"username": "an", "password": PASSWORD})
    assert response.headers["Location"] == "/rounds/3/results?x=1"


def test_logout_ends_a_clerks_saves_on_every_machine(web):
    """The save path loads the user from a statement built once: the session token is still
    checked on every save, so a logout elsewhere refuses the next one and stores nothing."""
    import uuid
    from datetime import date

    from kiemphieu.congress import services as setup
    from kiemphieu.models import Ballot
    from kiemphieu.tally import Kind

    with web.app_context():
        clerk = services.create_user("nhap", PASSWORD, Role.COUNTER)
        congress = setup.create_congress(setup.create_organisation("Đảng bộ xã Yên Lập"), convened=100,
                                         start_date=date(2025, 6, 20))
        setup.add_committee_member(congress, "Lê Thị Thu", "Trưởng ban")
        services.assign(clerk, congress, Role.COUNTER)
        election = setup.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 2)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
        round_ = election.rounds[0]
        setup.set_round_numbers(round_, 100, 100)
        setup.start_entry(round_)
        round_id, code = round_.id, round_.candidates[0].code
        db.session.remove()
    client = web.test_client()
    log_in(client, "nhap")
    other_machine = stolen(web, client, "session")
    url = f"/rounds/{round_id}/entry/A/ballots"
    save = lambda who: who.post(url, json={"key": uuid.uuid4().hex, "marks": {"struck": [code]}})  # noqa: E731
    assert save(other_machine).status_code == 201
    assert save(other_machine).status_code == 201
    client.post("/logout")
    assert save(other_machine).status_code == 401
    with web.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 2
