"""The office signs a finalised round's minutes with the deployment's key (instance config)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.minutes import verify_minutes
from kiemphieu.minutes.signing import load_certificates
from kiemphieu.models import AuditEntry, Role

from .conftest import login_as

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/throwaway_ca.py
from throwaway_ca import P12_PASSWORD, make_ca  # noqa: E402
from ..conftest import get_document


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


def finalise(client, round_):
    assert client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu"]}).status_code == 302


def test_the_office_signs_the_minutes_and_the_download_is_the_signed_file(app, client, counted_round, ca):
    app.config.update(SIGNING_P12=str(ca.signer_p12), SIGNING_P12_PASSWORD=P12_PASSWORD.decode())
    finalise(client, counted_round)
    page = client.get(f"/rounds/{counted_round.id}/results").get_data(as_text=True)
    assert "Ký số biên bản" in page
    reply = client.post(f"/rounds/{counted_round.id}/minutes/sign")
    assert reply.status_code == 302
    page = client.get(f"/rounds/{counted_round.id}/results").get_data(as_text=True)
    assert "Biên bản đã được ký số: Lê Thị Thu (Ban kiểm phiếu)" in page
    pdf = get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data
    report = verify_minutes(pdf, load_certificates([ca.root_pem]))
    assert report.ok, report.text()
    assert report.signatures[0].trusted and not report.signatures[0].changed_after
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "minutes.sign")).one()
    assert entry.detail["signer"] == "Lê Thị Thu (Ban kiểm phiếu)" and entry.detail["version"] == 1
    # Once only: a second press is refused, the file stays.
    client.post(f"/rounds/{counted_round.id}/minutes/sign")
    assert get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data == pdf


def test_without_a_configured_key_there_is_no_button_and_nothing_is_signed(client, counted_round):
    finalise(client, counted_round)
    assert "Ký số biên bản" not in client.get(f"/rounds/{counted_round.id}/results").get_data(as_text=True)
    client.post(f"/rounds/{counted_round.id}/minutes/sign")
    pdf = get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data
    assert verify_minutes(pdf).signatures == []


def test_a_round_not_finalised_cannot_be_signed(app, client, counted_round, ca):
    app.config.update(SIGNING_P12=str(ca.signer_p12), SIGNING_P12_PASSWORD=P12_PASSWORD.decode())
    client.post(f"/rounds/{counted_round.id}/minutes/sign")
    assert verify_minutes(get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data).signatures == []


def test_a_counter_cannot_sign(app, client, counted_round, make_user, auth, ca):
    app.config.update(SIGNING_P12=str(ca.signer_p12), SIGNING_P12_PASSWORD=P12_PASSWORD.decode())
    finalise(client, counted_round)
    login_as(make_user, auth, "nhap", Role.COUNTER, counted_round.congress)
    assert client.post(f"/rounds/{counted_round.id}/minutes/sign").status_code == 403


def test_the_office_signs_the_entry_log_too(app, client, counted_round, ca):
    from kiemphieu.minutes import verify_document

    app.config.update(SIGNING_P12=str(ca.signer_p12), SIGNING_P12_PASSWORD=P12_PASSWORD.decode())
    finalise(client, counted_round)
    assert "Ký số nhật ký nhập phiếu" in client.get(f"/rounds/{counted_round.id}/results").get_data(as_text=True)
    assert client.post(f"/rounds/{counted_round.id}/entry-log/sign").status_code == 302
    page = client.get(f"/rounds/{counted_round.id}/results").get_data(as_text=True)
    assert "Nhật ký nhập phiếu đã được ký số: Lê Thị Thu (Ban kiểm phiếu)" in page
    assert "Biên bản đã được ký số" not in page  # each document is signed on its own
    pdf = get_document(client, f"/rounds/{counted_round.id}/entry-log.pdf").data
    report = verify_document(pdf, load_certificates([ca.root_pem]))
    assert report.ok, report.text()
    assert report.signatures[0].trusted and report.digest == counted_round.digest
    assert get_document(client, f"/rounds/{counted_round.id}/entry-log.pdf").data == pdf  # the signed file from now on


def test_signing_uses_the_minutes_the_worker_made(app, client, counted_round, ca, monkeypatch):
    from kiemphieu import minutes

    app.config.update(SIGNING_P12=str(ca.signer_p12), SIGNING_P12_PASSWORD=P12_PASSWORD.decode())
    finalise(client, counted_round)
    made = get_document(client, f"/rounds/{counted_round.id}/minutes.pdf").data

    def no_render(*args, **kwargs):
        raise AssertionError("signing rendered the minutes again")

    monkeypatch.setattr(minutes, "render_minutes", no_render)
    assert client.post(f"/rounds/{counted_round.id}/minutes/sign").status_code == 302
    signed = client.get(f"/rounds/{counted_round.id}/minutes.pdf").data
    assert signed.startswith(made)  # the signature is an incremental update of those very bytes
    assert verify_minutes(signed, load_certificates([ca.root_pem])).ok
