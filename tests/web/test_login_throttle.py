"""Password guessing: five failures for one name lock it for the rest of a ten-minute window."""

from datetime import timedelta

from kiemphieu.auth import services
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Role

from .conftest import PASSWORD


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_failures_are_logged_then_the_name_is_locked(client, make_user):
    make_user("lan", Role.VIEWER)
    for _ in range(services.LOGIN_MAX_FAILURES):
        assert "Sai tên đăng nhập" in login(client, "lan", "doan-sai").get_data(as_text=True)
    failures = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).all()
    assert len(failures) == services.LOGIN_MAX_FAILURES
    assert failures[0].detail["username"] == "lan"
    # Even the right password is refused while the name is locked.
    response = login(client, "lan", PASSWORD)
    assert "tạm khóa" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_other_names_are_not_locked(client, make_user):
    make_user("lan", Role.VIEWER)
    make_user("binh", Role.VIEWER)
    for _ in range(services.LOGIN_MAX_FAILURES):
        login(client, "lan", "doan-sai")
    assert login(client, "binh", PASSWORD).status_code == 302


def test_the_lock_ends_with_the_window(client, make_user, monkeypatch):
    make_user("lan", Role.VIEWER)
    for _ in range(services.LOGIN_MAX_FAILURES):
        login(client, "lan", "doan-sai")
    assert services.login_locked_minutes("lan") == 10
    later = services.utcnow() + services.LOGIN_FAILURE_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert services.login_locked_minutes("lan") == 0
    assert login(client, "lan", PASSWORD).status_code == 302
