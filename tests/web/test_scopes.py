"""Scoped roles on the organisation tree (issue 12, item 1; issue 10, finding 7): a role granted
on an organisation holds for its whole subtree; a district organiser sets up and staffs the
congresses below the district and gets 403 everywhere else."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kiemphieu.auth import access, services as auth_services
from kiemphieu.congress import services
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, Congress, Organisation, Role, User

from .conftest import PASSWORD, login_client


@pytest.fixture
def tree(web):
    """Province > districts D1, D2 > communes X1 (in D1), X2 (in D2), one congress each."""
    with web.app_context():
        province = services.create_organisation("Đảng bộ tỉnh Phú Thọ", level="province")
        d1 = services.create_organisation("Đảng bộ huyện Yên Lập", province, level="district")
        d2 = services.create_organisation("Đảng bộ huyện Thanh Sơn", province, level="district")
        x1 = services.create_organisation("Đảng bộ xã Hưng Long", d1)
        x2 = services.create_organisation("Đảng bộ xã Tân Minh", d2)
        c1 = services.create_congress(x1, convened=100, start_date=date(2025, 6, 1))
        c2 = services.create_congress(x2, convened=100, start_date=date(2025, 6, 2))
        e2 = services.create_election(c2, "committee", "Bầu Ban Chấp hành", 2)
        auth_services.create_user("quantri", PASSWORD, Role.ADMIN)
        district_organiser = auth_services.create_user("huyen1", PASSWORD, Role.COUNTER, grant_on=d1,
                                                       grant_role=Role.ORGANISER)
        other = auth_services.create_user("nhap-ts", PASSWORD, Role.COUNTER, grant_on=x2, grant_role=Role.COUNTER)
        ids = dict(province=province.id, d1=d1.id, d2=d2.id, x1=x1.id, x2=x2.id, c1=c1.id, c2=c2.id,
                   r2=e2.rounds[0].id, huyen1=district_organiser.id, other=other.id)
        db.session.remove()
    return ids


def login(web, username):
    return login_client(web, username)


def test_levels_are_stored_and_a_child_sits_below_its_parent(web, tree):
    with web.app_context():
        levels = {o.name: o.level for o in db.session.scalars(select(Organisation))}
        assert levels["Đảng bộ huyện Yên Lập"] == "district" and levels["Đảng bộ xã Hưng Long"] == "grassroots"
        with pytest.raises(services.SetupError, match="không thể trực thuộc"):
            services.create_organisation("Đảng bộ tỉnh khác", db.session.get(Organisation, tree["d1"]),
                                         level="province")


def test_a_district_organiser_sees_and_changes_only_the_district(web, tree):
    client = login(web, "huyen1")
    index = client.get("/").get_data(as_text=True)
    assert "Hưng Long" in index and "Tân Minh" not in index
    assert client.get(f"/congresses/{tree['c1']}").status_code == 200
    assert client.get(f"/congresses/{tree['c1']}/edit").status_code == 200
    for url in (f"/congresses/{tree['c2']}", f"/congresses/{tree['c2']}/edit", f"/rounds/{tree['r2']}",
                f"/rounds/{tree['r2']}/results", f"/organisations/{tree['x2']}/edit",
                f"/organisations/{tree['d2']}/edit", f"/organisations/{tree['province']}/edit"):
        assert client.get(url).status_code == 403, url
    organisations = client.get("/organisations").get_data(as_text=True)
    assert "Hưng Long" in organisations and "Tân Minh" not in organisations and "Thanh Sơn" not in organisations
    assert client.get(f"/organisations/{tree['x1']}/edit").status_code == 200


def test_a_district_organiser_sets_up_below_the_district_only(web, tree):
    client = login(web, "huyen1")
    ok = client.post("/organisations", data={"name": "Chi bộ thôn 3", "parent_id": tree["x1"], "level": "cell"})
    assert ok.status_code == 302
    for parent in (tree["x2"], 0):  # another district's commune; a new root
        refused = client.post("/organisations", data={"name": "Chi bộ lạ", "parent_id": parent, "level": "cell"})
        assert refused.status_code in (200, 403)
    created = client.post("/congresses/new", data={"organisation_id": tree["x1"], "kind": "delegates",
                                                   "convened": 80})
    assert created.status_code == 302
    client.post("/congresses/new", data={"organisation_id": tree["x2"], "kind": "delegates", "convened": 80})
    with web.app_context():
        names = {o.name for o in db.session.scalars(select(Organisation))}
        assert "Chi bộ thôn 3" in names and "Chi bộ lạ" not in names
        assert [c.organisation_id for c in db.session.scalars(select(Congress))].count(tree["x2"]) == 1


def test_a_district_organiser_staffs_the_districts_congresses(web, tree):
    client = login(web, "huyen1")
    users_page = client.get("/users").get_data(as_text=True)
    assert "nhap-ts" not in users_page and "quantri" not in users_page
    response = client.post("/users", data={
        "user-username": "nhap1", "user-password": PASSWORD, "user-role": "counter",
        "user-organisation_id": tree["x1"], "user-org_role": "counter", "user-submit": "y"})
    assert response.status_code == 302
    with web.app_context():
        nhap1 = db.session.scalar(select(User).where(User.username == "nhap1"))
        assert nhap1.global_role is Role.COUNTER
        assert nhap1.role_in(tree["c1"]) is Role.COUNTER and nhap1.role_in(tree["c2"]) is None
        nhap1_id = nhap1.id
    # Assign the new counter as viewer of the district's congress; other districts are refused.
    assert client.post("/users/assign", data={"assign-user_id": nhap1_id, "assign-congress_id": tree["c1"],
                                              "assign-role": "viewer"}).status_code == 302
    assert client.post("/users/assign", data={"assign-user_id": nhap1_id, "assign-congress_id": tree["c2"],
                                              "assign-role": "counter"}).status_code == 302  # not a choice: flashed
    assert client.post("/users/grant", data={"grant-user_id": tree["other"], "grant-organisation_id": tree["x1"],
                                             "grant-role": "counter"}).status_code in (302, 403)
    assert client.post(f"/users/{tree['other']}/active").status_code == 403
    assert client.post(f"/users/{tree['other']}/password",
                       data={f"pw{tree['other']}-password": "mat-khau-moi-1"}).status_code == 403
    with web.app_context():
        nhap1 = db.session.get(User, nhap1_id)
        assert nhap1.role_in(tree["c1"]) is Role.VIEWER and nhap1.role_in(tree["c2"]) is None
        other = db.session.get(User, tree["other"])
        assert [g.organisation_id for g in other.grants] == [tree["x2"]] and other.active
    counter = login(web, "nhap1")
    assert counter.get(f"/congresses/{tree['c1']}").status_code == 200
    assert counter.get(f"/congresses/{tree['c2']}").status_code == 403


def test_global_roles_still_come_from_an_administrator(web, tree):
    with web.app_context():
        auth_services.create_user("xem", PASSWORD, Role.VIEWER)
        auth_services.create_user("tochuc", PASSWORD, Role.ORGANISER)
    viewer, organiser = login(web, "xem"), login(web, "tochuc")
    assert viewer.get(f"/congresses/{tree['c2']}").status_code == 200
    assert viewer.get(f"/congresses/{tree['c2']}/edit").status_code == 403
    assert organiser.get(f"/congresses/{tree['c2']}/edit").status_code == 200
    assert organiser.post("/organisations", data={"name": "Đảng bộ tỉnh Hòa Bình", "parent_id": 0,
                                                  "level": "province"}).status_code == 302


def test_an_organiser_made_viewer_of_a_congress_cannot_rename_its_organisation(web, tree):
    """Issue 10, finding 7: the downgrade held for the congress but not for its organisation."""
    with web.app_context():
        tochuc = auth_services.create_user("tochuc", PASSWORD, Role.ORGANISER)
        auth_services.assign(tochuc, db.session.get(Congress, tree["c1"]), Role.VIEWER)
        huyen1 = db.session.get(User, tree["huyen1"])
        auth_services.assign(huyen1, db.session.get(Congress, tree["c1"]), Role.VIEWER)
    for username in ("tochuc", "huyen1"):
        client = login(web, username)
        assert client.get(f"/organisations/{tree['x1']}/edit").status_code == 403
        response = client.post(f"/organisations/{tree['x1']}/edit",
                               data={"name": "Tên mới", "parent_id": tree["d1"], "level": "grassroots"})
        assert response.status_code == 403
        assert "Tên mới" not in client.get("/organisations").get_data(as_text=True)
    with web.app_context():
        assert db.session.get(Organisation, tree["x1"]).name == "Đảng bộ xã Hưng Long"
        tochuc = db.session.scalar(select(User).where(User.username == "tochuc"))
        assert not access.may_edit_organisation(tochuc, db.session.get(Organisation, tree["x1"]))
        assert access.may_edit_organisation(tochuc, db.session.get(Organisation, tree["x2"]))


def test_congress_roles_agree_with_the_rule_in_a_constant_number_of_queries(web, tree):
    from sqlalchemy import event

    with web.app_context():
        users = db.session.scalars(select(User)).all()
        congresses = db.session.scalars(select(Congress)).all()
        for user in users:
            expected = {c.id: access.role_in_congress(user, c) for c in congresses}
            assert access.congress_roles(user) == {cid: role for cid, role in expected.items() if role is not None}
        huyen1 = db.session.get(User, tree["huyen1"])
        assert set(access.congress_roles(huyen1)) == {tree["c1"]}
        db.session.expire_all()
        huyen1 = db.session.get(User, tree["huyen1"])
        huyen1.grants, huyen1.assignments  # noqa: B018 - loaded before counting
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            access.congress_roles(huyen1)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) == 2


def test_editable_organisations_agree_with_the_rule(web, tree):
    with web.app_context():
        tochuc = auth_services.create_user("tochuc", PASSWORD, Role.ORGANISER)
        auth_services.assign(tochuc, db.session.get(Congress, tree["c1"]), Role.VIEWER)
        organisations = db.session.scalars(select(Organisation)).all()
        for user in db.session.scalars(select(User)).all():
            expected = {o.id for o in organisations if access.may_edit_organisation(user, o)}
            assert access.editable_organisations(user) == expected, user.username


def test_an_administrator_creating_a_district_organiser_grants_no_province_wide_role_by_default(web, tree):
    """The user form's server-wide role defaults to none: an administrator who fills in only the
    name, the password and the district's organiser role makes a district organiser who sees
    nothing outside the district (a default "viewer" opened every congress of the server)."""
    admin = login(web, "quantri")
    form = admin.get("/users").get_data(as_text=True)
    role_select = form.split('id="user-role"')[1].split("</select>")[0]
    assert 'selected value="counter"' in role_select or 'value="counter" selected' in role_select
    response = admin.post("/users", data={
        "user-username": "huyen-moi", "user-password": PASSWORD, "user-role": "counter",
        "user-organisation_id": tree["d1"], "user-org_role": "organiser", "user-submit": "y"})
    assert response.status_code == 302
    district = login(web, "huyen-moi")
    assert district.get(f"/congresses/{tree['c1']}/edit").status_code == 200
    assert district.get(f"/congresses/{tree['c2']}").status_code == 403
    assert "Tân Minh" not in district.get("/").get_data(as_text=True)


def test_an_administrator_changes_a_users_server_wide_role(web, tree):
    """A district organiser made a global viewer by mistake is put back to the district only;
    the change applies at once, is logged, and only an administrator may make it."""
    with web.app_context():
        auth_services.create_user("nham", PASSWORD, Role.VIEWER, grant_on=db.session.get(Organisation, tree["d1"]),
                                  grant_role=Role.ORGANISER)
        nham_id = db.session.scalar(select(User.id).where(User.username == "nham"))
    mistaken = login(web, "nham")
    assert mistaken.get(f"/congresses/{tree['c2']}").status_code == 200  # the whole province, read-only
    district = login(web, "huyen1")
    assert district.post(f"/users/{nham_id}/role", data={"role": "counter"}).status_code == 403
    admin = login(web, "quantri")
    assert f'action="/users/{nham_id}/role"' in admin.get("/users").get_data(as_text=True)
    assert admin.post(f"/users/{nham_id}/role", data={"role": "counter"}).status_code == 302
    assert mistaken.get(f"/congresses/{tree['c2']}").status_code == 403
    assert mistaken.get(f"/congresses/{tree['c1']}/edit").status_code == 200
    assert admin.post(f"/users/{nham_id}/role", data={"role": "superuser"}).status_code == 400
    log = admin.get("/audit").get_data(as_text=True)
    assert "Đổi vai trò chung" in log


def test_the_header_names_a_district_organisers_role_and_district(web, tree):
    page = login(web, "huyen1").get("/").get_data(as_text=True)
    assert "Người tổ chức · Đảng bộ huyện Yên Lập" in page
    counter = login(web, "nhap-ts").get("/").get_data(as_text=True)
    assert "Người nhập phiếu · Đảng bộ xã Tân Minh" in counter


def _grant_ids(web, user_id: int) -> list[int]:
    with web.app_context():
        ids = [g.id for g in db.session.get(User, user_id).grants]
        db.session.remove()
    return ids


def test_an_administrator_revokes_a_grant_and_its_subtree_is_gone(web, tree):
    (grant_id,) = _grant_ids(web, tree["other"])
    admin = login(web, "quantri")
    assert f"/users/grants/{grant_id}/delete" in admin.get("/users").get_data(as_text=True)
    assert admin.post(f"/users/grants/{grant_id}/delete").status_code == 302
    assert _grant_ids(web, tree["other"]) == []
    with web.app_context():
        assert db.session.get(User, tree["other"]).role_in(tree["c2"]) is None
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.revoke")).one()
        assert entry.detail["username"] == "nhap-ts" and entry.detail["organisation_id"] == tree["x2"]
    assert login(web, "nhap-ts").get(f"/congresses/{tree['c2']}").status_code == 403


def test_a_district_organiser_revokes_grants_in_the_district_only(web, tree):
    client = login(web, "huyen1")
    (elsewhere,) = _grant_ids(web, tree["other"])  # a counter of another district's commune
    assert f"/users/grants/{elsewhere}/delete" not in client.get("/users").get_data(as_text=True)
    assert client.post(f"/users/grants/{elsewhere}/delete").status_code == 403
    assert _grant_ids(web, tree["other"]) == [elsewhere]
    with web.app_context():
        mine = auth_services.create_user("nhap-yl", PASSWORD, Role.COUNTER, grant_on=db.session.get(
            Organisation, tree["x1"]), grant_role=Role.COUNTER)
        mine_id = mine.id
        db.session.remove()
    (own_grant,) = _grant_ids(web, mine_id)
    assert client.post(f"/users/grants/{own_grant}/delete").status_code == 302
    assert _grant_ids(web, mine_id) == []
    assert client.post("/users/grants/999999/delete").status_code == 404
