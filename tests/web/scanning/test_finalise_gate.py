"""Finalisation certifies nothing unread: every scan of the round is counted, ruled or settled.

Issue 10 finding 1: a round finalised with scans in review and one rejected certified 36 papers
instead of 40, and the finalise page said nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiemphieu.congress import services as congress_services
from kiemphieu.extensions import db
from kiemphieu.models import Adjudication, AuditEntry, Role, ScanImage
from kiemphieu.results import services as results
from kiemphieu.scanning import services
from kiemphieu.worker import run_once

from .conftest import png_bytes, reading
from .test_worker import store

HEAD = "Lê Thị Thu"


@pytest.fixture
def gate_round(make_congress, make_election):
    """A single-entry round in entry with a count committee (so only the scans can block it)."""
    congress = make_congress(convened=150, committee=[HEAD, "Hà Văn Tâm"])
    election = make_election(congress=congress, seats=2, present=140, issued=140, entry_mode="single")
    round_ = election.rounds[0]
    congress_services.start_entry(round_)
    return round_


@pytest.fixture
def organiser(auth, gate_round):
    return auth.as_role(Role.ORGANISER, congresses={gate_round.congress: Role.ORGANISER})


def a_read_ballot(round_, fake_reader, seed=100):
    data = png_bytes(seed)
    fake_reader.set(data, reading("read"))
    store(round_, data, f"{seed}.png")
    run_once()


def refused(round_) -> str:
    with pytest.raises(results.ResultsError) as caught:
        results.finalise(round_, [HEAD])
    db.session.refresh(round_)
    assert round_.status == "entry" and round_.digest is None and not round_.result_versions
    return str(caught.value)


def test_nothing_is_finalised_while_a_scan_is_pending_processing_or_in_review(app, gate_round, fake_reader):
    a_read_ballot(gate_round, fake_reader)
    [pending] = store(gate_round, png_bytes(1), "1.png")
    assert "đang chờ máy đọc" in refused(gate_round)

    [claimed] = services.claim_next()  # a worker took it and is reading it
    assert claimed.id == pending.id
    assert "máy đang đọc" in refused(gate_round)

    services.record_readings([(claimed, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}),
                               None)])
    db.session.refresh(pending)
    assert pending.status == "review"
    assert "chờ Ban kiểm phiếu phân xử" in refused(gate_round)

    services.adjudicate(pending, {"c01": "struck"}, None, _clerk())
    version = results.finalise(gate_round, [HEAD])
    assert version.result["ballots"]["counted"] == 2  # both scanned papers are in the certified count


def _clerk():
    from kiemphieu.auth import services as auth_services

    return auth_services.create_user("thuky", "matkhau-thu-ky", Role.COUNTER)


def test_a_rejected_scan_needs_the_committees_ruling(app, client, gate_round, organiser, fake_reader):
    a_read_ballot(gate_round, fake_reader)
    data = png_bytes(2)
    fake_reader.set(data, reading("rejected", reason="no_markers"))
    [scan] = store(gate_round, data, "trang-2.png")
    run_once()
    assert "ảnh bị từ chối chưa có kết luận" in refused(gate_round)

    # The finalise page says what is outstanding and links to it.
    html = client.get(f"/rounds/{gate_round.id}/finalise").get_data(as_text=True)
    assert 'id="outstanding-scans"' in html and "Bị từ chối, chưa có kết luận: 1" in html
    assert f"Ảnh #{scan.id}" in html and "trang-2.png" in html

    response = client.post(f"/rounds/{gate_round.id}/scans/rejected/rule",
                           data={"rule-ruling": "not_ballot", "scan_ids": [str(scan.id)]})
    assert response.status_code == 302
    [ruling] = db.session.scalars(select(Adjudication).where(Adjudication.scan_id == scan.id)).all()
    assert ruling.ruling == "not_ballot" and ruling.candidate_code is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "scan.rule_rejected")).one()
    assert entry.detail == {"round_id": gate_round.id, "scan_ids": [scan.id], "ruling": "not_ballot"}
    page = client.get(f"/rounds/{gate_round.id}/scans/rejected").get_data(as_text=True)
    assert 'data-ruling="not_ballot"' in page

    response = client.post(f"/rounds/{gate_round.id}/finalise", data={"confirmed": [HEAD]})
    assert response.status_code == 302
    db.session.refresh(gate_round)
    assert gate_round.status == "finalised"


def test_reading_a_ruled_image_again_drops_the_old_ruling(app, client, gate_round, organiser, fake_reader):
    a_read_ballot(gate_round, fake_reader)
    data = png_bytes(3)
    fake_reader.set(data, reading("rejected", reason="no_markers"))
    [scan] = store(gate_round, data, "3.png")
    run_once()
    client.post(f"/rounds/{gate_round.id}/scans/rejected/rule",
                data={"rule-ruling": "rescanned", "scan_ids": [str(scan.id)]})
    assert results.finalisation_blockers(gate_round) == []
    client.post(f"/scans/{scan.id}/requeue", data={"requeue-profile": ""})
    run_once()  # rejected again: the committee must look at it again
    db.session.refresh(scan)
    assert scan.status == "rejected"
    assert "ảnh bị từ chối chưa có kết luận" in " ".join(results.finalisation_blockers(gate_round))


def test_only_rejected_scans_of_this_round_can_be_ruled(app, client, gate_round, organiser, fake_reader):
    data = png_bytes(4)
    fake_reader.set(data, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
    [scan] = store(gate_round, data, "4.png")
    run_once()
    response = client.post(f"/rounds/{gate_round.id}/scans/rejected/rule",
                           data={"rule-ruling": "not_ballot", "scan_ids": [str(scan.id)]}, follow_redirects=True)
    assert "Chỉ kết luận được ảnh bị từ chối" in response.get_data(as_text=True)
    assert db.session.scalars(select(Adjudication)).all() == []


def test_the_rejected_list_is_paged(app, client, gate_round, organiser, fake_reader):
    from kiemphieu.scanning.routes import REJECTED_PAGE_SIZE

    for seed in range(REJECTED_PAGE_SIZE + 5):
        data = png_bytes(1000 + seed)
        fake_reader.set(data, reading("rejected", reason="blank_page"))
        store(gate_round, data, f"{seed}.png")
    run_once()
    first = client.get(f"/rounds/{gate_round.id}/scans/rejected").get_data(as_text=True)
    assert first.count('name="scan_ids"') == REJECTED_PAGE_SIZE
    assert "Trang 1/2" in first
    second = client.get(f"/rounds/{gate_round.id}/scans/rejected?page=2").get_data(as_text=True)
    assert second.count('name="scan_ids"') == 5
    assert db.session.scalar(select(db.func.count()).select_from(ScanImage)) == REJECTED_PAGE_SIZE + 5
