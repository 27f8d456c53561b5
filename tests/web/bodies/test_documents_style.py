"""Item 5's document defects through the web app: the locality (not the hall) on the date line
of ballot, minutes and summary; signatures only for the members ticked present; the summary's
signer from the congress's set-up."""

from __future__ import annotations

from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import Role, Round

from .conftest import COMMITTEE, pdf_text
from ..conftest import get_document


def test_documents_name_the_locality_sign_only_those_present_and_the_presidium(
        client, make_congress, make_election, make_user, auth, post):
    congress = make_congress(convened=10, committee=COMMITTEE, place="Hội trường UBND xã Yên Lập")
    services.update_congress(congress, presidium_signer="Nguyễn Văn Hùng")
    election = make_election(congress=congress, seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình",
                                                                     "Lê Văn Cường"], present=6, issued=6)
    round_ = election.rounds[0]
    make_user("totruong", Role.ORGANISER, congresses={congress: Role.ORGANISER})
    auth.login("totruong")

    ballot = pdf_text(get_document(client, f"/rounds/{round_.id}/ballots.pdf?copies=1").data)
    assert "Yên Lập, ngày 20 tháng 6 năm 2025" in ballot and "Hội trường" not in ballot

    # A PDF renders after the request's transaction (kiemphieu.documents.rendering): read again.
    round_ = db.session.get(Round, round_.id)
    services.start_entry(round_)
    codes = [c.code for c in round_.candidates]
    for marks in [{"struck": [codes[2]]}] * 6:
        reply = post.save(round_, "A", marks, confirm=True)
        assert reply.status_code == 201, reply.get_json()
        assert post.save(round_, "B", marks, confirm=True).status_code == 201
    # Đỗ Minh Châu is not there when the committee finalises.
    reply = client.post(f"/rounds/{round_.id}/finalise", data={"confirmed": ["Lê Thị Thu", "Hà Văn Tâm"]})
    assert reply.status_code == 302
    minutes = pdf_text(get_document(client, f"/rounds/{round_.id}/minutes.pdf").data)
    assert "Yên Lập, ngày 20 tháng 6 năm 2025" in minutes and "Hội trường" not in minutes
    assert "Đ/c Đỗ Minh Châu, Ủy viên;" in minutes  # a member of the committee...
    signed = minutes.split("TM. BAN KIỂM PHIẾU", 1)[1]
    assert "Hà Văn Tâm" in signed and "Đỗ Minh Châu" not in signed  # ...who did not sign

    summary = pdf_text(get_document(client, f"/congresses/{congress.id}/summary.pdf").data)
    assert "Yên Lập, ngày 20 tháng 6 năm 2025" in summary
    assert "TM. ĐOÀN CHỦ TỊCH Nguyễn Văn Hùng" in summary


def test_the_organiser_may_name_another_locality(client, make_congress, auth):
    congress = make_congress(committee=COMMITTEE)
    assert congress.date_place == "Yên Lập"
    auth.as_role(Role.ORGANISER)
    page = client.get(f"/congresses/{congress.id}/edit").get_data(as_text=True)
    assert "Địa danh ghi trên văn bản" in page and "Người ký thay mặt Đoàn Chủ tịch" in page
    services.update_congress(congress, locality="Thị trấn Yên Lập")
    assert congress.date_place == "Thị trấn Yên Lập"
