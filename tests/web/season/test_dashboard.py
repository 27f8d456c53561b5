"""The season dashboard (home page): states, progress of open rounds, filters, summary, queries."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import event, select

from kiemphieu.congress import services as setup
from kiemphieu.entry import comparison, services as entry
from kiemphieu.extensions import db
from kiemphieu.models import Congress, EntryPass, Role, ScanImage
from kiemphieu.results import services as results
from kiemphieu.season.importing import import_season

from season_support import COMMUNE, DISTRICT, PROVINCE, csv_bytes, season_rows


def rows_of(html: str) -> dict[str, str]:
    """Congress name -> its table row's text (tags removed)."""
    table = html.split('id="congresses"', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr data-congress=.*?</tr>", table, re.S):
        name = re.search(r'<a href="/congresses/\d+">([^<]+)</a>', row).group(1)
        found[name] = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    return found


def season(n: int, *, path=COMMUNE, prefix="Đại hội", day="20/06/2025") -> None:
    rows = []
    for i in range(n):
        rows += season_rows(path=path, congress=f"{prefix} {i + 1:03d}", day=day)
    result = import_season(csv_bytes(rows))
    assert result.ok, result.lines("season")


def congress_named(name: str) -> Congress:
    return db.session.scalar(select(Congress).where(Congress.name == name))


def start(round_, present=10, issued=10, single=False):
    if not round_.congress.committee:
        setup.add_committee_member(round_.congress, "Hà Văn Tâm", "Trưởng ban")
    if single:
        setup.set_entry_mode(round_, "single")
    setup.set_round_numbers(round_, present, issued)
    setup.start_entry(round_)


def save(round_, entry_pass, marks):
    entry.save_ballot(round_, entry_pass, marks, uuid.uuid4().hex, confirm_invalid=True)


@pytest.fixture
def four_states(app):
    """Four congresses: Chuẩn bị, Đang bầu cử, Đang kiểm phiếu (with a difference and a scan), Đã chốt."""
    season(4)
    voting = congress_named("Đại hội 002").elections[0].rounds[0]
    setup.set_round_numbers(voting, 10, 10)  # ballots handed out, counting not started

    counting = congress_named("Đại hội 003").elections[0].rounds[0]
    start(counting)
    c = [x.code for x in counting.candidates]
    for marks in ([c[0], c[1]], [c[2], c[3]], [c[1], c[2]]):
        save(counting, EntryPass.A, {"struck": marks})
    save(counting, EntryPass.B, {"struck": [c[0], c[1]]})
    save(counting, EntryPass.B, {"struck": [c[0], c[3]]})  # position 2 differs; 3 only in A
    db.session.add(ScanImage(round_id=counting.id, sha256="ab" * 32, stored_name="x.jpg", status="review"))
    db.session.commit()

    finalised = congress_named("Đại hội 004")
    for election in finalised.elections:
        round_ = election.rounds[0]
        voters = min(12, round_.body_convened)  # the secretary is elected by the new committee
        start(round_, present=voters, issued=voters, single=True)
        codes = [x.code for x in round_.candidates]
        marks = {"struck": codes[2:]} if len(codes) > 1 else {"boxes": {codes[0]: "agree"}}
        for _ in range(voters):
            save(round_, EntryPass.A, marks)
        results.finalise(round_, ["Hà Văn Tâm"], acknowledge_checks=True)


def test_each_congress_shows_its_state_and_its_open_rounds_progress(client, auth, four_states):
    auth.as_role(Role.VIEWER)
    html = client.get("/").get_data(as_text=True)
    rows = rows_of(html)
    assert "Chuẩn bị" in rows["Đại hội 001"] and "Đang bầu cử" in rows["Đại hội 002"]
    assert "Đã chốt" in rows["Đại hội 004"]
    counting = rows["Đại hội 003"]
    assert "Đang kiểm phiếu" in counting
    assert "lượt A 3, lượt B 2 / 10 phiếu phát ra" in counting
    assert "2 phiếu A/B khác nhau chưa xử lý" in counting and "1 ảnh chờ phân xử" in counting
    summary = html.split('id="summary"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", summary).split())
    assert "4 đại hội" in text and "Đã chốt 1" in text and "Đang kiểm phiếu 1" in text
    # the finalised congress elected 2 to the committee and 1 secretary
    assert "Ban Chấp hành 2" in text and "Bí thư 1" in text


def test_a_settled_difference_is_no_longer_counted(client, auth, four_states):
    counting = congress_named("Đại hội 003").elections[0].rounds[0]
    comparison.settle(counting, 2, "A")
    auth.as_role(Role.VIEWER)
    assert "1 phiếu A/B khác nhau chưa xử lý" in rows_of(client.get("/").get_data(as_text=True))["Đại hội 003"]


def test_filters_by_state_organisation_date_and_name(client, auth, app):
    season(2)
    season(1, path=f"{DISTRICT} / Đảng bộ xã Đồng Lộc", prefix="Đại hội Đồng Lộc", day="05/07/2025")
    season(1, path=f"{PROVINCE} / Đảng bộ huyện Nghi Xuân", prefix="Đại hội Nghi Xuân", day="10/08/2025")
    auth.as_role(Role.VIEWER)
    from kiemphieu.models import Organisation

    district = db.session.scalar(select(Organisation).where(Organisation.name == "Đảng bộ huyện Can Lộc"))
    names = lambda **args: set(rows_of(client.get("/", query_string=args).get_data(as_text=True)))  # noqa: E731
    assert names(organisation=district.id) == {"Đại hội 001", "Đại hội 002", "Đại hội Đồng Lộc 001"}
    assert names(**{"from": "2025-07-01"}) == {"Đại hội Đồng Lộc 001", "Đại hội Nghi Xuân 001"}
    assert names(**{"from": "2025-07-01", "to": "2025-07-31"}) == {"Đại hội Đồng Lộc 001"}
    assert names(q="dong loc") == {"Đại hội Đồng Lộc 001"}  # tone marks and case ignored
    assert names(q="NGHI XUÂN") == {"Đại hội Nghi Xuân 001"}
    assert names(state="setup") == names()
    assert "Không có đại hội nào khớp" in client.get("/?state=finalised").get_data(as_text=True)


def test_pages_of_25(client, auth, app):
    season(30)
    auth.as_role(Role.VIEWER)
    first = client.get("/").get_data(as_text=True)
    assert len(rows_of(first)) == 25 and "Trang 1 / 2 (30 đại hội)" in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert len(rows_of(second)) == 5
    assert not set(rows_of(first)) & set(rows_of(second))


def test_a_counter_sees_only_the_congresses_assigned(client, auth, app):
    season(3)
    mine = congress_named("Đại hội 002")
    auth.as_role(Role.COUNTER, congresses={mine: Role.COUNTER})
    html = client.get("/").get_data(as_text=True)
    assert set(rows_of(html)) == {"Đại hội 002"} and "1 đại hội" in html


def count_queries(client, url: str = "/?state=") -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    db.session.expire_all()  # the test shares the request's session: start both counts cold
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def busy_season(n: int) -> None:
    """n congresses, a quarter of them counting (ballots in both passes)."""
    season(n, prefix=f"Mùa {n}")
    congresses = db.session.scalars(select(Congress).where(Congress.name.like(f"Mùa {n} %"))).all()
    for congress in congresses[::4]:
        round_ = congress.elections[0].rounds[0]
        start(round_)
        c = [x.code for x in round_.candidates]
        save(round_, EntryPass.A, {"struck": [c[0], c[1]]})
        save(round_, EntryPass.B, {"struck": [c[0], c[2]]})


def test_the_number_of_queries_does_not_grow_with_the_congresses(client, auth, app):
    auth.as_role(Role.VIEWER)
    busy_season(10)
    with_ten = count_queries(client)
    busy_season(90)
    with_hundred = count_queries(client)
    assert with_ten == with_hundred <= 12, (with_ten, with_hundred)


def test_the_organisations_page_shows_paths_and_counts_in_constant_queries(client, auth, app):
    auth.as_role(Role.ORGANISER)
    season(3)
    html = client.get("/organisations").get_data(as_text=True)
    assert f"<td>{COMMUNE}</td>" in html and "organisation=" in html
    few = count_queries(client, "/organisations")
    season(20, path=f"{DISTRICT} / Đảng bộ xã Mới", prefix="Đại hội Mới")
    assert count_queries(client, "/organisations") == few


def test_results_export_from_the_dashboard_follows_the_organisation_filter(client, auth, four_states):
    season(1, path=f"{PROVINCE} / Đảng bộ huyện Nghi Xuân", prefix="Đại hội Nghi Xuân")
    auth.as_role(Role.ORGANISER)
    from kiemphieu.models import Organisation

    district = db.session.scalar(select(Organisation).where(Organisation.name == "Đảng bộ huyện Can Lộc"))
    assert f"results.csv?organisation={district.id}" in client.get(f"/?organisation={district.id}").get_data(as_text=True)
    everything = client.get("/season/export/results.json").get_json()
    assert len(everything) == 5 * 2
    scoped = client.get(f"/season/export/results.json?organisation={district.id}").get_json()
    assert len(scoped) == 4 * 2 and all(item["organisation"].startswith(DISTRICT) for item in scoped)
    finalised = [item for item in scoped if item["state"] == "đã chốt"]
    assert len(finalised) == 2 and all(item["digest"] and item["result"] for item in finalised)
    csv_text = client.get("/season/export/results.csv").get_data(as_text=True)
    assert csv_text.startswith("to_chuc,dai_hoi,cuoc_bau,vong,trang_thai,ho_ten,ngay_sinh,so_phieu,ty_le,ket_qua\n")
    auth.logout()
    auth.as_role(Role.COUNTER)
    assert client.get("/season/export/results.csv").status_code == 403


def test_a_refresh_without_a_change_is_answered_without_rebuilding_and_a_save_shows_at_once(client, auth,
                                                                                             four_states):
    auth.as_role(Role.VIEWER)
    cold = count_queries(client, "/")
    assert "lượt A 3, lượt B 2" in rows_of(client.get("/").get_data(as_text=True))["Đại hội 003"]
    warm = count_queries(client, "/")
    assert warm <= cold - 6, (cold, warm)  # the change stamp instead of the board's eight queries

    counting = congress_named("Đại hội 003").elections[0].rounds[0]
    c = [x.code for x in counting.candidates]
    save(counting, EntryPass.B, {"struck": [c[1], c[2]]})
    row = rows_of(client.get("/").get_data(as_text=True))["Đại hội 003"]
    # The next refresh shows the save: position 3 now agrees, position 2 still differs.
    assert "lượt A 3, lượt B 3" in row and "1 phiếu A/B khác nhau chưa xử lý" in row
    comparison.settle(counting, 2, "A")
    assert "khác nhau chưa xử lý" not in rows_of(client.get("/").get_data(as_text=True))["Đại hội 003"]


def test_a_board_built_for_one_user_is_never_shown_to_another(client, auth, app):
    season(3)
    auth.as_role(Role.VIEWER)
    assert len(rows_of(client.get("/").get_data(as_text=True))) == 3
    auth.logout()
    mine = congress_named("Đại hội 002")
    auth.as_role(Role.COUNTER, congresses={mine: Role.COUNTER})
    assert set(rows_of(client.get("/").get_data(as_text=True))) == {"Đại hội 002"}
