"""Adjudication: the review queue, rulings over the reading, ballots from rulings, access."""

from __future__ import annotations

from sqlalchemy import select

from kiemphieu import tally
from kiemphieu.extensions import db
from kiemphieu.models import Adjudication, AuditEntry, Ballot, Role, ScanImage
from kiemphieu.worker import run_once

from .conftest import png_bytes, reading
from .test_worker import store

DOUBT_C02 = {"c01": "struck", "c02": "uncertain", "c03": "kept"}


def review_scan(round_, fake_reader, seed, marks=DOUBT_C02, scores=None, flags=()):
    data = png_bytes(seed)
    fake_reader.set(data, reading("review", marks, scores=scores, flags=flags))
    [scan] = store(round_, data, f"{seed:04d}.png")
    run_once()
    db.session.refresh(scan)
    assert scan.status == "review"
    return scan


def scan_ballots(round_):
    return db.session.scalars(
        select(Ballot).where(Ballot.round_id == round_.id, Ballot.entry_pass == "scan").order_by(Ballot.id)
    ).all()


def test_the_queue_starts_with_the_least_confident_ballot(app, client, scan_round, counter, fake_reader):
    # Scores inside the default profile's uncertain band: its middle is where the machine knows least.
    from kiemphieu.scanning.services import review_thresholds

    marginal, definite = review_thresholds("")["strike"]
    width = definite - marginal

    def scores(doubtful):
        return {"c01": 0.99, "c02": doubtful, "c03": 0.0}

    near_definite = review_scan(scan_round, fake_reader, 1, scores=scores(definite - 0.05 * width))
    middle = review_scan(scan_round, fake_reader, 2, scores=scores(marginal + 0.5 * width))
    near_marginal = review_scan(scan_round, fake_reader, 3, scores=scores(marginal + 0.15 * width))
    response = client.get(f"/rounds/{scan_round.id}/scans/review")
    assert response.headers["Location"].endswith(f"/scans/{middle.id}")
    page = client.get(f"/scans/{middle.id}").get_data(as_text=True)
    assert "Phiếu 1/3 chờ phân xử" in page
    assert 'class="doubtful"' in page and 'name="row-c02"' in page
    assert 'id="page-image"' in page and "adjudicate.js" in page
    from kiemphieu.scanning.services import review_queue

    assert [s.id for s in review_queue(scan_round)] == [middle.id, near_marginal.id, near_definite.id]


def test_the_finer_looks_finding_is_shown_beside_a_doubtful_row_as_a_hint(app, client, scan_round, counter,
                                                                          fake_reader):
    data = png_bytes(7)
    found = reading("review", {"c01": "struck", "c02": "uncertain", "c03": "uncertain"})
    # The reader's second look at 150 dpi struck c02 but left c03 doubtful: the page stays in review.
    found["checks"] = {"finer_look": {"dpi": 150.0, "status": "review", "found": {"c02": "struck", "c03": "uncertain"},
                                      "uncertain": ["c03"]}}
    fake_reader.set(data, found)
    [scan] = store(scan_round, data, "0007.png")
    run_once()
    page = client.get(f"/scans/{scan.id}").get_data(as_text=True)
    rows = {code: page.split(f'data-code="{code}"')[1].split("</tr>")[0] for code in ("c01", "c02", "c03")}
    assert "đọc kỹ (150 dpi): gạch" in rows["c02"]
    assert "đọc kỹ (150 dpi): CHƯA RÕ" in rows["c03"]
    assert "đọc kỹ" not in rows["c01"]  # a row the machine decided: nothing to hint
    # A hint, not a ruling: the doubtful row's radio buttons stay unchosen.
    assert 'value="struck" checked' not in rows["c02"]
    plain = review_scan(scan_round, fake_reader, 8)  # no second look on record: no hint
    assert "đọc kỹ" not in client.get(f"/scans/{plain.id}").get_data(as_text=True)


def test_ruling_a_doubtful_row_creates_the_ballot_and_keeps_the_reading(app, client, scan_round, counter,
                                                                       fake_reader):
    scan = review_scan(scan_round, fake_reader, 4)
    before = dict(scan.reading)
    response = client.post(f"/scans/{scan.id}", data={"row-c01": "struck", "row-c02": "struck", "row-c03": "kept"})
    assert response.status_code == 302
    db.session.refresh(scan)
    assert scan.status == "adjudicated"
    assert scan.reading == before  # the machine's reading is never rewritten
    [ruling] = db.session.scalars(select(Adjudication)).all()  # only the doubtful row changed anything
    assert (ruling.candidate_code, ruling.ruling, ruling.user_id) == ("c02", "struck", counter.id)
    [ballot] = scan_ballots(scan_round)
    assert ballot.marks == {"struck": ["c01", "c02"]} and ballot.scan_id == scan.id
    assert ballot.entered_by_id == counter.id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "scan.adjudicate")).one()
    assert entry.detail["rows"] == {"c02": "struck"} and entry.detail["done"] is True
    assert entry.user_id == counter.id


def test_a_partial_ruling_is_stored_and_the_ballot_waits(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 5, marks={"c01": "uncertain", "c02": "uncertain", "c03": "kept"})
    response = client.post(f"/scans/{scan.id}", data={"row-c01": "kept"})
    assert response.headers["Location"].endswith(f"/scans/{scan.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # The row as the ballot shows it (its number and name), not the internal code.
    name = scan_round.to_election().display_name("c02")
    assert f"Còn phải phân xử: dòng 2 ({name})" in page and "dòng c02" not in page
    db.session.refresh(scan)
    assert scan.status == "review" and scan_ballots(scan_round) == []
    client.post(f"/scans/{scan.id}", data={"row-c02": "struck"})
    db.session.refresh(scan)
    assert scan.status == "adjudicated"
    assert scan_ballots(scan_round)[0].marks == {"struck": ["c02"]}


def test_flags_need_a_ruling_on_the_whole_ballot(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 6, marks={"c01": "struck", "c02": "kept", "c03": "kept"},
                       flags=["no_stamp"])
    client.post(f"/scans/{scan.id}", data={"row-c01": "struck"})
    db.session.refresh(scan)
    assert scan.status == "review"
    client.post(f"/scans/{scan.id}", data={"ballot": "invalid", "invalid_reason": "no_stamp"})
    db.session.refresh(scan)
    assert scan.status == "adjudicated"
    assert scan_ballots(scan_round)[0].marks == {"invalid": "no_stamp"}


def test_a_flagged_ballot_ruled_valid_counts_as_read(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 7, marks={"c01": "kept", "c02": "struck", "c03": "kept"},
                       flags=["extra_writing"])
    client.post(f"/scans/{scan.id}", data={"ballot": "valid"})
    assert scan_ballots(scan_round)[0].marks == {"struck": ["c02"]}


def test_not_a_ballot_creates_no_ballot(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 8)
    client.post(f"/scans/{scan.id}", data={"ballot": "not_ballot"})
    db.session.refresh(scan)
    assert scan.status == "adjudicated" and scan_ballots(scan_round) == []


def test_a_bad_ruling_is_refused(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 9)
    response = client.post(f"/scans/{scan.id}", data={"row-c02": "agree"})  # a boxes-form value
    assert "không hợp lệ" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalars(select(Adjudication)).all() == []


def test_reopening_supersedes_the_ballot_and_rules_again(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 10)
    client.post(f"/scans/{scan.id}", data={"row-c02": "struck"})
    client.post(f"/scans/{scan.id}/reopen", data={"reopen-reason": "nhầm dòng"})
    db.session.refresh(scan)
    assert scan.status == "review"
    [old] = scan_ballots(scan_round)
    assert old.superseded
    client.post(f"/scans/{scan.id}", data={"row-c02": "kept"})
    live = [b for b in scan_ballots(scan_round) if not b.superseded]
    assert [b.marks for b in live] == [{"struck": ["c01"]}]
    assert [a.ruling for a in db.session.scalars(select(Adjudication).order_by(Adjudication.id))] == [
        "struck", "reset", "kept"]


def test_a_counter_of_another_congress_cannot_see_or_rule(app, client, scan_round, auth, make_congress,
                                                          fake_reader):
    scan = review_scan(scan_round, fake_reader, 11)
    other = make_congress(name="Đại hội khác")
    auth.as_role(Role.COUNTER, congresses={other: Role.COUNTER})
    assert client.get(f"/scans/{scan.id}").status_code == 403
    assert client.get(f"/scans/{scan.id}/preview.jpg").status_code == 403
    assert client.post(f"/scans/{scan.id}", data={"row-c02": "struck"}).status_code == 403
    assert client.get(f"/rounds/{scan_round.id}/scans/review").status_code == 403
    assert db.session.scalars(select(Adjudication)).all() == []


def test_the_preview_is_served_to_the_round_counter(app, client, scan_round, counter, fake_reader):
    scan = review_scan(scan_round, fake_reader, 12)
    response = client.get(f"/scans/{scan.id}/preview.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_the_rejected_list_shows_the_reason_and_can_requeue(app, client, scan_round, counter, fake_reader):
    data = png_bytes(13)
    fake_reader.set(data, reading("rejected", reason="no_markers"))
    [scan] = store(scan_round, data, "lost.png")
    run_once()
    page = client.get(f"/rounds/{scan_round.id}/scans/rejected").get_data(as_text=True)
    assert "lost.png" in page and "Không tìm thấy dấu định vị" in page
    client.post(f"/scans/{scan.id}/requeue", data={"requeue-profile": ""})
    db.session.refresh(scan)
    assert scan.status == "pending"


def test_scanned_and_hand_entered_ballots_tally_together(app, client, scan_round, counter, fake_reader):
    db.session.add(Ballot(round_id=scan_round.id, entry_pass="A", sequence=1, marks={"struck": ["c03"]},
                          idempotency_key="hand-1"))
    db.session.commit()
    scan = review_scan(scan_round, fake_reader, 14)
    client.post(f"/scans/{scan.id}", data={"row-c02": "kept"})
    result = tally.tally(scan_round.to_election(), scan_round.engine_ballots())
    assert result.counted == 2
    assert {c.id: c.votes for c in result.candidates} == {"c01": 1, "c02": 2, "c03": 1}


def test_scan_ballots_count_in_double_entry_mode_too(app, make_election, fake_reader):
    from kiemphieu.congress import services as setup

    election = make_election(seats=2, present=50, issued=50, entry_mode="double")
    round_ = election.rounds[0]
    setup.start_entry(round_)
    for entry_pass in ("A", "B"):
        db.session.add(Ballot(round_id=round_.id, entry_pass=entry_pass, sequence=1, marks={"struck": ["c01"]},
                              idempotency_key=f"double-{entry_pass}"))
    db.session.commit()
    data = png_bytes(15)
    fake_reader.set(data, reading("read", {"c01": "kept", "c02": "kept", "c03": "struck"}))
    store(round_, data)
    run_once()
    counted = round_.counted_ballots()
    assert sorted(b.entry_pass for b in counted) == ["A", "scan"]
    assert db.session.scalar(select(ScanImage.status)) == "read"


def test_every_flag_the_reader_raises_has_a_vietnamese_label():
    from kiemphieu.ocr import Flag
    from kiemphieu.scanning.services import FLAG_LABELS

    raised = {flag.value for flag in Flag}  # every flag the reader can raise (a typed enum)
    assert raised and raised <= FLAG_LABELS.keys(), raised - FLAG_LABELS.keys()
