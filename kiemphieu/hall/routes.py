"""The hall's projector page, the JSON it polls, and the presentation files (PPTX, PDF)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, url_for

from ..auth.access import require_role
from ..jobs.routes import document_response
from ..models import Role
from . import services

bp = Blueprint("hall", __name__)

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@bp.route("/congresses/<int:congress_id>/hall")
@require_role(Role.VIEWER)
def show(congress_id: int):
    """Full screen for the projector: no navigation; ←/→ or a clicker moves between elections."""
    return render_template("hall/hall.html", congress=g.congress, state=services.hall_state(g.congress),
                           COUNTING=services.COUNTING, FINAL=services.FINAL)


@bp.route("/congresses/<int:congress_id>/hall.json")
@require_role(Role.VIEWER)
def state(congress_id: int):
    response = jsonify(services.hall_state(g.congress))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/congresses/<int:congress_id>/results.pptx")
@require_role(Role.VIEWER)
def pptx(congress_id: int):
    """The finalised results as slides the hall computer opens without the app (made by the worker)."""
    return document_response("slides_pptx", {"congress_id": congress_id},
                             url_for("congress.show", congress_id=congress_id))


@bp.route("/congresses/<int:congress_id>/results-slides.pdf")
@require_role(Role.VIEWER)
def slides_pdf(congress_id: int):
    return document_response("slides_pdf", {"congress_id": congress_id},
                             url_for("congress.show", congress_id=congress_id))
