"""The hall's projector page, the JSON it polls, and the presentation files (PPTX, PDF)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, url_for

from ..auth.access import require_role
from ..documents.rendering import Busy, busy_response, render_outside_transaction
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


def _no_results(congress_id: int):
    flash("Chưa có vòng bầu nào được chốt kết quả.", "warning")
    return redirect(url_for("congress.show", congress_id=congress_id))


@bp.route("/congresses/<int:congress_id>/results.pptx")
@require_role(Role.VIEWER)
def pptx(congress_id: int):
    """The finalised results as slides the hall computer opens without the app."""
    from .presentation import render_pptx

    return _presentation(congress_id, render_pptx, PPTX_TYPE, 'attachment; filename="ket-qua-bau-cu.pptx"')


@bp.route("/congresses/<int:congress_id>/results-slides.pdf")
@require_role(Role.VIEWER)
def slides_pdf(congress_id: int):
    from .presentation import render_slides_pdf

    return _presentation(congress_id, render_slides_pdf, "application/pdf",
                         'inline; filename="ket-qua-bau-cu-trinh-chieu.pdf"')


def _presentation(congress_id: int, render, mimetype: str, disposition: str):
    """Slides gathered first (plain data), rendered with the transaction ended in a render slot."""
    slides = services.finalised_slides(g.congress)
    if not slides:
        return _no_results(congress_id)
    name = g.congress.full_name
    try:
        data = render_outside_transaction(lambda: render(name, slides))
    except Busy:
        return busy_response()
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": disposition})
