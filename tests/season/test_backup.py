"""`kiemphieu backup OUT` and `kiemphieu restore IN [--force]` (season.md section 5)."""

from __future__ import annotations

import json
import threading
import time
import uuid
import zipfile

from sqlalchemy import func, select

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Ballot, Election, EntryPass, ResultVersion, Round

from season_support import empty_database, app_context, count_round, csv_bytes, season_rows


def season_with_a_finalised_round(cli, tmp_path, instance) -> int:
    season = tmp_path / "mua.csv"
    season.write_bytes(csv_bytes(season_rows()))
    assert cli("import", season)[0] == 0
    with app_context():
        election = db.session.scalars(select(Election).order_by(Election.id)).first()
        round_ = election.rounds[0]
        c = [x.code for x in round_.candidates]
        count_round(round_, [{"struck": [c[2], c[3]]}] * 8 + [{"struck": [c[0], c[1]]}])
        round_id = round_.id
    scans = instance / "uploads" / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    (scans / "a1b2c3.jpg").write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    return round_id


def snapshot_of_database() -> dict:
    return {
        "ballots": sorted((b.id, b.sequence, json.dumps(b.marks, sort_keys=True)) for b in db.session.scalars(select(Ballot))),
        "audit": [(e.id, e.hash) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))],
        "versions": [(v.round_id, v.digest) for v in db.session.scalars(select(ResultVersion))],
    }


def test_backup_then_restore_into_an_empty_instance_gives_back_everything(cli, tmp_path, instance, monkeypatch):
    round_id = season_with_a_finalised_round(cli, tmp_path, instance)
    with app_context():
        before = snapshot_of_database()
    backup = tmp_path / "saoluu.zip"
    code, out, err = cli("backup", backup)
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["tables"]["ballot"] == 9 and summary["files"] == 1
    with zipfile.ZipFile(backup) as archive:
        assert "files/scans/a1b2c3.jpg" in archive.namelist()

    fresh = tmp_path / "may-moi"
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(fresh))
    empty_database()  # PostgreSQL: the new server's database (SQLite: the new folder's file)
    code, out, err = cli("restore", backup)
    assert code == 0, err
    assert "khớp mã xác thực" in out
    assert (fresh / "uploads" / "scans" / "a1b2c3.jpg").read_bytes() == b"\xff\xd8 not really a jpeg \xff\xd9"
    with app_context():
        assert snapshot_of_database() == before
        round_ = db.session.get(Round, round_id)
        assert round_.is_finalised and round_.digest == before["versions"][0][1]
        # ids keep counting after the restored rows
        from kiemphieu.congress import services

        organisation = services.create_organisation("Chi bộ mới")
        assert organisation.id > 3
    assert cli("audit-check")[0] == 0
    out_json = tmp_path / "ketqua.json"
    assert cli("export", "results", "--format", "json", "--out", out_json)[0] == 0
    assert json.loads(out_json.read_text(encoding="utf-8"))[0]["digest"] == before["versions"][0][1]


def test_restore_refuses_a_database_with_data_unless_forced(cli, tmp_path, instance):
    season_with_a_finalised_round(cli, tmp_path, instance)
    backup = tmp_path / "saoluu.zip"
    assert cli("backup", backup)[0] == 0
    extra = tmp_path / "them.csv"
    extra.write_bytes(csv_bytes(season_rows(congress="Một đại hội khác")))
    assert cli("import", extra)[0] == 0
    code, _, err = cli("restore", backup)
    assert code == 2 and "--force" in err
    with app_context():
        assert db.session.scalar(select(func.count()).select_from(Election)) == 4  # untouched
    code, _, err = cli("restore", backup, "--force")
    assert code == 0, err
    with app_context():
        assert db.session.scalar(select(func.count()).select_from(Election)) == 2
    assert cli("audit-check")[0] == 0


def test_restore_refuses_a_file_that_is_not_a_backup(cli, tmp_path):
    bogus = tmp_path / "khong-phai.zip"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    code, _, err = cli("restore", bogus)
    assert code == 2 and "manifest.json" in err
    (tmp_path / "rac.bin").write_bytes(b"rubbish")
    assert cli("restore", tmp_path / "rac.bin")[0] == 2


def test_a_backup_taken_while_counters_save_holds_every_ballot_acknowledged_before_it(cli, tmp_path, instance):
    season = tmp_path / "mua.csv"
    season.write_bytes(csv_bytes(season_rows()))
    assert cli("import", season)[0] == 0
    with app_context():
        from kiemphieu.congress import services as setup

        round_ = db.session.scalars(select(Round).order_by(Round.id)).first()
        setup.set_round_numbers(round_, 12, 12)
        setup.start_entry(round_)
        round_id = round_.id
        # One save per pass first, in this thread: CPython 3.11 can fail compiling the same lazy
        # code in two threads at once (SystemError from the AST constructor), which is not ours.
        from kiemphieu.entry import services as entry

        c = [x.code for x in round_.candidates]
        for entry_pass in (EntryPass.A, EntryPass.B):
            entry.save_ballot(round_, entry_pass, {"struck": [c[0], c[1]]}, uuid.uuid4().hex)

    acknowledged: list[tuple[float, int]] = []  # (time the save returned, ballot id)
    stop = threading.Event()
    failures: list[BaseException] = []

    def counter(entry_pass: EntryPass) -> None:
        from kiemphieu.entry import services as entry

        try:
            with app_context():
                round_ = db.session.get(Round, round_id)
                c = [x.code for x in round_.candidates]
                while not stop.is_set():
                    outcome = entry.save_ballot(round_, entry_pass, {"struck": [c[0], c[1]]}, uuid.uuid4().hex)
                    acknowledged.append((time.monotonic(), outcome.ballot.id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=counter, args=(p,)) for p in (EntryPass.A, EntryPass.B)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 40 and not failures:
        time.sleep(0.01)
    began = time.monotonic()
    backup = tmp_path / "saoluu.zip"
    code, _, err = cli("backup", backup)
    ended = time.monotonic()
    while len([t for t, _ in acknowledged if t > ended]) < 10 and not failures:
        time.sleep(0.01)  # saves went on during and after the backup
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert code == 0, err
    with zipfile.ZipFile(backup) as archive:
        saved = {json.loads(line)["id"] for line in archive.read("tables/ballot.jsonl").splitlines()}
    before = {ballot_id for t, ballot_id in acknowledged if t < began}
    after = {ballot_id for t, ballot_id in acknowledged if t > ended}
    assert len(before) >= 40 and before <= saved
    assert not after & saved  # the copy is one moment: nothing saved after it ended is in it
    with app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == len(acknowledged) + 2


def test_backup_and_restore_cover_the_shared_folder_with_its_signed_documents(cli, tmp_path, instance, monkeypatch):
    """Several nodes keep scans and signed documents in KIEMPHIEU_UPLOAD_FOLDER: the backup
    copies that folder (signed minutes included) and a restore puts it back there."""
    shared = tmp_path / "chung"
    monkeypatch.setenv("KIEMPHIEU_UPLOAD_FOLDER", str(shared))
    round_id = season_with_a_finalised_round(cli, tmp_path, instance)
    from kiemphieu.results import signing

    with app_context():
        round_ = db.session.get(Round, round_id)
        path = signing.signed_path(round_, round_.result_versions[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7 signed")
        name = path.name
    assert path.parent == shared / "signed"
    backup = tmp_path / "saoluu.zip"
    assert cli("backup", backup)[0] == 0
    with zipfile.ZipFile(backup) as archive:
        assert f"files/signed/{name}" in archive.namelist()

    restored = tmp_path / "chung-moi"
    monkeypatch.setenv("KIEMPHIEU_UPLOAD_FOLDER", str(restored))
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path / "may-moi"))
    empty_database()
    code, out, err = cli("restore", backup)
    assert code == 0, err
    assert (restored / "signed" / name).read_bytes() == b"%PDF-1.7 signed"
    with app_context():
        round_ = db.session.get(Round, round_id)
        assert signing.signed_minutes(round_, round_.result_versions[-1]) == b"%PDF-1.7 signed"
