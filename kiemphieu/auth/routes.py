"""Login, logout and the administrator's user pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Congress, CongressAssignment, Role, User
from . import services
from .access import public, require_role
from .forms import AssignmentForm, LoginForm, UserForm, options

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site (never //host or http://...)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("congress.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("congress.index"))
    form = LoginForm()
    if form.validate_on_submit():
        locked = services.login_locked_minutes(form.username.data)
        user = None if locked else services.authenticate(form.username.data, form.password.data)
        if locked:
            flash(f"Đăng nhập sai quá nhiều lần. Tài khoản này tạm khóa, hãy thử lại sau {locked} phút.", "error")
        elif user is None:
            services.record_login_failure(form.username.data, request.remote_addr)
            flash("Sai tên đăng nhập hoặc mật khẩu.", "error")
        else:
            login_user(user, remember=form.remember.data)
            audit.record("auth.login", user=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        audit.record("auth.logout", user=current_user._get_current_object())
        db.session.commit()
        logout_user()
    flash("Đã đăng xuất.", "success")
    return redirect(url_for("auth.login"))


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
