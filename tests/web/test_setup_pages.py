"""The set-up pages through the test client: what they show and what they store."""

import re
import unicodedata
from datetime import date

import pytest

from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Congress, Election, Organisation, Role


def page(response) -> str:
    return response.get_data(as_text=True)


def names_in(html: str, element_id: str) -> list[str]:
    """The text of each <li> or name cell inside the element with this id."""
    block = html.split(f'id="{element_id}"', 1)[1].split("</ol>", 1)[0].split("</table>", 1)[0]
    cells = re.findall(r'<td class="name">([^<]+)</td>', block) or re.findall(r"<li>([^<(]+)", block)
    if not cells:  # boxes form: second cell of each row
        cells = [row[1] for row in re.findall(r"<tr><td>(\d+)</td><td>([^<(]+)", block)]
    return [c.strip() for c in cells]


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def organiser(auth):
    return auth.as_role(Role.ORGANISER)


def test_organisations_page_creates_with_parent(client, organiser):
    client.post("/organisations", data={"name": "Đảng bộ huyện Yên Lập", "parent_id": 0})
    parent = db.session.scalar(db.select(Organisation))
    response = client.post("/organisations", data={"name": "  Đảng bộ   xã Hưng Long ", "parent_id": parent.id},
                           follow_redirects=True)
    html = page(response)
    assert "Đã thêm tổ chức đảng." in html and "Đảng bộ xã Hưng Long" in html
    child = db.session.scalar(db.select(Organisation).where(Organisation.parent_id == parent.id))
    assert child.name == "Đảng bộ xã Hưng Long"
    # An organisation cannot become its own ancestor.
    response = client.post(f"/organisations/{parent.id}/edit", data={"name": parent.name, "parent_id": child.id},
                           follow_redirects=True)
    assert "không thể là chính nó hoặc tổ chức cấp dưới" in page(response)
    assert actions().count("organisation.create") == 2


def test_create_congress_page(client, organiser, make_organisation):
    organisation = make_organisation("Đảng bộ xã Yên Lập")
    assert "Số đảng viên chính thức / đại biểu chính thức được triệu tập" in page(client.get("/congresses/new"))
    response = client.post("/congresses/new", data={
        "organisation_id": organisation.id, "kind": "delegates", "name": "", "number": "lần thứ XXI",
        "term": "2025 - 2030", "place": "Yên Lập", "start_date": "2025-06-20", "end_date": "2025-06-21",
        "convened": "150"}, follow_redirects=True)
    html = page(response)
    congress = db.session.scalar(db.select(Congress))
    assert congress.name == "Đại hội đại biểu Đảng bộ xã Yên Lập" and congress.convened == 150
    assert "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030" in html
    assert "20/06/2025" in html and '<dd class="big" id="base">150</dd>' in html


def test_create_congress_validation(client, organiser, make_organisation):
    organisation = make_organisation()
    response = client.post("/congresses/new", data={"organisation_id": organisation.id, "kind": "members",
                                                    "convened": "0", "start_date": "2025-06-21",
                                                    "end_date": "2025-06-20"})
    assert "Phải ít nhất là 1." in page(response)
    response = client.post("/congresses/new", data={"organisation_id": organisation.id, "kind": "members",
                                                    "convened": "40", "start_date": "2025-06-21",
                                                    "end_date": "2025-06-20"})
    assert "Ngày kết thúc không thể trước ngày khai mạc." in page(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Congress)) == 0


def test_edit_congress(client, organiser, make_congress):
    congress = make_congress()
    response = client.post(f"/congresses/{congress.id}/edit", data={
        "organisation_id": congress.organisation_id, "kind": "members", "name": "Đại hội Chi bộ thôn Đông",
        "number": "", "term": "2025 - 2027", "place": "", "convened": "38"}, follow_redirects=True)
    assert "Đã lưu thông tin đại hội." in page(response)
    assert congress.kind == "members" and congress.convened == 38 and congress.full_name == \
        "Đại hội Chi bộ thôn Đông, nhiệm kỳ 2025 - 2027"


def test_exclusions_lower_the_base(client, organiser, make_congress):
    congress = make_congress(convened=150)
    url = f"/congresses/{congress.id}/exclusions"
    client.post(url, data={"count": 1, "reason": "Vắng mặt cả kỳ đại hội, không có dự khuyết thay thế"})
    response = client.post(url, data={"count": 2, "reason": "Bị đình chỉ sinh hoạt đảng"}, follow_redirects=True)
    html = page(response)
    assert '<dd class="big" id="base">147</dd>' in html and "Bị đình chỉ sinh hoạt đảng" in html
    assert congress.base == 147
    response = client.post(url, data={"count": 147, "reason": "quá nhiều"}, follow_redirects=True)
    assert "Tổng số loại trừ (150) phải nhỏ hơn số được triệu tập (150)." in page(response)
    response = client.post(url, data={"count": 0, "reason": ""}, follow_redirects=True)
    assert "Phải ít nhất là 1." in page(response)
    first = congress.exclusions[0]
    client.post(f"/congresses/{congress.id}/exclusions/{first.id}/delete")
    db.session.expire_all()
    assert congress.base == 148
    assert actions().count("exclusion.add") == 2 and "exclusion.remove" in actions()


def test_count_committee_members(client, organiser, make_congress):
    congress = make_congress()
    url = f"/congresses/{congress.id}/committee"
    client.post(url, data={"name": "Lê Thị Thu", "role": "Trưởng ban"})
    response = client.post(url, data={"name": "Hà Văn Tâm", "role": "Ủy viên"}, follow_redirects=True)
    html = page(response)
    assert "Đồng chí Lê Thị Thu, Trưởng ban" in html and "Đồng chí Hà Văn Tâm, Ủy viên" in html
    response = client.post(url, data={"name": "Đinh Văn Khoa", "role": "Trưởng ban"}, follow_redirects=True)
    assert "Ban kiểm phiếu đã có Trưởng ban." in page(response)
    assert [m.name for m in congress.committee] == ["Lê Thị Thu", "Hà Văn Tâm"]
    member = congress.committee[1]
    client.post(f"/congresses/{congress.id}/committee/{member.id}/delete")
    db.session.expire_all()
    assert [m.name for m in congress.committee] == ["Lê Thị Thu"]


def test_a_candidate_may_not_sit_on_the_count_committee(client, organiser, make_congress, make_election):
    congress = make_congress(committee=["Lê Thị Thu"])
    election = make_election(congress=congress, candidates=["Nguyễn Văn An", "Trần Thị Bình"])
    # Same person, written with decomposed diacritics and other spacing/case.
    decomposed = unicodedata.normalize("NFD", "lê  thị thu")
    response = client.post(f"/elections/{election.id}/candidates", data={"name": decomposed}, follow_redirects=True)
    assert "là thành viên Ban kiểm phiếu" in page(response)
    response = client.post(f"/congresses/{congress.id}/committee", data={"name": "Trần Thị Bình", "role": "Ủy viên"},
                           follow_redirects=True)
    assert "người có tên trong danh sách bầu cử không được tham gia Ban kiểm phiếu" in page(response)
    assert len(election.candidates) == 2 and len(congress.committee) == 1


def test_create_election_and_its_first_round(client, organiser, make_congress):
    congress = make_congress()
    response = client.post(f"/congresses/{congress.id}/elections/new", data={
        "kind": "committee", "title": "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "seats": "0", "entry_mode": "double"})
    assert "Số lượng cần bầu phải ít nhất là 1." in page(response)
    response = client.post(f"/congresses/{congress.id}/elections/new", data={
        "kind": "committee", "title": "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", "seats": "15", "entry_mode": "single"},
        follow_redirects=True)
    assert "Đã tạo cuộc bầu. Hãy thêm người ứng cử." in page(response)
    election = db.session.scalar(db.select(Election))
    assert election.seats == 15 and election.kind == "committee"
    (first,) = election.rounds
    assert first.number == 1 and first.seats == 15 and first.status == "setup" and first.entry_mode == "single"


def test_add_candidates_one_by_one_normalised(client, organiser, make_election):
    election = make_election(candidates=[])
    decomposed = unicodedata.normalize("NFD", "Nguyễn   Văn An")
    response = client.post(f"/elections/{election.id}/candidates", data={"name": decomposed, "born": "02/04/1975"},
                           follow_redirects=True)
    assert "Đã thêm “Nguyễn Văn An”." in page(response)
    (candidate,) = election.candidates
    assert candidate.name == unicodedata.normalize("NFC", "Nguyễn Văn An") and candidate.born == date(1975, 4, 2)
    assert candidate.code == "c01" and election.rounds[0].candidates == [candidate]
    response = client.post(f"/elections/{election.id}/candidates", data={"name": "Trần Thị Bình", "born": "31/02/1980"},
                           follow_redirects=True)
    assert "“31/02/1980” không có thật: tháng 2 năm 1980 không có ngày 31" in page(response)


def test_paste_a_list_and_see_the_ballot_order(client, organiser, make_election):
    election = make_election(seats=3, candidates=[])
    text = "1. Hoàng Văn Đức\n2. Nguyễn Văn An, 02/04/1975\n\nTrần Thị Bình\t15/09/1980\nLê Thị Ánh\n"
    response = client.post(f"/elections/{election.id}/candidates/paste", data={"text": text}, follow_redirects=True)
    html = page(response)
    assert "Đã thêm 4 người ứng cử." in html
    assert names_in(html, "candidates") == ["Nguyễn Văn An", "Lê Thị Ánh", "Trần Thị Bình", "Hoàng Văn Đức"]
    by_name = {c.name: c for c in election.candidates}
    assert by_name["Trần Thị Bình"].born == date(1980, 9, 15)
    assert "Gạch tên (có số dư 1)" in html


def test_paste_refuses_the_whole_list_on_one_bad_line(client, organiser, make_election):
    election = make_election(candidates=[])
    response = client.post(f"/elections/{election.id}/candidates/paste",
                           data={"text": "Nguyễn Văn An\nTrần Thị Bình, 1980/13/45\n"})
    html = page(response)
    assert response.status_code == 400
    assert "Dòng 2: Ngày sinh “1980/13/45” không đúng dạng" in html
    assert "Trần Thị Bình, 1980/13/45" in html  # the pasted text is kept for correction
    assert election.candidates == []


def test_namesakes_need_dates_of_birth(client, organiser, make_election):
    election = make_election(candidates=["Nguyễn Văn An"])
    response = client.post(f"/elections/{election.id}/candidates", data={"name": "Nguyễn Văn An", "born": "01/01/1980"},
                           follow_redirects=True)
    assert "Trùng họ tên “Nguyễn Văn An”: cần nhập ngày sinh cho cả hai người" in page(response)
    election2 = make_election(congress=election.congress, title="Bầu đại biểu", candidates=[])
    text = "Nguyễn Văn An, 02/04/1975\nNguyễn Văn An, 10/10/1968\nTrần Văn Bảo"
    client.post(f"/elections/{election2.id}/candidates/paste", data={"text": text})
    engine = election2.rounds[0].to_election()
    assert [(c.name, c.born) for c in engine.candidates][:2] == [("Nguyễn Văn An", date(1968, 10, 10)),
                                                                  ("Nguyễn Văn An", date(1975, 4, 2))]
    html = page(client.get(f"/rounds/{election2.rounds[0].id}/ballot"))
    # As the printed ballot shows them: the Party's "(sinh năm ...)", only for the namesakes.
    assert "Nguyễn Văn An (sinh năm 1968)" in html and "Nguyễn Văn An (sinh năm 1975)" in html
    assert "Trần Văn Bảo (" not in html


def test_surplus_over_30_percent_is_a_warning_not_an_error(client, organiser, make_election):
    election = make_election(seats=3, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"])
    response = client.post(f"/elections/{election.id}/candidates/paste",
                           data={"text": "Phạm Thị Dung\nHoàng Văn Đức"}, follow_redirects=True)
    html = page(response)
    assert "Đã thêm 2 người ứng cử." in html
    assert "Số dư 2 người (67% so với 3 cần bầu) vượt quá 30%" in html
    assert len(election.candidates) == 5


def test_committee_without_surplus_warns(client, organiser, make_election):
    election = make_election(seats=3, candidates=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"])
    html = page(client.get(f"/elections/{election.id}"))
    assert "phải có số dư" in html and "Ô “Đồng ý / Không đồng ý”" in html


def test_edit_and_remove_a_candidate(client, organiser, make_election):
    election = make_election(candidates=["Nguyễn Văn An", "Trần Thị Bình"])
    candidate = election.candidates[0]
    assert 'value="Nguyễn Văn An"' in page(client.get(f"/candidates/{candidate.id}/edit"))
    response = client.post(f"/candidates/{candidate.id}/edit", data={"name": "Nguyễn Văn Ân", "born": "1975-04-02",
                                                                     "note": "Bí thư chi bộ"}, follow_redirects=True)
    assert "Đã lưu người ứng cử." in page(response)
    assert candidate.name == "Nguyễn Văn Ân" and candidate.born == date(1975, 4, 2)
    client.post(f"/candidates/{candidate.id}/delete")
    db.session.expire_all()
    assert [c.name for c in election.candidates] == ["Trần Thị Bình"]
    assert [c.name for c in election.rounds[0].candidates] == ["Trần Thị Bình"]


def test_edit_election_changes_round_one_seats(client, organiser, make_election):
    election = make_election(seats=2)
    response = client.post(f"/elections/{election.id}/edit", data={"kind": "committee", "title": "Bầu Chi ủy",
                                                                   "seats": "1"}, follow_redirects=True)
    assert "Đã lưu cuộc bầu." in page(response)
    assert election.seats == 1 and election.rounds[0].seats == 1 and election.title == "Bầu Chi ủy"


def test_round_numbers_validation_and_start(client, organiser, make_election):
    election = make_election(seats=2)
    round_ = election.rounds[0]
    url = f"/rounds/{round_.id}"
    response = client.post(f"{url}/start", follow_redirects=True)
    assert "Nhập số có mặt và số phiếu phát ra trước khi nhập phiếu." in page(response)
    response = client.post(url, data={"present": "151", "issued": "140"}, follow_redirects=True)
    assert "Số có mặt (151) không thể lớn hơn số được triệu tập (150)." in page(response)
    response = client.post(url, data={"present": "140", "issued": "141"}, follow_redirects=True)
    assert "Số phiếu phát ra (141) không thể lớn hơn số có mặt (140)." in page(response)
    response = client.post(url, data={"present": "146", "issued": "146", "voted_on": "2025-06-20"},
                           follow_redirects=True)
    html = page(response)
    assert "Đã lưu số có mặt và số phiếu phát ra." in html
    assert '<dd class="big" id="fact-present">146</dd>' in html and '<dd class="big" id="fact-issued">146</dd>' in html
    response = client.post(f"{url}/entry-mode", data={"entry_mode": "single"}, follow_redirects=True)
    assert "Đã đổi cách nhập phiếu." in page(response) and round_.entry_mode == "single"
    response = client.post(f"{url}/start", follow_redirects=True)
    assert "Đã chốt danh sách: bắt đầu nhập phiếu." in page(response)
    assert round_.status == "entry"
    # The list is frozen now.
    response = client.post(f"/elections/{election.id}/candidates", data={"name": "Phạm Văn Mới"}, follow_redirects=True)
    assert "danh sách bầu cử không thể thay đổi" in page(response)
    response = client.post(f"{url}/entry-mode", data={"entry_mode": "double"}, follow_redirects=True)
    assert "Chỉ đổi cách nhập phiếu khi vòng bầu chưa bắt đầu nhập." in page(response)
    assert {"round.numbers", "round.entry_mode", "round.start_entry"} <= set(actions())


def test_viewer_cannot_post_round_numbers(client, auth, make_election):
    round_ = make_election().rounds[0]
    auth.as_role(Role.VIEWER)
    assert client.get(f"/rounds/{round_.id}").status_code == 200
    assert client.post(f"/rounds/{round_.id}", data={"present": "1", "issued": "1"}).status_code == 403


def test_ballot_preview_strike_and_boxes(client, organiser, make_election):
    election = make_election(seats=2, candidates=["Trần Thị Bình", "Lê Văn Cường", "Nguyễn Văn An"])
    html = page(client.get(f"/rounds/{election.rounds[0].id}/ballot"))
    assert "PHIẾU BẦU CỬ" in html and "ĐẢNG CỘNG SẢN VIỆT NAM" in html
    assert names_in(html, "ballot-names") == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    assert "gạch ngang cả họ và tên" in html
    secretary = make_election(congress=election.congress, kind="secretary", title="Bầu Bí thư", seats=1,
                              candidates=["Nguyễn Văn An"])
    html = page(client.get(f"/rounds/{secretary.rounds[0].id}/ballot"))
    assert "Đồng ý" in html and "Không đồng ý" in html
    assert names_in(html, "ballot-names") == ["Nguyễn Văn An"]


def test_congress_page_lists_elections_and_audit_page_verifies(client, organiser, make_election):
    election = make_election()
    html = page(client.get(f"/congresses/{election.congress_id}"))
    assert election.title in html and "Vòng 1" in html and "Chuẩn bị" in html
    html = page(client.get(f"/congresses/{election.congress_id}/audit"))
    assert "Chuỗi mã băm toàn vẹn" in html and "Tạo cuộc bầu cử" in html and "Thêm người ứng cử" in html


def test_breadcrumb_goes_congress_election_round(client, organiser, make_election):
    election = make_election()
    html = page(client.get(f"/rounds/{election.rounds[0].id}"))
    crumbs = html.split('class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert crumbs.index(election.congress.full_name) < crumbs.index(election.title) < crumbs.index("Vòng 1")
