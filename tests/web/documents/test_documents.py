"""Downloads: a round's ballots and layout, and the congress results summary."""

import io

import pypdfium2 as pdfium

from kiemphieu.models import Role
from ..conftest import get_document


def pdf_text(data: bytes) -> tuple[int, str]:
    doc = pdfium.PdfDocument(io.BytesIO(data))
    text = "\n".join(page.get_textpage().get_text_range() for page in doc)
    return len(doc), text


def test_organiser_prints_the_ballots_of_a_round_in_ballot_order(client, auth, make_election):
    election = make_election(seats=2, candidates=["Trần Thị Bình", "Nguyễn Văn An", "Lê Văn Cường"])
    auth.as_role(Role.ORGANISER)
    response = get_document(client, f"/rounds/{election.rounds[0].id}/ballots.pdf?copies=3")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text = pdf_text(response.data)
    assert pages == 3
    assert "PHIẾU BẦU" in text.upper()
    assert text.index("Nguyễn Văn An") < text.index("Trần Thị Bình") < text.index("Lê Văn Cường")


def test_copies_out_of_range_are_refused(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.ORGANISER)
    response = get_document(client, f"/rounds/{election.rounds[0].id}/ballots.pdf?copies=0", follow_redirects=True)
    assert "Số bản in phải từ 1 đến" in response.get_data(as_text=True)
    response = get_document(client, f"/rounds/{election.rounds[0].id}/ballots.pdf?copies=99999")
    assert response.status_code == 302


def test_counter_may_not_print_ballots(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.COUNTER, congresses={election.congress: Role.COUNTER})
    assert get_document(client, f"/rounds/{election.rounds[0].id}/ballots.pdf").status_code == 403


def test_layout_json_follows_the_contract(client, auth, make_election):
    election = make_election(seats=2)
    auth.as_role(Role.VIEWER)
    layout = client.get(f"/rounds/{election.rounds[0].id}/layout.json").get_json()
    assert layout["schema"] == "kiemphieu/layout-1" and layout["form"] == "strike"
    assert [c["order"] for c in layout["candidates"]] == [1, 2, 3]
    assert all(len(c["name_mm"]) == 4 for c in layout["candidates"])


def test_congress_summary_lists_every_counted_election(client, auth, demo):
    auth.as_role(Role.VIEWER)
    congress = demo.congress
    response = get_document(client, f"/congresses/{congress.id}/summary.pdf")
    assert response.status_code == 200
    _, text = pdf_text(response.data)
    for election in congress.elections:
        assert election.title.split(",")[0][:30] in " ".join(text.split())
    # The demo's rounds are still open: the summary is a draft.
    assert "NHÁP" in text.upper()


def test_summary_without_any_counting_redirects_with_a_message(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.VIEWER)
    response = get_document(client, f"/congresses/{election.congress.id}/summary.pdf", follow_redirects=True)
    assert "Chưa có vòng bầu nào bắt đầu kiểm phiếu." in response.get_data(as_text=True)


def test_round_and_congress_pages_link_the_documents(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.ORGANISER)
    round_page = client.get(f"/rounds/{election.rounds[0].id}").get_data(as_text=True)
    assert f"/rounds/{election.rounds[0].id}/ballots.pdf" in round_page
    congress_page = client.get(f"/congresses/{election.congress.id}").get_data(as_text=True)
    assert f"/congresses/{election.congress.id}/summary.pdf" in congress_page
