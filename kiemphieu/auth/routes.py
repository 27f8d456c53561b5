"""Login, logout and the administrator's user pages."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Congress, CongressAssignment, Role, User
from . import services, throttle
from .access import public, require_role
from .forms import AssignmentForm, LoginForm, PasswordChangeForm, PasswordResetForm, UserForm, options

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
            audit.record("auth.login", user=user)
            db.session.commit()
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


@bp.route("/users", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def users():
    form = UserForm(prefix="user")
    assign_form = _assignment_form()
    if form.submit.data and form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data, form.password.data, form.role.data, full_name=form.full_name.data or "",
                by=current_user,
            )
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã tạo người dùng “{user.username}”.", "success")
            return redirect(url_for("auth.users"))
    all_users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("auth/users.html", form=form, assign_form=assign_form, users=all_users)


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm(prefix="assign")
    users = db.session.scalars(select(User).where(User.role != "admin").order_by(User.username))
    form.user_id.choices = options((u.id, u.username) for u in users)
    congresses = db.session.scalars(select(Congress).order_by(Congress.id))
    form.congress_id.choices = options((c.id, c.full_name) for c in congresses)
    return form


@bp.route("/users/assign", methods=["POST"])
@require_role(Role.ADMIN)
def assign():
    form = _assignment_form()
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        congress = db.session.get(Congress, form.congress_id.data)
        try:
            services.assign(user, congress, form.role.data, by=current_user)
        except services.UserError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã phân công “{user.username}” cho {congress.full_name}.", "success")
    else:
        flash("Chọn người dùng, đại hội và vai trò.", "error")
    return redirect(url_for("auth.users"))


@bp.route("/users/assignments/<int:assignment_id>/delete", methods=["POST"])
@require_role(Role.ADMIN)
def unassign(assignment_id: int):
    assignment = db.session.get(CongressAssignment, assignment_id) or abort(404)
    services.unassign(assignment, by=current_user)
    flash("Đã bỏ phân công.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role(Role.ADMIN)
def toggle_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("Không thể khóa tài khoản của chính mình.", "error")
    else:
        services.set_active(user, not user.active, by=current_user)
        flash(f"Đã {'mở khóa' if user.active else 'khóa'} tài khoản “{user.username}”.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require_role(Role.ADMIN)
def reset_password(user_id: int):
    """An administrator sets another user's password (their sessions end)."""
    user = db.session.get(User, user_id) or abort(404)
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
