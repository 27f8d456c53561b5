"""Unexpected errors on write paths: a Vietnamese page (or JSON), nothing half-written kept."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from kiemphieu.congress import services as congress_services
from kiemphieu.entry import services as entry_services
from kiemphieu.extensions import db
from kiemphieu.models import Organisation, Role


@pytest.fixture
def live_client(app, auth):
    """As in production: exceptions become error pages instead of propagating to the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    auth.as_role(Role.ADMIN)
    return auth.client


def _failing(exc):
    def fail(*args, **kwargs):
        db.session.add(Organisation(name="nửa chừng"))  # half-written work that must not stay
        db.session.flush()
        raise exc
    return fail


def test_a_crashing_form_post_gives_a_vietnamese_500_page(live_client, monkeypatch):
    monkeypatch.setattr(congress_services, "create_organisation", _failing(RuntimeError("boom at line 42")))
    reply = live_client.post("/organisations", data={"name": "Chi bộ 1"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 500 and "Máy chủ gặp lỗi ngoài dự kiến" in html and "CHƯA được lưu" in html
    assert "boom" not in html and "Traceback" not in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation).where(
        Organisation.name == "nửa chừng")) == 0


def test_a_busy_database_is_a_503_with_a_retry_message(live_client, monkeypatch):
    error = OperationalError("INSERT ...", {}, Exception("database is locked"))
    monkeypatch.setattr(congress_services, "create_organisation", _failing(error))
    reply = live_client.post("/organisations", data={"name": "Chi bộ 1"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 503 and "Cơ sở dữ liệu đang bận" in html and "locked" not in html


def test_a_crashing_json_save_answers_json(live_client, monkeypatch, make_round):
    round_ = make_round()
    monkeypatch.setattr(entry_services, "save_ballot", _failing(RuntimeError("boom")))
    reply = live_client.post(f"/rounds/{round_.id}/entry/A/ballots", json={"key": "k" * 32, "marks": {}})
    assert reply.status_code == 500 and "CHƯA được lưu" in reply.get_json()["error"]


def test_a_crash_while_asking_for_a_document_gives_the_vietnamese_500_page(live_client, monkeypatch, make_round):
    from kiemphieu.jobs import services as jobs

    round_ = make_round()
    monkeypatch.setattr(jobs, "_create", _failing(RuntimeError("job insert failed at /srv/x")))
    reply = live_client.get(f"/rounds/{round_.id}/minutes.pdf")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 500 and "Máy chủ gặp lỗi ngoài dự kiến" in html
    assert "/srv/x" not in html and "Traceback" not in html
