"""The worker: pending scans become readings, read ballots become Ballots (stubbed reader)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, ScanImage, utcnow
from kiemphieu.scanning import services
from kiemphieu.scanning.intake import check_scan, Limits
from kiemphieu.worker import run_once

from .conftest import pdf_bytes, png_bytes, reading


def store(round_, data, name="a.png", **kwargs):
    return services.store_scan(round_, check_scan(data, name, Limits()), user=None, **kwargs).scans


def ballots(round_):
    return db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.id)).all()


def test_a_read_scan_becomes_a_scan_ballot(app, scan_round, fake_reader):
    data = png_bytes(1)
    fake_reader.set(data, reading("read", {"c01": "kept", "c02": "struck", "c03": "kept"}))
    [scan] = store(scan_round, data)
    assert run_once() == 1
    db.session.refresh(scan)
    assert scan.status == "read" and scan.reading["marks"]["c02"] == "struck"
    [ballot] = ballots(scan_round)
    assert (ballot.entry_pass, ballot.sequence, ballot.scan_id) == ("scan", 1, scan.id)
    assert ballot.marks == {"struck": ["c02"]}
    assert scan.preview_name is None  # nobody needs to look at a read ballot
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-1] == "scan.read"


def test_review_and_rejected_scans_make_no_ballot_but_get_a_preview(app, scan_round, fake_reader):
    doubtful, refused = png_bytes(2), png_bytes(3)
    fake_reader.set(doubtful, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
    fake_reader.set(refused, reading("rejected", reason="wrong_election"))
    first = store(scan_round, doubtful)[0]
    second = store(scan_round, refused)[0]
    assert run_once() == 2
    db.session.refresh(first), db.session.refresh(second)
    assert (first.status, second.status) == ("review", "rejected")
    assert second.reading["reason"] == "wrong_election"
    assert ballots(scan_round) == []
    assert services.preview_path(first.preview_name).read_bytes().startswith(b"\xff\xd8")


def test_a_reader_crash_rejects_that_image_and_the_queue_goes_on(app, scan_round, fake_reader):
    bad, good = png_bytes(4), png_bytes(5)
    fake_reader.set(bad, RuntimeError("opencv exploded"))
    bad_scan = store(scan_round, bad)[0]
    good_scan = store(scan_round, good)[0]
    assert run_once() == 2
    db.session.refresh(bad_scan), db.session.refresh(good_scan)
    assert bad_scan.status == "rejected"
    assert bad_scan.reading["reason"] == "worker_error" and "opencv exploded" in bad_scan.reading["detail"]
    assert good_scan.status == "read"
    assert len(ballots(scan_round)) == 1


def test_a_multi_page_file_is_read_once_and_each_page_stored(app, scan_round, fake_reader):
    data = pdf_bytes(3)
    fake_reader.set(data, reading("read"), reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}),
                    reading("rejected", reason="blank_page"))
    pages = store(scan_round, data, "stack.pdf")
    assert run_once() == 3
    assert len(fake_reader.calls) == 1
    for scan in pages:
        db.session.refresh(scan)
    assert [s.status for s in pages] == ["read", "review", "rejected"]
    assert [b.scan_id for b in ballots(scan_round)] == [pages[0].id]


def test_a_read_that_does_not_fit_the_round_goes_to_review(app, scan_round, fake_reader):
    data = png_bytes(6)
    fake_reader.set(data, reading("read", {"c01": "struck", "c02": "kept", "c99": "kept"}))
    [scan] = store(scan_round, data)
    run_once()
    db.session.refresh(scan)
    assert scan.status == "review" and "reading_mismatch" in scan.reading["flags"]
    assert ballots(scan_round) == []


def test_station_and_server_disagreeing_goes_to_review(app, scan_round, fake_reader):
    data = png_bytes(7)
    fake_reader.set(data, reading("read", {"c01": "struck", "c02": "kept", "c03": "kept"}))
    station = reading("read", {"c01": "kept", "c02": "struck", "c03": "kept"})
    [scan] = store(scan_round, data, station_readings=[station])
    run_once()
    db.session.refresh(scan)
    assert scan.status == "review" and scan.reading["flags"] == ["station_mismatch"]
    assert scan.station_reading == station
    assert ballots(scan_round) == []


def test_claims_are_exclusive_and_stale_ones_are_taken_again_then_rejected(app, scan_round, fake_reader):
    [scan] = store(scan_round, png_bytes(8))
    assert [s.id for s in services.claim_next()] == [scan.id]
    assert services.claim_next() == []  # already taken by the first worker
    for attempt in (2, 3):
        db.session.refresh(scan)
        scan.claimed_at = utcnow() - timedelta(minutes=30)  # that worker died
        db.session.commit()
        claimed = services.claim_next()
        db.session.refresh(scan)
        assert scan.attempts == attempt
    assert claimed == [] and scan.status == "rejected" and scan.reading["reason"] == "worker_crashed"


def test_the_worker_cli_processes_the_queue_and_exits(tmp_path, monkeypatch, fake_reader):
    """`kiemphieu worker --once` against a database file, as scripts/start runs it."""
    from kiemphieu import create_app
    from kiemphieu.cli import main
    from kiemphieu.congress import services as setup
    from kiemphieu.tally import Kind

    instance = tmp_path / "worker-instance"
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        db.create_all()
        organisation = setup.create_organisation("Đảng bộ xã Yên Lập")
        congress = setup.create_congress(organisation, name="Đại hội", convened=100)
        election = setup.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 2)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
        setup.set_round_numbers(election.rounds[0], 90, 90)
        setup.start_entry(election.rounds[0])
        store(election.rounds[0], png_bytes(9))
        db.session.remove()
    assert main(["worker", "--once"]) == 0
    with app.app_context():
        assert db.session.scalar(select(ScanImage.status)) == "read"
        assert db.session.scalar(select(Ballot.marks)) == {"struck": ["c01"]}
        db.session.remove()


def test_a_scanned_ballot_counts_with_hand_entered_ones(app, scan_round, fake_reader):
    for sequence, marks in enumerate([{"struck": ["c01"]}, {"struck": ["c03"]}], 1):
        db.session.add(Ballot(round_id=scan_round.id, entry_pass="A", sequence=sequence, marks=marks,
                              idempotency_key=f"hand-{sequence}"))
    db.session.commit()
    data = png_bytes(10)
    fake_reader.set(data, reading("read", {"c01": "struck", "c02": "kept", "c03": "kept"}))
    store(scan_round, data)
    run_once()
    result = tally.tally(scan_round.to_election(), scan_round.engine_ballots())
    assert result.counted == 3
    assert {c.id: c.votes for c in result.candidates} == {"c01": 1, "c02": 3, "c03": 2}


def test_the_round_election_is_built_once_per_batch_not_per_ballot(app, scan_round, fake_reader, monkeypatch):
    from kiemphieu.models import Round

    for seed in range(20, 30):
        store(scan_round, png_bytes(seed))
    built = []
    original = Round.to_election
    monkeypatch.setattr(Round, "to_election", lambda self: built.append(self.id) or original(self))
    assert run_once() == 10
    assert len(ballots(scan_round)) == 10
    assert len(built) == 1  # once per claimed batch of files (was 3.4 times per ballot)


def test_a_batch_is_one_transaction_and_each_file_is_committed_before_it_counts(app, scan_round, fake_reader,
                                                                               monkeypatch):
    commits = []
    for seed in range(30, 36):
        store(scan_round, png_bytes(seed))
    original = services.record_file_readings.__wrapped__

    def spy(files, elections=None):
        stored = original(files, elections)
        commits.append(len(stored))
        return stored

    monkeypatch.setattr(services, "record_file_readings", services.write_operation(spy))
    assert run_once() == 6
    assert sum(commits) == 6 and len(commits) < 6


def test_a_stop_stores_what_was_read_and_hands_the_rest_back(app, scan_round, fake_reader, monkeypatch):
    import kiemphieu.worker as worker

    data = pdf_bytes(3)
    fake_reader.set(data, reading("read"), reading("read"), reading("read"))
    scans = store(scan_round, data, name="three.pdf")
    pipeline = worker.Pipeline()
    original = worker.read_pages

    def read_then_stop(*args):
        for result in original(*args):
            pipeline.stop.set()  # SIGTERM while the first page is being read
            yield result

    monkeypatch.setattr(worker, "read_pages", read_then_stop)
    try:
        assert pipeline.run() == 1
    finally:
        pipeline.close()
    for scan in scans:
        db.session.refresh(scan)
    assert [s.status for s in scans] == ["read", "pending", "pending"]
    assert [s.attempts for s in scans[1:]] == [0, 0] and scans[1].claimed_at is None
    assert run_once() == 2 and len(ballots(scan_round)) == 3


def test_the_only_worker_takes_back_a_dead_workers_claim_at_once(app, scan_round, fake_reader):
    [scan] = store(scan_round, png_bytes(40))
    assert services.claim_next()  # a worker that then died (kill -9)
    assert services.claim_next() == []  # not stale yet: another worker would wait 10 minutes
    assert services.take_over_claims() == 1
    assert [s.id for s in services.claim_next()] == [scan.id]
    db.session.refresh(scan)
    assert scan.attempts == 2  # the crash counts: an image that kills the worker twice is rejected


def test_previews_come_from_the_readings_warped_page(app):
    import numpy as np

    from kiemphieu.worker import preview_jpeg

    warped = np.full((1169, 827), 255, np.uint8)
    jpeg, aligned = preview_jpeg(warped, np.zeros((3000, 2000, 3), np.uint8))
    assert aligned and jpeg.startswith(b"\xff\xd8")
    import cv2

    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE).shape == (1169, 827)
    jpeg, aligned = preview_jpeg(None, np.zeros((3200, 2000, 3), np.uint8))  # markers not found
    assert not aligned and max(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape) == 1600


def test_several_files_are_claimed_in_one_transaction_oldest_first(app, scan_round, fake_reader):
    first = store(scan_round, pdf_bytes(2), name="two.pdf")
    second = store(scan_round, png_bytes(50))
    third = store(scan_round, png_bytes(51))
    claimed = services.claim_next(files=2)
    assert [s.id for s in claimed] == [s.id for s in first + second]  # by file, then page
    assert [s.id for s in services.claim_next(files=5)] == [third[0].id]
    assert services.claim_next(files=5) == []


@pytest.mark.parametrize("stuck_after, beats_while_reading", [(30.0, True), (0.5, False)])
def test_the_heartbeat_stops_while_a_reader_is_stuck_on_a_page(app, scan_round, fake_reader, monkeypatch,
                                                               stuck_after, beats_while_reading):
    import time

    import kiemphieu.worker as worker

    store(scan_round, png_bytes(60))
    original = worker.read_pages
    finished = []

    def slow(*args):
        time.sleep(2.5)  # one page that takes far too long
        finished.append(time.monotonic())
        yield from original(*args)

    monkeypatch.setattr(worker, "read_pages", slow)
    monkeypatch.setattr(worker, "STUCK_AFTER", stuck_after)
    beats = []
    pipeline = worker.Pipeline(beat=lambda state, pages=0: beats.append(time.monotonic()))
    try:
        assert pipeline.run() == 1
    finally:
        pipeline.close()
    assert any(at < finished[0] for at in beats) is beats_while_reading


def test_reader_processes_read_and_the_storing_loop_stores(app, scan_round, fake_reader):
    """The long-running worker's readers are processes (forked: the stubbed reader too)."""
    import kiemphieu.worker as worker

    datas = [png_bytes(70 + i) for i in range(6)]
    for i, data in enumerate(datas):
        fake_reader.set(data, reading("read" if i % 2 else "review"))
        store(scan_round, data, name=f"{i}.png")
    pipeline = worker.Pipeline(readers=2, processes=True)
    try:
        assert pipeline.run() == 6
        assert all(process.is_alive() for process in pipeline.processes)
    finally:
        pipeline.close()
    assert not any(process.is_alive() for process in pipeline.processes)
    statuses = sorted(db.session.scalars(select(ScanImage.status)).all())
    assert statuses == ["read"] * 3 + ["review"] * 3
    assert len(ballots(scan_round)) == 3
    assert pipeline.stats["read_s"] > 0  # timed in the reader processes, added up by the storing loop


@pytest.mark.parametrize("setting, steps", [(None, 10), ("3", 3), ("0", 0)])
def test_reader_processes_run_at_a_lower_cpu_priority_than_the_worker(app, scan_round, fake_reader, monkeypatch,
                                                                      setting, steps):
    """A save or a page served on the same machine goes before the reading (KIEMPHIEU_READER_NICE)."""
    import os

    import kiemphieu.worker as worker

    if setting is None:
        monkeypatch.delenv("KIEMPHIEU_READER_NICE", raising=False)
    else:
        monkeypatch.setenv("KIEMPHIEU_READER_NICE", setting)
    data = png_bytes(75)
    fake_reader.set(data, reading("read"))
    store(scan_round, data)
    pipeline = worker.Pipeline(readers=1, processes=True)
    try:
        assert pipeline.run() == 1
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert [os.getpriority(os.PRIO_PROCESS, p.pid) for p in pipeline.processes] == [min(19, own + steps)]
    finally:
        pipeline.close()


def test_a_reader_process_that_dies_stops_the_worker_and_its_claim_is_retaken(app, scan_round, fake_reader,
                                                                              monkeypatch):
    import os

    import kiemphieu.worker as worker

    [scan] = store(scan_round, png_bytes(80))

    def crash(*args):
        os._exit(9)  # a segfault in the decoder, say
        yield

    monkeypatch.setattr(worker, "read_pages", crash)
    pipeline = worker.Pipeline(readers=1, processes=True)
    try:
        with pytest.raises(worker.ReaderLost):
            pipeline.run()
    finally:
        pipeline.kill_readers()
        pipeline.close()
    db.session.refresh(scan)
    assert scan.status == "processing" and scan.attempts == 1  # still claimed: nothing was stored
    assert services.take_over_claims() == 1  # the restarted worker takes it back (a second attempt)


def test_reader_processes_start_after_opencv_used_its_thread_pool_in_the_worker(app, scan_round, fake_reader):
    """OpenCV's thread pool, once used in the worker, is not forked into the readers (a forked
    pool hung a reader process setting its thread count, in one fork out of two)."""
    import threading

    import cv2
    import numpy as np

    import kiemphieu.worker as worker

    before = cv2.getNumThreads()
    cv2.setNumThreads(4)
    image = np.random.default_rng(1).integers(0, 255, (2000, 2000), dtype=np.uint8)
    try:
        for round_number in range(3):  # a race: several forks
            for _ in range(3):
                cv2.GaussianBlur(image, (0, 0), 3)
                cv2.resize(image, None, fx=0.5, fy=0.5)
            for i in range(2):
                data = png_bytes(90 + 2 * round_number + i)
                fake_reader.set(data, reading("read"))
                store(scan_round, data, name=f"{round_number}-{i}.png")
            pipeline = worker.Pipeline(readers=2, processes=True)
            watchdog = threading.Timer(30.0, pipeline.kill_readers)  # a hang fails, it does not block
            watchdog.start()
            try:
                assert pipeline.run() == 2
            finally:
                watchdog.cancel()
                pipeline.close()
            cv2.setNumThreads(4)
    finally:
        cv2.setNumThreads(before)


def test_reader_processes_are_forked_once_the_claimed_round_is_prepared(app, scan_round, make_scan_round,
                                                                       fake_reader, monkeypatch):
    """The storing loop prepares the reader for a claimed round (its template) and only then
    forks the reader processes, so they start warm; idle readers are forked again, warm, for a
    round they have not seen."""
    import os

    import kiemphieu.worker as worker

    prepared: list[int] = []  # a reader process sees what was prepared before it was forked
    monkeypatch.setattr(worker, "warm_reader", lambda election, profile_name: prepared.append(os.getpid()))
    original = worker.read_pages

    def read_pages(path, election, profile_name, file_name, wanted):
        for result in original(path, election, profile_name, file_name, wanted):
            result.reading = {**result.reading, "prepared_before_fork": len(prepared)}
            yield result

    monkeypatch.setattr(worker, "read_pages", read_pages)
    [first] = store(scan_round, png_bytes(120))
    pipeline = worker.Pipeline(readers=2, processes=True)
    try:
        assert pipeline.processes == []  # nothing forked before there is work
        assert pipeline.run() == 1
        readers = list(pipeline.processes)
        other = make_scan_round()
        [second] = store(other, png_bytes(121))
        assert pipeline.run() == 1
        assert pipeline.processes != readers and not any(p.is_alive() for p in readers)
    finally:
        pipeline.close()
    db.session.refresh(first), db.session.refresh(second)
    assert prepared == [os.getpid(), os.getpid()]  # in the storing loop, once per round
    assert first.reading["prepared_before_fork"] == 1 and second.reading["prepared_before_fork"] == 2


def test_the_idle_worker_prepares_the_reader_for_rounds_in_entry(app, scan_round, make_election, monkeypatch):
    import kiemphieu.worker as worker

    prepared = []
    monkeypatch.setattr(worker, "warm_reader", lambda election, profile_name: prepared.append(election.title))
    make_election(seats=2)  # still in set-up: not prepared
    pipeline = worker.Pipeline()
    try:
        pipeline.prepare()
        pipeline.prepare()  # once per round
    finally:
        pipeline.close()
    assert prepared == [scan_round.election.title]
    assert pipeline.warm == {(scan_round.id, "")}


def test_scans_waiting_is_a_read_that_sees_pending_and_stale_claims(app, scan_round):
    assert not services.scans_waiting()
    [scan] = store(scan_round, png_bytes(122))
    assert services.scans_waiting()
    assert services.claim_next()
    assert not services.scans_waiting()  # claimed by a live worker
    scan = db.session.get(ScanImage, scan.id)
    scan.claimed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert services.scans_waiting()  # its worker died: to be taken again


def test_files_read_together_are_stored_in_one_transaction(app, scan_round, fake_reader):
    import kiemphieu.worker as worker

    for i in range(6):
        data = png_bytes(130 + i)
        fake_reader.set(data, reading("read"))
        store(scan_round, data, name=f"{i}.png")
    pipeline = worker.Pipeline(readers=2)
    try:
        assert pipeline.run() == 6
    finally:
        pipeline.close()
    assert pipeline.stats["batches"] <= 2  # not one commit per file
    assert len(ballots(scan_round)) == 6


def test_a_batch_with_a_file_that_cannot_be_stored_keeps_the_others_and_the_chain_holds(app, scan_round):
    """A batch is written at once; when one file cannot be stored (here its ballot's key is
    already taken) it is rejected worker_error and the others are stored, each with its
    scan.read entry (a read one with its ballot's digest), the chain intact."""
    from kiemphieu import audit

    scans = [store(scan_round, png_bytes(140 + i), name=f"{i}.png")[0] for i in range(4)]
    services.create_scan_ballot(scans[1], {"struck": []}, None, sequence=999, earlier=0)  # takes its key
    db.session.commit()
    assert len(services.claim_next(files=4)) == 4
    batch = [[(scans[0].id, reading("read"), None)], [(scans[1].id, reading("read"), None)],
             [(scans[2].id, reading("read"), None)],
             [(scans[3].id, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}), "p.jpg")]]
    assert sorted(services.record_file_readings(batch)) == sorted(scan.id for scan in scans)
    found = [db.session.get(ScanImage, scan.id) for scan in scans]
    assert [scan.status for scan in found] == ["read", "rejected", "read", "review"]
    assert found[1].reading["reason"] == "worker_error" and "IntegrityError" in found[1].reading["detail"]
    assert [b.sequence for b in ballots(scan_round)] == [999, 1000, 1001]  # numbered after the last
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "scan.read")
                                 .order_by(AuditEntry.seq)).all()
    assert [e.detail["scan_id"] for e in entries] == [scan.id for scan in scans]
    assert ["ballot_digest" in e.detail for e in entries] == [True, False, True, False]
    assert audit.verify_chain().ok


def test_a_round_election_is_built_once_while_the_queue_keeps_the_worker_busy(app, scan_round, fake_reader,
                                                                             monkeypatch):
    import kiemphieu.worker as worker
    from kiemphieu.models import Round

    built = []
    original = Round.to_election
    monkeypatch.setattr(Round, "to_election", lambda self: built.append(self.id) or original(self))
    monkeypatch.setattr(worker, "MAX_FILES_IN_FLIGHT", 2)  # several claims
    monkeypatch.setattr(worker, "CLAIM_BELOW", 1)
    for i in range(5):
        store(scan_round, png_bytes(150 + i), name=f"{i}.png")
    pipeline = worker.Pipeline()
    try:
        assert pipeline.run() == 5
        assert built == [scan_round.id] and pipeline.elections == {}  # forgotten once the queue is empty
        store(scan_round, png_bytes(160))
        assert pipeline.run() == 1
    finally:
        pipeline.close()
    assert built == [scan_round.id, scan_round.id]  # the next upload: built again


def test_previews_are_made_durable_together_before_their_readings_commit(app, scan_round, fake_reader, monkeypatch):
    """Readers write previews without a sync each; the storing loop syncs the batch's previews
    once, before the transaction that names them commits."""
    import os

    import kiemphieu.worker as worker
    from kiemphieu.scanning import storage

    synced = []

    def sync_folder(folder, paths):
        statuses = set(db.session.scalars(select(ScanImage.status)).all())  # not committed yet
        synced.append((sorted(p.name for p in paths), statuses))

    monkeypatch.setattr(storage, "sync_folder", sync_folder)
    fsyncs = []
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd))
    for i in range(3):
        data = png_bytes(170 + i)
        fake_reader.set(data, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
        store(scan_round, data, name=f"{i}.png")
    fsyncs.clear()
    pipeline = worker.Pipeline()
    try:
        assert pipeline.run() == 3
    finally:
        pipeline.close()
    names = sorted(scan.preview_name for scan in db.session.scalars(select(ScanImage)))
    assert sorted(name for paths, _ in synced for name in paths) == names
    assert all("processing" in statuses for _, statuses in synced)  # synced before the commit
    assert fsyncs == []  # no sync per preview
