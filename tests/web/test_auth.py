"""Login, logout, roles scoped to a congress, CSRF, the user pages and services."""

import pytest

from kiemphieu.auth import services
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry, CongressAssignment, Role, User

from .conftest import PASSWORD


def page(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_is_vietnamese(client):
    html = page(client.get("/login"))
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html


def test_pages_need_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_scripts_get_401_instead_of_the_login_page(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert client.post("/rounds/1/start", json={}).status_code == 401


def test_login_logout(client, make_user):
    make_user("lan", Role.VIEWER)
    response = client.post("/login?next=/organisations", data={"username": "lan", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/organisations"
    assert client.get("/").status_code == 200
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry))]
    assert "auth.login" in actions
    response = client.post("/logout", follow_redirects=True)
    assert "Đã đăng xuất." in page(response)
    assert client.get("/").status_code == 302


def test_wrong_password_and_inactive_user_are_refused(client, make_user):
    user = make_user("binh", Role.ADMIN)
    response = client.post("/login", data={"username": "binh", "password": "sai-mat-khau"})
    assert response.status_code == 200 and "Sai tên đăng nhập hoặc mật khẩu." in page(response)
    services.set_active(user, False)
    response = client.post("/login", data={"username": "binh", "password": PASSWORD})
    assert "Sai tên đăng nhập hoặc mật khẩu." in page(response)


def test_next_never_leaves_the_site(client, make_user):
    make_user("an", Role.VIEWER)
    response = client.post("/login?next=//evil.example/x", data={"username": "an", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed(make_user):
    user = make_user("cuong", Role.COUNTER)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password(PASSWORD) and not user.check_password("khac")


def test_counter_sees_only_assigned_congresses(client, auth, make_congress):
    mine = make_congress(name="Đại hội đại biểu Đảng bộ xã A")
    other = make_congress(name="Đại hội đại biểu Đảng bộ xã B")
    auth.as_role(Role.COUNTER, congresses={mine: Role.COUNTER})
    index = page(client.get("/"))
    assert "Đảng bộ xã A" in index and "Đảng bộ xã B" not in index
    assert client.get(f"/congresses/{mine.id}").status_code == 200
    assert client.get(f"/congresses/{other.id}").status_code == 403
    assert "Bạn không có quyền" in page(client.get(f"/congresses/{other.id}"))


def test_counter_is_refused_nested_objects_of_other_congresses(client, auth, make_election):
    election = make_election()
    auth.as_role(Role.COUNTER)
    round_id = election.rounds[0].id
    for url in (f"/elections/{election.id}", f"/rounds/{round_id}", f"/rounds/{round_id}/ballot",
                f"/candidates/{election.candidates[0].id}/edit"):
        assert client.get(url).status_code == 403, url


def test_viewer_cannot_change_setup(client, auth, make_congress):
    congress = make_congress()
    auth.as_role(Role.VIEWER)
    assert client.get(f"/congresses/{congress.id}").status_code == 200
    assert client.get(f"/congresses/{congress.id}/edit").status_code == 403
    assert client.post(f"/congresses/{congress.id}/exclusions", data={"count": 1, "reason": "x"}).status_code == 403
    assert client.get("/organisations").status_code == 403


def test_assignment_can_raise_a_role_in_one_congress(client, auth, make_congress):
    congress = make_congress()
    auth.as_role(Role.COUNTER, congresses={congress: Role.ORGANISER})
    assert client.get(f"/congresses/{congress.id}/edit").status_code == 200


def test_mismatched_ids_in_one_url_are_not_found(client, auth, make_congress):
    first, second = make_congress(), make_congress()
    exclusion_owner = first
    from kiemphieu.congress import services as setup

    exclusion = setup.add_exclusion(exclusion_owner, 1, "Vắng mặt")
    auth.as_role(Role.ADMIN)
    response = client.post(f"/congresses/{second.id}/exclusions/{exclusion.id}/delete")
    assert response.status_code == 404


def test_missing_objects_are_404(client, auth):
    auth.as_role(Role.ADMIN)
    assert client.get("/congresses/999").status_code == 404
    assert client.get("/rounds/999").status_code == 404


def test_csrf_refuses_a_post_without_token(csrf_client, csrf_app):
    services.create_user("thu", PASSWORD, Role.ADMIN)
    response = csrf_client.post("/login", data={"username": "thu", "password": PASSWORD})
    assert response.status_code == 400
    # With the token from the form, the same login works.
    html = page(csrf_client.get("/login"))
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = csrf_client.post("/login", data={"username": "thu", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # Logged in, a set-up POST without the token is still refused.
    response = csrf_client.post("/organisations", data={"name": "Đảng bộ xã X", "parent_id": 0})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "organisation.create")) == 0


def test_admin_creates_users_and_assigns_them(client, auth, make_congress):
    congress = make_congress()
    auth.as_role(Role.ADMIN)
    response = client.post("/users", data={"user-username": "nhap1", "user-full_name": "Tổ kỹ thuật",
                                           "user-role": "counter", "user-password": "mat-khau-dai",
                                           "user-submit": "1"}, follow_redirects=True)
    assert "Đã tạo người dùng “nhap1”." in page(response)
    user = db.session.scalar(db.select(User).where(User.username == "nhap1"))
    assert user.role == "counter" and user.check_password("mat-khau-dai")
    response = client.post("/users/assign", data={"assign-user_id": user.id, "assign-congress_id": congress.id,
                                                  "assign-role": "counter"}, follow_redirects=True)
    assert "Đã phân công “nhap1”" in page(response)
    assert user.role_in(congress.id) is Role.COUNTER
    assignment = db.session.scalar(db.select(CongressAssignment))
    client.post(f"/users/assignments/{assignment.id}/delete")
    db.session.expire_all()
    assert user.role_in(congress.id) is None


def test_only_an_administrator_gives_global_roles(client, auth, make_user):
    admin = make_user("quantri", Role.ADMIN)
    auth.as_role(Role.ORGANISER)
    html = page(client.get("/users"))
    assert 'value="admin"' not in html and 'value="organiser"' not in html.split('id="user-role"')[1].split("</select>")[0]
    client.post("/users", data={"user-username": "moi", "user-password": PASSWORD, "user-role": "admin",
                                "user-organisation_id": "0", "user-org_role": "counter", "user-submit": "y"})
    assert db.session.scalar(db.select(User).where(User.username == "moi")) is None
    assert client.post(f"/users/{admin.id}/active").status_code == 403


def test_viewers_have_no_user_pages(client, auth):
    auth.as_role(Role.VIEWER)
    assert client.get("/users").status_code == 403


def test_duplicate_username_and_short_password_are_refused(app):
    services.create_user("an", PASSWORD, Role.VIEWER)
    with pytest.raises(services.UserError, match="đã có"):
        services.create_user("an", PASSWORD, Role.VIEWER)
    with pytest.raises(services.UserError, match="ít nhất 8"):
        services.create_user("binh", "ngan", Role.VIEWER)
