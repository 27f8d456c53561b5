"""The smaller defects of issue 9's walk through the web pages, one test each."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from kiemphieu.extensions import db
from kiemphieu.models import Ballot, EntryPass, Role, User


def html_of(response) -> str:
    return response.get_data(as_text=True)


def form_fields(html: str, form_marker: str) -> dict[str, str]:
    """What a browser sends for the form that contains ``form_marker``: named inputs and the button."""
    start = html.rindex("<form", 0, html.index(form_marker))
    form = html[start:html.index("</form>", start)]
    fields = {m[0]: m[1] for m in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    fields.update({m[0]: m[1] for m in re.findall(r'<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)})
    return fields


def test_creating_a_user_from_the_page_form_creates_it(client, auth):
    """The button had no name, so the view never saw the form as submitted."""
    auth.as_role(Role.ADMIN)
    fields = form_fields(html_of(client.get("/users")), "Tạo người dùng</button>")
    assert fields.get("user-submit")  # the button says which form was sent
    fields.update({"user-username": "nhap9", "user-password": "mat-khau-dai", "user-role": "counter"})
    response = client.post("/users", data=fields, follow_redirects=True)
    assert "Đã tạo người dùng “nhap9”." in html_of(response)
    assert db.session.scalar(select(User).where(User.username == "nhap9")) is not None


# ------------------------------------------------------------------ comparison


def _difference(make_round, auth, make_user, post, codes):
    round_ = make_round(seats=2)
    make_user("totruong", Role.ORGANISER, congresses={round_.congress: Role.ORGANISER})
    auth.login("totruong")
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    post.save(round_, "B", {"struck": [c[0], c[2]]})
    return round_, c


def settled(round_):
    return db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id,
                                                   Ballot.entry_pass == EntryPass.SETTLED.value)).all()


def test_the_comparison_ruling_has_no_preselected_choice(client, make_round, auth, make_user, post, codes):
    round_, _ = _difference(make_round, auth, make_user, post, codes)
    html = html_of(client.get(f"/rounds/{round_.id}/compare"))
    assert 'name="choice"' in html and "checked" not in html.split('id="phieu-1"')[1]


def test_a_reading_with_nothing_ticked_is_not_saved_as_invalid_without_a_warning(client, make_round, auth, make_user,
                                                                                  post, codes):
    round_, c = _difference(make_round, auth, make_user, post, codes)
    response = client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "marks", "invalid": ""},
                           follow_redirects=True)
    assert "Chưa lưu phiếu số 1" in html_of(response) and "không gạch tên nào" in html_of(response)
    assert settled(round_) == []
    # Confirmed against the paper, it is stored.
    client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "marks", "invalid": "", "confirm_invalid": "y"})
    assert [b.marks for b in settled(round_)] == [{"struck": []}]
    # A valid reading needs no confirmation.
    client.post(f"/rounds/{round_.id}/compare/1", data={"choice": "marks", "struck": [c[0], c[3]]})
    assert settled(round_)[-1].marks == {"struck": sorted([c[0], c[3]])}


# ------------------------------------------------------------------ results and finalisation


def test_a_shortfall_of_counted_against_issued_is_named_not_called_agreeing(client, make_congress, make_round,
                                                                            counter, post, codes):
    congress = make_congress(convened=120, committee=["Lê Thị Thu"])
    round_ = make_round(seats=2, present=100, issued=100, entry_mode="single", congress=congress)
    counter(round_.congress, Role.ORGANISER)
    c = codes(round_)
    for _ in range(10):
        post.save(round_, "A", {"struck": [c[0], c[1]]})
    html = html_of(client.get(f"/rounds/{round_.id}/results"))
    assert "Các số liệu khớp nhau" not in html
    assert "Phiếu thu về (10) ít hơn phiếu phát ra (100): thiếu 90 phiếu" in html


def test_the_finalise_page_states_a_tie_at_the_last_seat(client, make_congress, make_round, counter, post, codes):
    congress = make_congress(convened=9, committee=["Lê Thị Thu"])  # base 9, majority 5
    round_ = make_round(seats=1, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"], present=9,
                        issued=9, entry_mode="single", congress=congress)
    counter(round_.congress, Role.ORGANISER)
    c = codes(round_)
    for kept in [c[0]] * 5 + [c[1]] * 5:
        post.save(round_, "A", {"struck": [x for x in c if x != kept]})
    outcome = html_of(client.get(f"/rounds/{round_.id}/finalise")).split('id="outcome"')[1]
    assert "có số phiếu bằng nhau" in outcome
    assert "Nguyễn Văn An" in outcome and "Trần Thị Bình" in outcome


def test_the_results_page_counts_the_scanned_ballots_it_includes(client, make_round, counter, post, codes):
    round_ = make_round(seats=2, present=10, issued=10)
    counter(round_.congress, Role.ORGANISER)
    c = codes(round_)
    for entry_pass in ("A", "B"):
        post.save(round_, entry_pass, {"struck": [c[0], c[1]]})
    for _ in range(3):
        db.session.add(Ballot(round_id=round_.id, entry_pass=EntryPass.SCAN.value, sequence=_ + 1,
                              marks={"struck": [c[2], c[3]]}, idempotency_key=uuid.uuid4().hex,
                              round_version=round_.version))
    db.session.commit()
    html = html_of(client.get(f"/rounds/{round_.id}/results"))
    assert re.search(r'id="scanned">3<', html)
    assert "phiếu quét: <span id=\"scanned-count\">3</span>" in html
    assert re.search(r'id="counted">4<', html)


# ------------------------------------------------------------------ set-up pages


def test_an_election_title_is_frozen_once_a_round_is_finalised(client, make_round, counter, post, codes):
    from kiemphieu.congress import services
    from kiemphieu.results import services as results

    round_ = make_round(seats=2, entry_mode="single")
    counter(round_.congress, Role.ORGANISER)
    c = codes(round_)
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    results.finalise(round_, ["Lê Thị Thu"], acknowledge_checks=True)
    election = round_.election
    response = client.post(f"/elections/{election.id}/edit",
                           data={"kind": election.kind, "title": "Tên khác", "seats": election.seats},
                           follow_redirects=True)
    assert "Đã có vòng bầu chốt kết quả: không thể sửa" in html_of(response)
    db.session.expire_all()
    assert election.title == "Bầu Ban Chấp hành Đảng bộ xã khóa XXI"
    # Everything else the sealed minutes print: the congress, its organisation, the count committee.
    congress = round_.congress
    for change in (lambda: services.update_congress(congress, place="Nơi khác"),
                   lambda: services.update_organisation(congress.organisation, "Tên khác", None),
                   lambda: services.add_committee_member(congress, "Người Mới", "Ủy viên"),
                   lambda: services.remove_committee_member(congress.committee[-1])):
        try:
            change()
        except services.SetupError as exc:
            assert "chốt kết quả" in str(exc)
        else:
            raise AssertionError("a printed fact of a finalised round was changed")
    db.session.expire_all()
    assert congress.place == "Hội trường UBND xã Yên Lập" and len(congress.committee) == 3


def test_the_round_page_gives_each_number_its_own_id_and_refuses_empty_numbers(client, make_election, auth):
    election = make_election()
    auth.as_role(Role.ORGANISER)
    round_ = election.rounds[0]
    html = html_of(client.get(f"/rounds/{round_.id}"))
    for name in ("present", "issued"):
        assert len(re.findall(rf'id="{name}"', html)) == 1  # the input only: its label focuses it
        assert re.search(rf'<input[^>]*id="{name}"', html)
    response = client.post(f"/rounds/{round_.id}", data={"present": "", "issued": "", "voted_on": ""},
                           follow_redirects=True)
    html = html_of(response)
    assert "Đã lưu" not in html and "Nhập số có mặt." in html


def test_a_date_that_does_not_exist_is_named_and_the_typed_name_is_kept(client, make_election, auth):
    election = make_election(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"])
    auth.as_role(Role.ORGANISER)
    response = client.post(f"/elections/{election.id}/candidates", data={"name": "Phạm Thị Dung", "born": "30/02/1980"})
    html = html_of(response)
    assert response.status_code == 400
    assert "“30/02/1980” không có thật: tháng 2 năm 1980 không có ngày 30" in html
    assert "không đúng dạng" not in html and "Ngày sinh: Ngày sinh" not in html and "Ngày sinh “30" not in html
    assert 'value="Phạm Thị Dung"' in html  # the typed name is still in the form


def test_the_surplus_warning_shows_once(client, make_election, auth):
    election = make_election(seats=3, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"])
    auth.as_role(Role.ORGANISER)
    response = client.post(f"/elections/{election.id}/candidates", data={"name": "Hoàng Văn Đức"},
                           follow_redirects=True)
    assert html_of(response).count("Số dư 2 người") == 1


# ------------------------------------------------------------------ roles


def _links(html: str) -> set[str]:
    return {href for href in re.findall(r'href="(/[^"#]*)', html) if not href.startswith("/static/")}


def test_a_viewer_sees_no_link_that_leads_to_a_403(client, make_round, make_user, auth, post, codes):
    """Crawl every page a viewer can reach from the home page (two links deep past each page)."""
    round_ = make_round(seats=2)
    c = codes(round_)
    make_user("nhap", Role.COUNTER, congresses={round_.congress: Role.COUNTER})
    auth.login("nhap")
    post.save(round_, "A", {"struck": [c[0], c[1]]})
    auth.logout()
    make_user("xem", Role.VIEWER, congresses={round_.congress: Role.VIEWER})
    auth.login("xem")
    seen, queue, forbidden = set(), ["/"], []
    while queue:
        url = queue.pop()
        if url in seen or url in ("/logout",) or url.endswith((".pdf", "/minutes")):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code == 403:
            forbidden.append(url)
            continue
        if response.status_code == 200 and "text/html" in response.content_type:
            queue.extend(_links(html_of(response)) - seen)
    assert f"/rounds/{round_.id}/results" in seen  # the crawl reached the round
    assert forbidden == []


# ------------------------------------------------------------------ entry screen


def test_the_number_hint_only_names_numbers_on_the_list(client, make_congress, make_round, counter):
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Vũ Thị Giang",
             "Đặng Văn Hải", "Bùi Thị Hạnh", "Đỗ Văn Hùng", "Ngô Thị Lan", "Dương Văn Long"]
    round_ = make_round(seats=9, candidates=names)
    counter(round_.congress)
    html = html_of(client.get(f"/rounds/{round_.id}/entry/A"))
    hint = html.split('class="entry-keys"')[1].split("</li>")[0]
    assert "số 11" in hint and "12" not in hint
