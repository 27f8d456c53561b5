"""Downloads: the ballots of a round (PDF + layout JSON), the congress results summary and the
entry log. The PDFs are made by the worker (``kiemphieu.jobs``): these routes ask for them and
send the user to the waiting page, or to the document when it is already made."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, g, redirect, request, url_for

from ..auth.access import require_role
from ..models import Role
from . import services
from ..jobs.routes import document_response

bp = Blueprint("documents", __name__)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/rounds/<int:round_id>/ballots.pdf")
@require_role(Role.ORGANISER)
def ballots_pdf(round_id: int):
    """The printable ballots: one page per ballot, identical (no serial number: secret vote)."""
    copies = request.args.get("copies", default=1, type=int)
    if not 1 <= copies <= services.MAX_COPIES:
        flash(f"Số bản in phải từ 1 đến {services.MAX_COPIES}.", "error")
        return redirect(url_for("congress.round_page", round_id=round_id))
    return document_response("ballots", {"round_id": round_id, "copies": copies},
                             url_for("congress.round_page", round_id=round_id))


@bp.route("/rounds/<int:round_id>/layout.json")
@require_role(Role.VIEWER)
def layout_json(round_id: int):
    """The geometry the scanners read with (contract `kiemphieu/layout-1`)."""
    from ..ocr import layout_for

    layout = layout_for(g.round.to_election()).to_json()
    return Response(json.dumps(layout, ensure_ascii=False, indent=2), mimetype="application/json")


@bp.route("/congresses/<int:congress_id>/summary.pdf")
@require_role(Role.VIEWER)
def summary_pdf(congress_id: int):
    """All elections and rounds on one document, for the presidium to announce."""
    return document_response("summary", {"congress_id": congress_id},
                             url_for("congress.show", congress_id=congress_id))


@bp.route("/rounds/<int:round_id>/entry-log.pdf")
@require_role(Role.VIEWER)
def entry_log_pdf(round_id: int):
    """Nhật ký nhập phiếu bầu: every ballot saved in every pass, undos, rulings, totals, digest."""
    from ..results import services as results_services, signing
    from ..results.routes import verify_url_base

    round_ = g.round
    if round_.status == "setup":
        flash("Vòng bầu chưa bắt đầu nhập phiếu.", "warning")
        return redirect(url_for("congress.round_page", round_id=round_id))
    version = results_services.latest_version(round_) if round_.is_finalised else None
    signed = signing.signed_document(round_, version, signing.ENTRY_LOG)
    if signed:  # the office's signed file, kept as is: read, not rendered
        return _pdf(signed, f"nhat-ky-nhap-phieu-vong-{round_.number}.pdf")
    return document_response("entry_log", {"round_id": round_id, "verify_url_base": verify_url_base()},
                             url_for("results.show", round_id=round_id))
