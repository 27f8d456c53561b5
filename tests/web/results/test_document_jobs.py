"""Generated documents are made by the worker (kiemphieu.jobs), never by the request.

Through the test client: asking gives the waiting page; the worker's one step makes the
document; the download gives the same PDF text as rendering in-line did; the same document
asked twice is one job; another organisation's user gets 403; a crashed job is retaken; a
failure is shown in Vietnamese; claims are fair across congresses and, on PostgreSQL, skip
rows another worker holds.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from kiemphieu.extensions import db
from kiemphieu.jobs import claims, services as jobs
from kiemphieu.models import Job, Role, Round, utcnow

from ..conftest import flat_pdf_text, run_document_jobs, shared_database_url


def _ask(client, url):
    reply = client.get(url)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    match = re.search(r"/documents/(\d+)(/download)?$", reply.headers["Location"])
    assert match, reply.headers["Location"]
    return int(match.group(1)), reply.headers["Location"]


def _inline_minutes(round_id: int) -> bytes:
    """The minutes as the route rendered them in-line before the worker made them."""
    from kiemphieu.minutes import render_minutes
    from kiemphieu.results import services

    round_ = db.session.get(Round, round_id)
    version = services.latest_version(round_) if round_.is_finalised else None
    inputs = services.minutes_inputs(round_, version)
    return render_minutes(inputs.rr.election, inputs.rr.ballots, **inputs.render_kwargs("http://localhost"))


def test_minutes_are_asked_for_made_by_the_worker_and_downloaded(client, counted_round):
    job_id, location = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    assert location.endswith(f"/documents/{job_id}")
    page = client.get(location).get_data(as_text=True)
    assert "Đang tạo tài liệu…" in page and "job.js" in page and "<script>" not in page
    assert client.get(f"/documents/{job_id}/status.json").get_json()["status"] == "queued"
    assert client.get(f"/documents/{job_id}/download").status_code == 302  # not made yet: the waiting page

    assert run_document_jobs() == 1
    state = client.get(f"/documents/{job_id}/status.json").get_json()
    assert state["done"] and state["download"].endswith(f"/documents/{job_id}/download")
    download = client.get(state["download"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "bien-ban-kiem-phieu-vong-1-ban-nhap.pdf" in download.headers["Content-Disposition"]
    assert flat_pdf_text(download.data) == flat_pdf_text(_inline_minutes(counted_round.id))
    assert "BẢN NHÁP" in flat_pdf_text(download.data)
    job = db.session.get(Job, job_id)
    assert job.result_sha256 and job.round_id == counted_round.id and job.congress_id == counted_round.congress.id
    assert job.attempts == 1 and job.requested_by.username == "totruong"


def test_the_certified_minutes_from_the_worker_still_verify(client, counted_round):
    from kiemphieu.minutes import verify_minutes

    client.post(f"/rounds/{counted_round.id}/finalise", data={"confirmed": ["Lê Thị Thu"]})
    job_id, _ = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    run_document_jobs()
    pdf = client.get(f"/documents/{job_id}/download").data
    assert verify_minutes(pdf).ok
    assert pdf == _inline_minutes(counted_round.id)  # certified: the same bytes as in-line


def test_the_same_document_asked_twice_is_one_job_until_its_inputs_change(client, counted_round):
    from kiemphieu.congress import services as setup

    url = f"/rounds/{counted_round.id}/minutes.pdf"
    first, _ = _ask(client, url)
    assert _ask(client, url)[0] == first  # queued: the same job
    run_document_jobs()
    again, location = _ask(client, url)
    assert again == first and location.endswith("/download")  # made, inputs unchanged: at once
    assert run_document_jobs() == 0
    setup.add_committee_member(counted_round.congress, "Phạm Văn Mới", "Ủy viên")
    changed, _ = _ask(client, url)
    assert changed != first  # the minutes now list another signer: a new document
    assert db.session.scalar(select(db.func.count()).select_from(Job)) == 2


def test_a_user_of_another_organisation_gets_403(client, auth, make_user, make_congress, make_organisation,
                                                 counted_round):
    job_id, _ = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    run_document_jobs()
    other = make_congress(organisation=make_organisation("Đảng bộ xã Khác"))
    make_user("khac", Role.COUNTER, congresses={other: Role.ORGANISER})  # organiser of that congress only
    auth.logout()
    auth.login("khac")
    assert client.get(f"/congresses/{other.id}/summary.pdf").status_code == 302  # their own: allowed
    for path in ("", "/status.json", "/download"):
        assert client.get(f"/documents/{job_id}{path}").status_code == 403
    assert client.get(f"/rounds/{counted_round.id}/minutes.pdf").status_code == 403


def test_the_download_needs_the_role_the_document_needs(client, auth, make_user, counted_round):
    job_id, _ = _ask(client, f"/rounds/{counted_round.id}/ballots.pdf?copies=2")  # organisers only
    run_document_jobs()
    assert client.get(f"/documents/{job_id}/download").status_code == 200
    make_user("xem", Role.COUNTER, congresses={counted_round.congress: Role.VIEWER})
    auth.logout()
    auth.login("xem")
    assert client.get(f"/documents/{job_id}/download").status_code == 403
    assert client.get(f"/documents/{job_id}").status_code == 403


def test_a_crashed_job_is_taken_again_then_failed_in_vietnamese(client, counted_round):
    job_id, location = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    taken = claims.claim_job("dead-node:1")  # a worker that then died (kill -9)
    assert taken.id == job_id and claims.claim_job("other:2") is None  # running, not stale yet
    job = db.session.get(Job, job_id)
    job.heartbeat_at = utcnow() - timedelta(minutes=5)  # its heartbeat stopped
    db.session.commit()
    assert jobs.run_next_job("live-node:3").status == "done"
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.attempts == 2 and job.claimed_by == "live-node:3"
    assert client.get(f"/documents/{job_id}/download").status_code == 200

    # A job that stopped the worker twice fails, with a message for the user.
    job.status, job.attempts, job.heartbeat_at = "running", 2, utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert jobs.run_next_job("third:4") is None
    state = client.get(f"/documents/{job_id}/status.json").get_json()
    assert state["failed"] and "dừng giữa chừng 2 lần" in state["error"]
    assert "dừng giữa chừng" in client.get(location).get_data(as_text=True)


def test_take_over_claims_retakes_a_running_job_at_once(client, counted_round):
    job_id, _ = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    claims.claim_job("dead-node:1")
    assert claims.take_over_claims() == 1
    assert jobs.run_next_job("new-worker:2").job_id == job_id


def test_a_failure_shows_the_vietnamese_error_never_the_raw_one(client, counted_round, monkeypatch):
    from kiemphieu import minutes

    def broken(*args, **kwargs):
        raise RuntimeError("weasyprint exploded at /secret/path")

    monkeypatch.setattr(minutes, "render_minutes", broken)
    job_id, location = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    assert run_document_jobs() == 1
    page = client.get(location).get_data(as_text=True)
    assert "Không tạo được tài liệu do lỗi của máy chủ" in page and "Thử lại" in page
    assert "exploded" not in page and "/secret/path" not in page and "RuntimeError" not in page
    state = client.get(f"/documents/{job_id}/status.json").get_json()
    assert state["failed"] and "exploded" not in state["error"]
    monkeypatch.undo()
    retry, _ = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")  # asked again: a new job
    assert retry != job_id
    run_document_jobs()
    assert client.get(f"/documents/{retry}/download").status_code == 200


def test_a_changed_result_file_is_refused(client, counted_round):
    job_id, _ = _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    run_document_jobs()
    path = jobs.result_path(db.session.get(Job, job_id))
    path.write_bytes(path.read_bytes().replace(b"%PDF", b"%PDX", 1))
    reply = client.get(f"/documents/{job_id}/download")
    assert reply.status_code == 500 and "đã bị thay đổi" in reply.get_data(as_text=True)


def test_the_scan_worker_loop_makes_documents_too(client, counted_round):
    from kiemphieu import worker

    job_id, _ = _ask(client, f"/congresses/{counted_round.congress.id}/summary.pdf")
    assert worker.run_once() == 1
    assert db.session.get(Job, job_id).status == "done"


def test_the_worker_says_it_makes_a_document_only_while_it_makes_one(client, counted_round):
    """Looking for a job is idle (the scans page said "đang tạo tài liệu" of an idle worker)."""
    from kiemphieu import worker

    states: list[str] = []
    assert worker.run_document_job(lambda state, pages=0: states.append(state)) is False
    assert states == []
    _ask(client, f"/congresses/{counted_round.congress.id}/summary.pdf")
    assert worker.run_document_job(lambda state, pages=0: states.append(state)) is True
    assert states[0] == "document" and states[-1] == "idle"


def _queue(congress_id: int, round_id: int, n: int) -> list[int]:
    ids = []
    for i in range(n):
        job = Job(kind="minutes", params={"round_id": round_id, "verify_url_base": "http://x"},
                  inputs_digest=f"{i}", key=f"{congress_id}-{round_id}-{i}-{utcnow().timestamp()}",
                  congress_id=congress_id, round_id=round_id, required_role="viewer", file_name="a.pdf")
        db.session.add(job)
        db.session.flush()
        ids.append(job.id)
    db.session.commit()
    return ids


def test_job_claims_are_fair_across_congresses(app, make_round):
    busy, quiet = make_round(), make_round()
    many = _queue(busy.congress.id, busy.id, 3)
    one = _queue(quiet.congress.id, quiet.id, 1)
    order = [claims.claim_job(f"w:{i}").id for i in range(4)]
    assert order == [many[0], one[0], many[1], many[2]]
    assert claims.claim_job("w:5") is None


def test_job_claims_skip_rows_another_worker_holds_on_postgresql(app, make_round):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises claims with its write lock)")
    first_round, second_round = make_round(), make_round()
    [first] = _queue(first_round.congress.id, first_round.id, 1)
    [other] = _queue(second_round.congress.id, second_round.id, 1)
    holder = create_engine(db.engine.url)
    with holder.connect() as conn:  # another node's worker in the middle of its claim
        conn.execute(text("SELECT id FROM job WHERE id = :i FOR UPDATE"), {"i": first})
        claimed = claims.claim_job("w:1")  # must not wait for that lock
        conn.rollback()
    holder.dispose()
    assert claimed.id == other
    assert claims.claim_job("w:2").id == first


def test_concurrent_workers_claim_each_job_once(app, tmp_path):
    """8 threads (workers on several nodes) claim 40 jobs of 4 congresses at once: every job is
    claimed exactly once (PostgreSQL: SKIP LOCKED; SQLite: the write lock)."""
    from kiemphieu import create_app
    from kiemphieu.congress import services as setup

    url = shared_database_url(tmp_path)  # PostgreSQL: the test database, its tables emptied by `app`
    shared = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "shared"),
                      "SQLALCHEMY_DATABASE_URI": url})
    with shared.app_context():
        if url.startswith("sqlite"):
            db.create_all()
        organisation = setup.create_organisation("Đảng bộ xã Yên Lập")
        queued = []
        for n in range(4):
            congress = setup.create_congress(organisation, convened=10, name=f"Đại hội số {'ABCD'[n]}")
            election = setup.create_election(congress, "secretary", "Bầu Bí thư", 1)
            queued += _queue(congress.id, election.rounds[0].id, 10)
        db.session.remove()
    claimed: list[int] = []
    lock, errors = threading.Lock(), []

    def work(name: str) -> None:
        with shared.app_context():
            try:
                while (job := claims.claim_job(name)) is not None:
                    with lock:
                        claimed.append(job.id)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"node:{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(claimed) == sorted(queued)  # each once, none lost
    with shared.app_context():
        assert {j.status for j in db.session.scalars(select(Job))} == {"running"}
        db.session.remove()
        db.engine.dispose()


def test_a_long_render_keeps_the_worker_heartbeat_alive(client, counted_round, monkeypatch):
    """The supervisor restarts a worker silent for 120 s: a render longer than that must beat."""
    import time

    from kiemphieu import minutes

    real = minutes.render_minutes

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(minutes, "render_minutes", slow)
    monkeypatch.setattr(jobs, "PULSE", 0.05)
    _ask(client, f"/rounds/{counted_round.id}/minutes.pdf")
    pulses = []
    assert jobs.run_next_job("w:1", pulse=lambda: pulses.append(time.monotonic())).status == "done"
    assert len(pulses) >= 3


def test_an_older_copy_of_the_same_document_is_pruned_when_a_new_one_is_made(client, counted_round):
    from kiemphieu.congress import services as setup

    url = f"/rounds/{counted_round.id}/minutes.pdf"
    old, _ = _ask(client, url)
    run_document_jobs()
    old_file = jobs.result_path(db.session.get(Job, old))
    setup.add_committee_member(counted_round.congress, "Phạm Văn Mới", "Ủy viên")
    new, _ = _ask(client, url)
    run_document_jobs()
    assert not old_file.exists() and jobs.result_path(db.session.get(Job, new)).exists()
    state = client.get(f"/documents/{old}/status.json").get_json()
    assert state["failed"] and "bản mới hơn" in state["error"]
    summary, _ = _ask(client, f"/congresses/{counted_round.congress.id}/summary.pdf")
    run_document_jobs()
    assert db.session.get(Job, new).status == "done"  # another document of the round: kept
