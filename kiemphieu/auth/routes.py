"""Login, logout and the administrator's user pages."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Congress, CongressAssignment, Organisation, OrganisationGrant, Role, User
from ..season.tree import natural_key, tree_options
from ..tally.names import search_fold as fold
from . import access, services, throttle
from .access import public, require_role
from .forms import (
    GLOBAL_ROLE_CHOICES,
    ROLE_CHOICE_LABELS,
    AssignmentForm,
    GrantForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserForm,
    options,
)

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: one leading slash, no scheme or host once normalised.

    Browsers drop tabs and newlines and read a backslash as a slash, so ``/\t/evil.example``
    or ``/\\evil.example`` would become ``//evil.example``: any control character, backslash
    or percent-escaped one is refused outright.
    """
    fallback = url_for("congress.index")
    if not target or len(target) > 2000:
        return fallback
    decoded = unquote(target)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in decoded + target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if decoded.startswith("//") or urlsplit(decoded).netloc:
        return fallback
    return target


def _client_address() -> str:
    return request.remote_addr or "-"


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("congress.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data.strip(), _client_address()
        reservation = throttle.reserve(username, address)
        if not reservation.allowed:
            flash("Đăng nhập sai quá nhiều lần từ máy này. Hãy thử lại sau "
                  f"{reservation.minutes_left} phút.", "error")
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(username, form.password.data)
        if user is None:
            throttle.failed(reservation, username, address)
            flash("Sai tên đăng nhập hoặc mật khẩu.", "error")
        else:
            throttle.succeeded(reservation)
            login_user(user, remember=form.remember.data)
            services.record_login(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
        logout_user()
    flash("Đã đăng xuất.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@require_role(Role.VIEWER)
def own_password():
    """Every user changes their own password; their other sessions end, this one goes on."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_own_password(user, form.current.data, form.new.data)
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(db.session.get(User, user.id), remember=remembered)
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn (và mã máy trạm quét) đã hết hiệu lực.",
                  "success")
            return redirect(url_for("congress.index"))
    return render_template("auth/password.html", form=form)


# ------------------------------------------------------------------ users (administrators; organisers in scope)


def _me() -> User:
    return current_user._get_current_object()


def _scope() -> set[int] | None:
    """The current user's organiser scope, read once per request (lists ask it per row)."""
    if "organiser_scope" not in g:
        g.organiser_scope = access.organiser_scope(_me())
    return g.organiser_scope


def _in_scope(organisation_id: int | None) -> bool:
    scope = _scope()
    return organisation_id is not None and (scope is None or organisation_id in scope)


def _managed_users() -> list[User]:
    """Every user the current user manages (and themselves), with their grants and assignments
    loaded in three queries whatever their number."""
    if "managed_users" not in g:
        me, scope = _me(), _scope()
        users = db.session.scalars(
            select(User).order_by(User.username).options(
                selectinload(User.grants).joinedload(OrganisationGrant.organisation),
                selectinload(User.assignments).joinedload(CongressAssignment.congress),
            )).all()
        g.managed_users = [u for u in users if u.id == me.id or access.manages_user(me, u, scope)]
    return g.managed_users


USERS_PER_PAGE = 50


def _users_page(users: list[User]) -> tuple[list[User], dict]:
    """The users the search (``q``: username or full name, tone marks and case ignored) and the
    page ask for, and what the template needs to page through them."""
    query = request.args.get("q", "").strip()[:100]
    if query:
        needle = fold(query)
        users = [u for u in users if needle in fold(u.username) or needle in fold(u.full_name or "")]
    pages = max(1, -(-len(users) // USERS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = users[(page - 1) * USERS_PER_PAGE:page * USERS_PER_PAGE]
    return shown, {"query": query, "page": page, "pages": pages, "total": len(users)}


def _managed(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if not access.manages_user(_me(), user):
        abort(403)
    return user


def _organisation_options(blank: bool) -> list:
    scope = access.organisation_scope(_me(), Role.ORGANISER)
    return options(([(0, "— Không giao —")] if blank else []) + tree_options(scope))


def _user_form() -> UserForm:
    form = UserForm(prefix="user")
    global_organiser = _scope() is None
    form.organisation_id.choices = _organisation_options(blank=global_organiser)
    if not _me().is_admin:
        # Only an administrator gives global roles; an organiser's users hold roles in the scope only.
        form.role.choices = options([(Role.COUNTER.value, "Chỉ theo phân công")])
    return form


@bp.route("/users", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def users():
    form = _user_form()
    if form.submit.data and form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data) if form.organisation_id.data else None
        if organisation is None and _scope() is not None:
            flash("Chọn tổ chức đảng để giao vai trò cho người dùng mới.", "error")
        elif organisation is not None and not _in_scope(organisation.id):
            abort(403)
        else:
            try:
                user = services.create_user(
                    form.username.data, form.password.data, form.role.data, full_name=form.full_name.data or "",
                    by=_me(), grant_on=organisation, grant_role=form.org_role.data,
                )
            except services.UserError as exc:
                flash(str(exc), "error")
            else:
                flash(f"Đã tạo người dùng “{user.username}”.", "success")
                return redirect(url_for("auth.users"))
    scope = _scope()
    shown, paging = _users_page(_managed_users())
    return render_template("auth/users.html", form=form, assign_form=_assignment_form(), grant_form=_grant_form(),
                           users=shown, paging=paging, global_roles=GLOBAL_ROLE_CHOICES, manages=lambda u: access.manages_user(_me(), u, scope),
                           in_scope=lambda organisation_id: scope is None or organisation_id in scope)


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm(prefix="assign")
    form.user_id.choices = options((u.id, u.username) for u in _managed_users() if not u.is_admin and u.id != _me().id)
    scope = _scope()
    congresses = [c for c in db.session.scalars(select(Congress))
                  if scope is None or c.organisation_id in scope]
    congresses.sort(key=lambda c: (natural_key(c.name), c.id))
    form.congress_id.choices = options((c.id, c.full_name) for c in congresses)
    return form


def _grant_form() -> GrantForm:
    form = GrantForm(prefix="grant")
    form.user_id.choices = options((u.id, u.username) for u in _managed_users() if not u.is_admin and u.id != _me().id)
    form.organisation_id.choices = _organisation_options(blank=False)
    return form


@bp.route("/users/assign", methods=["POST"])
@require_role(Role.ORGANISER)
def assign():
    form = _assignment_form()
    if form.validate_on_submit():
        user = _managed(form.user_id.data)
        congress = db.session.get(Congress, form.congress_id.data) or abort(404)
        if not _in_scope(congress.organisation_id):
            abort(403)
        try:
            services.assign(user, congress, form.role.data, by=_me())
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã phân công “{user.username}” cho {congress.full_name}.", "success")
    else:
        flash("Chọn người dùng, đại hội và vai trò.", "error")
    return redirect(url_for("auth.users"))


@bp.route("/users/grant", methods=["POST"])
@require_role(Role.ORGANISER)
def grant():
    form = _grant_form()
    if form.validate_on_submit():
        user = _managed(form.user_id.data)
        organisation = db.session.get(Organisation, form.organisation_id.data) or abort(404)
        if not _in_scope(organisation.id):
            abort(403)
        try:
            services.grant(user, organisation, form.role.data, by=_me())
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã giao vai trò cho “{user.username}” trên {organisation.name} và các cấp dưới.", "success")
    else:
        flash("Chọn người dùng, tổ chức đảng và vai trò.", "error")
    return redirect(url_for("auth.users"))


@bp.route("/users/grants/<int:grant_id>/delete", methods=["POST"])
@require_role(Role.ORGANISER)
def revoke(grant_id: int):
    grant = db.session.get(OrganisationGrant, grant_id) or abort(404)
    _managed(grant.user_id)
    if not _in_scope(grant.organisation_id):
        abort(403)
    services.revoke(grant, by=_me())
    flash("Đã bỏ vai trò trên tổ chức đảng.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/assignments/<int:assignment_id>/delete", methods=["POST"])
@require_role(Role.ORGANISER)
def unassign(assignment_id: int):
    assignment = db.session.get(CongressAssignment, assignment_id) or abort(404)
    _managed(assignment.user_id)
    if not _in_scope(assignment.congress.organisation_id):
        abort(403)
    services.unassign(assignment, by=_me())
    flash("Đã bỏ phân công.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@require_role(Role.ADMIN)
def change_role(user_id: int):
    user = _managed(user_id)
    role = request.form.get("role", "")
    if role not in {choice.value for choice in GLOBAL_ROLE_CHOICES}:
        abort(400)
    try:
        services.set_global_role(user, role, by=_me())
    except services.UserError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã đổi vai trò chung của “{user.username}”: {ROLE_CHOICE_LABELS[role]}.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role(Role.ORGANISER)
def toggle_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("Không thể khóa tài khoản của chính mình.", "error")
    else:
        user = _managed(user_id)
        services.set_active(user, not user.active, by=_me())
        flash(f"Đã {'mở khóa' if user.active else 'khóa'} tài khoản “{user.username}”.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require_role(Role.ORGANISER)
def reset_password(user_id: int):
    """An administrator, or an organiser for a user in their scope, sets another user's
    password (their sessions end)."""
    user = _managed(user_id)
    form = PasswordResetForm(prefix=f"pw{user.id}")
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data, by=current_user._get_current_object())
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã đặt mật khẩu mới cho “{user.username}”.", "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("auth.users"))
