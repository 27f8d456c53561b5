"""Service functions used by other parts: next rounds, finalised guards, concurrent writers."""

import threading
from datetime import date

import pytest

from kiemphieu import audit
from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Organisation, RoundStatus


def test_open_round_needs_the_previous_round_finalised(make_election):
    election = make_election(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"])
    first = election.rounds[0]
    tied = election.candidates[1:3]
    with pytest.raises(services.SetupError, match="Vòng 1 chưa được chốt kết quả."):
        services.open_round(election, 1, tied)
    first.status = RoundStatus.FINALISED.value
    db.session.commit()
    second = services.open_round(election, 1, tied)
    assert second.number == 2 and second.seats == 1 and second.status == "setup"
    assert second.entry_mode == first.entry_mode
    assert [c.name for c in second.candidates] == ["Trần Thị Bình", "Lê Văn Cường"]
    engine = second.to_election()
    assert engine.round == 2 and engine.seats == 1 and engine.candidate_ids == tuple(c.code for c in second.candidates)
    with pytest.raises(services.SetupError, match="trống"):
        second.status = RoundStatus.FINALISED.value
        db.session.commit()
        services.open_round(election, 1, [])


def test_finalised_rounds_freeze_the_base_and_numbers(make_congress, make_election):
    congress = make_congress(convened=150)
    election = make_election(congress=congress)
    round_ = election.rounds[0]
    round_.status = RoundStatus.FINALISED.value
    db.session.commit()
    with pytest.raises(services.SetupError, match="cơ sở tính quá bán"):
        services.add_exclusion(congress, 1, "Vắng mặt")
    with pytest.raises(services.SetupError, match="cơ sở tính quá bán"):
        services.update_congress(congress, convened=149)
    with pytest.raises(services.SetupError, match="đã chốt"):
        services.set_round_numbers(round_, 140, 140)
    # The minutes print the place too (issue 9): frozen as well; the closing day is not printed.
    with pytest.raises(services.SetupError, match="in trên biên bản đã chốt"):
        services.update_congress(congress, place="Nhà văn hóa xã")
    services.update_congress(congress, end_date=date(2025, 6, 22))
    assert congress.place != "Nhà văn hóa xã" and congress.convened == 150


def test_parse_candidate_lines():
    lines = services.parse_candidate_lines("1) Nguyễn Văn An ; 02.04.1975\n\n  Trần   Thị Bình\n")
    assert [(ln.line, ln.name, str(ln.born)) for ln in lines] == [(1, "Nguyễn Văn An", "1975-04-02"),
                                                                   (3, "Trần Thị Bình", "None")]
    with pytest.raises(services.SetupError, match="Dòng 1: họ tên “Nguyễn Văn 2” có chữ số."):
        services.parse_candidate_lines("Nguyễn Văn 2")
    with pytest.raises(services.SetupError, match="Chưa có tên nào"):
        services.parse_candidate_lines("\n \n")


def test_concurrent_writers_keep_one_unbroken_chain(shared_app):
    """Three threads writing at once (SQLite file or PostgreSQL): every write lands and the chain holds."""
    app = shared_app
    errors = []

    def writer(prefix: str) -> None:
        try:
            with app.app_context():
                for n in range(15):
                    services.create_organisation(f"Chi bộ {prefix} {n}")
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("A", "B", "C")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 45
        report = audit.verify_chain()
        assert report.ok and report.entries == 45
        db.session.remove()
        db.engine.dispose()
