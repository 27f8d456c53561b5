"""The audit page of a congress (and the system's) through the test client: Vietnamese words,
names instead of ids, paging, filters, access, and a constant number of queries per page."""

from __future__ import annotations

import ast
import html as html_lib
import re
from pathlib import Path

from sqlalchemy import event

from kiemphieu import audit
from kiemphieu.audit.pages import PAGE_SIZE
from kiemphieu.audit.wording import ACTION_LABELS
from kiemphieu.extensions import db
from kiemphieu.models import Role

SOURCES = Path(__file__).resolve().parents[2] / "kiemphieu"


def visible_text(response) -> str:
    """What a person reads: the page without tags, attributes or the filter's option values."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def table_rows(response) -> list[str]:
    body = response.get_data(as_text=True).split('class="table audit"', 1)[1].split("</table>", 1)[0]
    return [html_lib.unescape(re.sub(r"<[^>]+>", " ", row)) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def seqs(response) -> list[int]:
    return [int(row.split()[0]) for row in table_rows(response)]


def audit_url(round_, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/congresses/{round_.election.congress_id}/audit" + (f"?{query}" if query else "")


def fill(congress_id: int, count: int, user=None, action: str = "round.batches", **detail) -> None:
    for number in range(count):
        audit.record(action, congress=congress_id, user=user, batches=number + 1, **detail)
    db.session.commit()


# ------------------------------------------------------------------ every code has words


def recorded_action_codes() -> set[str]:
    """Every action code passed to audit.record anywhere in the app (literal, conditional, or a
    variable filled from ("code", ...) tuples in the same function, as the season import does)."""
    codes: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Module))]:
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "record" and isinstance(call.func.value, ast.Name)
                        and call.func.value.id == "audit" and call.args):
                    continue
                first = call.args[0]
                if isinstance(first, ast.Name):  # codes gathered in tuples in the same function
                    codes |= {c.value for t in ast.walk(function) if isinstance(t, ast.Tuple)
                              for c in t.elts[:1] if isinstance(c, ast.Constant) and isinstance(c.value, str)
                              and re.fullmatch(r"[a-z_]+\.[a-z_]+", c.value)}
                else:
                    codes |= {c.value for c in ast.walk(first) if isinstance(c, ast.Constant)
                              and isinstance(c.value, str)}
    return codes


def test_every_recorded_action_code_has_a_vietnamese_label():
    codes = recorded_action_codes()
    # The collector sees the direct, conditional and gathered codes (so it can fail).
    assert {"ballot.save", "user.activate", "user.deactivate", "organisation.create", "minutes.sign"} <= codes
    assert codes <= ACTION_LABELS.keys(), sorted(codes - ACTION_LABELS.keys())


# ------------------------------------------------------------------ words and names


def test_the_page_shows_action_words_and_names_not_codes_or_ids(client, make_round, counter, post, codes):
    round_ = make_round()
    counter(round_.election.congress)
    first, second = codes(round_)[:2]
    assert post.save(round_, "A", {"struck": [second, first]}).status_code == 201
    text = visible_text(client.get(audit_url(round_)))
    assert "Nhập phiếu" in text and "Tạo cuộc bầu cử" in text and "Thêm người ứng cử" in text
    assert "gạch: Nguyễn Văn An, Trần Thị Bình" in text
    assert "Bầu Ban Chấp hành Đảng bộ xã khóa XXI — vòng 1" in text
    for code in ("ballot.save", "election.create", "candidate.add", "round.start_entry"):
        assert code not in text
    # a whole word: the page's hashes are hex, and one may hold "c01" by chance
    assert not re.search(rf"\b{re.escape(first)}\b", text)
    assert "\\u" not in text and '{"' not in text and "round_id" not in text
    assert "Chuỗi mã băm toàn vẹn" in text


def test_a_boxes_ballot_reads_as_agree_and_disagree_names(client, make_round, counter, post, codes):
    round_ = make_round(seats=2, candidates=["Nguyễn Văn An", "Trần Thị Bình"])  # as many as seats: boxes
    counter(round_.election.congress)
    first, second = codes(round_)
    assert post.save(round_, "A", {"boxes": {first: "agree", second: "disagree"}}).status_code == 201
    text = visible_text(client.get(audit_url(round_)))
    assert "đồng ý: Nguyễn Văn An; không đồng ý: Trần Thị Bình" in text


# ------------------------------------------------------------------ paging


def test_pages_of_a_hundred_newest_first_with_links(client, make_round, counter):
    round_ = make_round()
    counter(round_.election.congress)
    congress_id = round_.election.congress_id
    fill(congress_id, 230)
    last = audit.head_of(congress_id).seq
    first_page = client.get(audit_url(round_))
    assert seqs(first_page) == list(range(last, last - PAGE_SIZE, -1))
    body = first_page.get_data(as_text=True)
    assert 'href="?page=2"' in body and 'href="?page=3"' in body and "trang 1/3" in body
    third = client.get(audit_url(round_, page=3))
    assert seqs(third) == list(range(last - 2 * PAGE_SIZE, 0, -1))
    assert 'href="?page=2"' in third.get_data(as_text=True)
    # A page past the end shows the last page rather than nothing.
    assert seqs(client.get(audit_url(round_, page=99))) == seqs(third)
    # Page links keep the filter.
    filtered = client.get(audit_url(round_, action="round.batches", page=2))
    assert 'href="?action=round.batches&amp;page=3"' in filtered.get_data(as_text=True)
    assert all("Chia tệp phiếu" in row for row in table_rows(filtered))


# ------------------------------------------------------------------ filters


def test_filter_by_round(client, make_round, make_election, counter, post, codes):
    round_ = make_round()
    other = make_election(congress=round_.election.congress, title="Bầu đại biểu dự đại hội cấp trên",
                          kind="delegates", seats=1, candidates=["Phạm Thị Dung", "Hoàng Văn Em"], present=10,
                          issued=10).rounds[0]
    from kiemphieu.congress import services
    services.start_entry(other)
    counter(round_.election.congress)
    post.save(round_, "A", {"struck": [codes(round_)[0]]})
    post.save(other, "A", {"struck": [codes(other)[0]]})
    rows = table_rows(client.get(audit_url(round_, round=other.id)))
    assert rows and all("Bầu đại biểu dự đại hội cấp trên — vòng 1" in row for row in rows)
    assert any("gạch: Hoàng Văn Em" in row or "gạch: Phạm Thị Dung" in row for row in rows)
    assert not any("Nguyễn Văn An" in row for row in rows)
    everything = table_rows(client.get(audit_url(round_)))
    assert len(everything) > len(rows)
    # The round's page links to its own entries.
    assert f'/audit?round={other.id}"' in client.get(f"/rounds/{other.id}").get_data(as_text=True)


def test_filter_by_user_and_by_action(client, make_round, make_user, counter, post, codes):
    round_ = make_round()
    congress = round_.election.congress
    other = make_user("binh", Role.COUNTER, congresses={congress: Role.COUNTER})
    fill(congress.id, 3, user=other)
    me = counter(congress)
    assert post.save(round_, "A", {"struck": codes(round_)[:2]}).status_code == 201
    assert post.undo(round_, "A").status_code == 200
    mine = table_rows(client.get(audit_url(round_, user=me.username)))
    assert len(mine) == 2 and all(me.username in row for row in mine)
    theirs = table_rows(client.get(audit_url(round_, user="binh")))
    assert len(theirs) == 3 and all("Chia tệp phiếu" in row for row in theirs)
    undone = table_rows(client.get(audit_url(round_, action="ballot.undo")))
    assert len(undone) == 1 and "Hủy phiếu vừa nhập" in undone[0] and "gạch: " in undone[0]
    # Entries without a user (set-up by the fixtures' services run outside a request).
    system = table_rows(client.get(audit_url(round_, user="-")))
    assert system and all("hệ thống" in row for row in system)
    # Filters combine.
    both = table_rows(client.get(audit_url(round_, user="binh", action="ballot.save")))
    assert len(both) == 1 and "Không có mục nào" in both[0]


def test_the_filter_form_offers_rounds_users_and_actions_in_words(client, make_round, counter):
    round_ = make_round()
    counter(round_.election.congress)
    body = client.get(audit_url(round_)).get_data(as_text=True)
    form = body.split('class="filters"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{round_.id}"' in form and 'name="user"' in form and 'name="action"' in form
    assert re.search(r'<option value="election.create"\s*>Tạo cuộc bầu cử</option>', form)
    assert '<option value="-"' in form and "hệ thống" in form


# ------------------------------------------------------------------ access and cost


def test_a_viewer_of_another_congress_is_refused(client, make_round, make_congress, make_user, auth):
    round_ = make_round()
    elsewhere = make_congress(name="Đại hội khác")
    # No global scope: a viewer of the other congress only.
    auth.login(make_user("xem", Role.COUNTER, congresses={elsewhere: Role.VIEWER}).username)
    assert client.get(audit_url(round_)).status_code == 403
    assert client.get(f"/congresses/{elsewhere.id}/audit").status_code == 200


def _statements(client, url) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_a_page_costs_the_same_queries_for_10_or_200_entries(client, make_round, make_user, counter, codes):
    round_ = make_round()
    congress = round_.election.congress
    clerks = [make_user(f"clerk{n}", Role.COUNTER, congresses={congress: Role.COUNTER}) for n in range(3)]
    counter(congress)
    code = codes(round_)[0]

    def add(count: int) -> None:
        for number in range(count):
            audit.record("ballot.save", congress=congress.id, user=clerks[number % 3], round_id=round_.id,
                         entry_pass="A", batch=1, sequence=number + 1, marks={"struck": [code]})
        db.session.commit()

    add(10)
    few = _statements(client, audit_url(round_))
    add(190)
    many = _statements(client, audit_url(round_))
    assert few == many, (few, many)
    assert len(table_rows(client.get(audit_url(round_)))) == PAGE_SIZE


# ------------------------------------------------------------------ the system's chain


def test_the_system_audit_page_is_for_administrators_in_words(client, auth, make_user):
    make_user("lan", Role.VIEWER)
    auth.as_role(Role.ADMIN)
    response = client.get("/audit")
    text = visible_text(response)
    assert response.status_code == 200 and "Tạo người dùng" in text and "user.create" not in text
    assert "người dùng: lan" in text and "Người xem" in text
    assert "Chuỗi mã băm toàn vẹn (nhật ký của hệ thống)" in text
    assert table_rows(client.get("/audit?action=user.create"))
    auth.logout()
    auth.as_role(Role.ORGANISER)
    assert client.get("/audit").status_code == 403
