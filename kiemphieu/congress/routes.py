"""Set-up pages (views stay thin: forms in forms.py, writes in services.py)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from ..auth.access import require_role
from ..extensions import db
from ..models import Congress, Role

bp = Blueprint("congress", __name__)


def visible_congresses() -> list[Congress]:
    congresses = db.session.scalars(select(Congress).order_by(Congress.start_date.desc(), Congress.id.desc())).all()
    return [c for c in congresses if current_user.role_in(c.id) is not None]


@bp.route("/")
@require_role(Role.VIEWER)
def index():
    return render_template("congress/index.html", congresses=visible_congresses())
