"""Password guessing (issue 10, item 6): throttling that is atomic, per user *and* client address,
with no way to lock an account for everybody, answers that do not tell which names exist, and an
audit log that records failures without being flooded by them."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from kiemphieu.auth import services, throttle
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Role, User

from .conftest import PASSWORD, _make_app

ATTACKER = "10.0.0.66"
OFFICE = "10.0.0.5"


def login(client, username, password, address=ATTACKER):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def audit_actions(*actions):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)).all()


def test_five_failures_stop_that_address_guessing_that_name(client, make_user):
    make_user("lan", Role.VIEWER)
    for _ in range(throttle.PAIR_MAX):
        assert "Sai tên đăng nhập" in login(client, "lan", "doan-sai").get_data(as_text=True)
    response = login(client, "lan", PASSWORD)  # even the right password, from the guessing machine
    assert response.status_code == 429 and "thử lại sau 10 phút" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert throttle.minutes_locked("lan", ATTACKER) == 10


def test_nobody_can_lock_an_account_for_everybody(client, make_user):
    make_user("lan", Role.VIEWER)
    for _ in range(throttle.PAIR_MAX * 3):
        login(client, "lan", "doan-sai", ATTACKER)
    assert throttle.minutes_locked("lan", OFFICE) == 0
    assert login(client, "lan", PASSWORD, OFFICE).status_code == 302


def test_one_address_cannot_spray_guesses_over_many_names(client, make_user, monkeypatch):
    monkeypatch.setattr(throttle, "ADDRESS_MAX", 8)  # fewer slow password hashes in the test
    make_user("lan", Role.VIEWER)
    for n in range(throttle.ADDRESS_MAX):
        login(client, f"ten{n}", "doan-sai")
    assert login(client, "lan", PASSWORD).status_code == 429
    assert login(client, "lan", PASSWORD, OFFICE).status_code == 302


def test_a_right_password_gives_the_attempt_back(client, make_user):
    make_user("lan", Role.VIEWER)
    for _ in range(throttle.PAIR_MAX - 1):
        login(client, "lan", "doan-sai")
    assert login(client, "lan", PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(throttle.PAIR_MAX - 1):
        login(client, "lan", "doan-sai")
    assert login(client, "lan", PASSWORD).status_code == 302  # the counter started again


def test_the_lock_ends_with_the_window(client, make_user, monkeypatch):
    make_user("lan", Role.VIEWER)
    for _ in range(throttle.PAIR_MAX):
        login(client, "lan", "doan-sai")
    assert login(client, "lan", PASSWORD).status_code == 429
    later = throttle.utcnow() + throttle.WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(throttle, "_now", lambda: later)
    assert throttle.minutes_locked("lan", ATTACKER) == 0
    assert login(client, "lan", PASSWORD).status_code == 302


def test_failures_are_logged_but_not_one_entry_per_guess(client, make_user, monkeypatch):
    monkeypatch.setattr(throttle, "ADDRESS_MAX", 8)
    make_user("lan", Role.VIEWER)
    for _ in range(12):
        login(client, "lan", "doan-sai")
    failed = audit_actions("auth.login_failed")
    locked = audit_actions("auth.login_locked")
    assert [e.detail["username"] for e in failed] == ["lan"]
    assert failed[0].detail["remote_addr"] == ATTACKER
    assert [e.detail["scope"] for e in locked] == ["user_from_address"]
    # Anonymous names from one machine: at most one entry per name until the address is stopped.
    for n in range(40):
        login(client, f"khach{n}", "x")
    assert len(audit_actions("auth.login_failed", "auth.login_locked")) <= throttle.ADDRESS_MAX + 3


def test_an_unknown_name_costs_a_password_hash_too(app, make_user, monkeypatch):
    make_user("lan", Role.VIEWER)
    hashed = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: hashed.append(h) or real(h, p))
    assert services.authenticate("khong-co-ai", "doan-sai") is None
    assert len(hashed) == 1
    method = db.session.scalar(select(User.password_hash)).split("$")[0]
    assert hashed[0].startswith(method + "$")  # the same (slow) method as a real password


def test_a_parallel_burst_checks_at_most_five_guesses(tmp_path, monkeypatch):
    app = _make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'burst.sqlite'}")
    with app.app_context():
        services.create_user("lan", PASSWORD, Role.VIEWER)
        db.session.remove()
    checked = []
    lock = threading.Lock()
    real = User.check_password

    def counting(self, password):
        with lock:
            checked.append(password)
        return real(self, password)

    monkeypatch.setattr(User, "check_password", counting)
    start = threading.Barrier(12)
    statuses = []

    def guess(n):
        client = app.test_client()
        start.wait()
        response = login(client, "lan", f"doan-sai-{n}")
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == throttle.PAIR_MAX
    assert statuses.count(429) == 12 - throttle.PAIR_MAX
    with app.app_context():
        db.engine.dispose()
