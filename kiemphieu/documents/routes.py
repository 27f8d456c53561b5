"""Downloads: the ballots of a round (PDF + layout JSON) and the congress results summary."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, g, redirect, request, url_for

from ..auth.access import require_role
from ..models import Role
from . import services
from .rendering import Busy, busy_response, render_outside_transaction

bp = Blueprint("documents", __name__)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/rounds/<int:round_id>/ballots.pdf")
@require_role(Role.ORGANISER)
def ballots_pdf(round_id: int):
    """The printable ballots: one page per ballot, identical (no serial number: secret vote)."""
    from ..ocr import render_ballot_pdf

    copies = request.args.get("copies", default=1, type=int)
    if not 1 <= copies <= services.MAX_COPIES:
        flash(f"Số bản in phải từ 1 đến {services.MAX_COPIES}.", "error")
        return redirect(url_for("congress.round_page", round_id=round_id))
    election, number = g.round.to_election(), g.round.number
    try:
        pdf = render_outside_transaction(lambda: render_ballot_pdf(election, copies=copies))
    except Busy:
        return busy_response()
    return _pdf(pdf, f"phieu-bau-vong-{number}.pdf")


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
    from ..minutes import render_congress_summary

    congress = g.congress
    rounds = services.summary_rounds(congress)
    if not rounds:
        flash("Chưa có vòng bầu nào bắt đầu kiểm phiếu.", "warning")
        return redirect(url_for("congress.show", congress_id=congress_id))
    arguments = (congress.full_name, congress.organisation.name, [(r.election, r.result) for r in rounds])
    options = dict(digests=[r.digest for r in rounds], place=congress.date_place or None,
                   signer=congress.presidium_signer or None,
                   draft=any(r.digest is None for r in rounds))
    try:
        pdf = render_outside_transaction(lambda: render_congress_summary(*arguments, **options))
    except Busy:
        return busy_response()
    return _pdf(pdf, "tong-hop-ket-qua-bau-cu.pdf")


@bp.route("/rounds/<int:round_id>/entry-log.pdf")
@require_role(Role.VIEWER)
def entry_log_pdf(round_id: int):
    """Nhật ký nhập phiếu bầu: every ballot saved in every pass, undos, rulings, totals, digest."""
    from ..results.routes import verify_url_base
    from .entry_log import entry_log_pdf as render

    round_ = g.round
    if round_.status == "setup":
        flash("Vòng bầu chưa bắt đầu nhập phiếu.", "warning")
        return redirect(url_for("congress.round_page", round_id=round_id))
    from ..results import services as results_services, signing

    draft = "" if round_.is_finalised else "-ban-nhap"
    version = results_services.latest_version(round_) if round_.is_finalised else None
    name = f"nhat-ky-nhap-phieu-vong-{round_.number}{draft}.pdf"
    try:
        pdf = signing.signed_document(round_, version, signing.ENTRY_LOG) or render(round_, verify_url_base())
    except Busy:
        return busy_response()
    return _pdf(pdf, name)
