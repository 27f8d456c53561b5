"""The adjudication page tells namesakes apart as the ballot prints them (issue 9, item 2)."""

from __future__ import annotations

from datetime import date

from kiemphieu.congress import services
from kiemphieu.models import Role

from .test_adjudication import review_scan


def test_the_adjudication_rows_show_namesakes_with_their_birth_year(app, client, make_election, auth,
                                                                   fake_reader):
    election = make_election(seats=2, present=10, issued=10, entry_mode="single", candidates=[
        "Trần Thị Bình", ("Nguyễn Văn Dũng", date(1972, 5, 1)), ("Nguyễn Văn Dũng", date(1968, 9, 12))])
    round_ = election.rounds[0]
    services.start_entry(round_)
    auth.as_role(Role.COUNTER, congresses={election.congress: Role.COUNTER})
    codes = {c.born.year if c.born else None: c.code for c in round_.candidates}
    marks = {codes[None]: "struck", codes[1968]: "uncertain", codes[1972]: "kept"}
    scan = review_scan(round_, fake_reader, 7, marks=marks)
    page = client.get(f"/scans/{scan.id}").get_data(as_text=True)
    assert "Nguyễn Văn Dũng (sinh năm 1968)" in page and "Nguyễn Văn Dũng (sinh năm 1972)" in page
    assert "Trần Thị Bình (sinh" not in page
