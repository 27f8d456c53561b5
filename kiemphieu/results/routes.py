"""Results (live while entry goes on), finalisation, reopening, versions, minutes and /verify."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import labels, tally
from ..audit import check as audit_check
from ..auth.access import public, require_role
from ..documents.rendering import render_outside_transaction
from ..entry.comparison import compare_passes
from ..models import BODY_LABELS, EntryPass, ResultVersion, Role
from ..scanning.outstanding import LISTED, outstanding_scans
from . import services, signing
from .forms import FinaliseForm, NextRoundForm, ReopenForm, SignForm
from .services import ResultsError

bp = Blueprint("results", __name__)

STATUS_LABELS = labels.RESULT_STATUS_LABELS
DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


percent_vi = labels.percent_vi


def outcome_text(rr: services.RoundResult) -> list[str]:
    """Ties and unfilled seats in words: the same sentences as the minutes."""
    from ..minutes.context import outcome_paragraphs

    return outcome_paragraphs(rr.election, rr.result)


def _view_context(round_, rr: services.RoundResult, version=None) -> dict:
    comparison = None
    if version is None and round_.mode.compared and not round_.is_finalised:
        comparison = compare_passes(round_)
    return dict(round=round_, rr=rr, result=rr.result, election=rr.election, version=version,
                comparison=comparison, status_labels=STATUS_LABELS, percent_vi=percent_vi,
                notes=services.reconciliation_notes(rr.election, rr.result, finalised=version is not None),
                scanned=len(round_.active_ballots(EntryPass.SCAN)) if version is None else None,
                outcome=outcome_text(rr), reason_labels=tally.REASON_LABELS, body_labels=BODY_LABELS,
                names=rr.election.display_names)


@bp.route("/rounds/<int:round_id>/results")
@require_role(Role.VIEWER)
def show(round_id: int):
    round_ = g.round
    if round_.status == "setup":
        flash("Vòng bầu chưa bắt đầu nhập phiếu.", "warning")
        return redirect(url_for("congress.round_page", round_id=round_id))
    version = services.latest_version(round_) if round_.is_finalised else None
    rr = services.version_result(version) if version else services.current_result(round_)
    context = _view_context(round_, rr, version)
    if request.headers.get("X-Partial"):
        return render_template("results/_live.html", **context)
    ballot_check, version_checks = audit_check.round_integrity(round_)
    logged = next((c for c in version_checks if version and c.version == version.version), None)
    return render_template(
        "results/show.html", **context,
        signature=signing.signature_of(round_, version), can_sign=signing.signing_key() is not None,
        log_signature=signing.signature_of(round_, version, signing.ENTRY_LOG),
        sign_form=SignForm(),
        digest_ok=(version is None or (rr.digest == version.digest == round_.digest)),
        ballot_check=ballot_check, version_check=logged,
        reopen_form=ReopenForm(),
        next_proposal=rr.result.next_round if round_.is_finalised and round_.election.current_round is round_ else None,
        g_role=g.role,
    )


@bp.route("/rounds/<int:round_id>/finalise", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def finalise(round_id: int):
    round_ = g.round
    if round_.is_finalised:
        flash("Vòng bầu đã chốt kết quả.", "warning")
        return redirect(url_for(".show", round_id=round_id))
    form = FinaliseForm()
    confirmed = request.form.getlist("confirmed")
    if form.validate_on_submit():
        try:
            version = services.finalise(round_, confirmed, acknowledge_checks=form.acknowledge_checks.data)
        except ResultsError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã chốt kết quả (phiên bản {version.version}). Mã xác thực: {version.digest}", "success")
            return redirect(url_for(".show", round_id=round_id))
    rr = services.current_result(round_)
    return render_template("results/finalise.html", round=round_, rr=rr, form=form, outcome=outcome_text(rr),
                           notes=services.reconciliation_notes(rr.election, rr.result, finalised=False),
                           blockers=services.finalisation_blockers(round_), committee=services.committee(round_),
                           unfinished=outstanding_scans(round_), listed=LISTED,
                           confirmed=set(confirmed), head_role=services.HEAD_ROLE)


@bp.route("/rounds/<int:round_id>/reopen", methods=["POST"])
@require_role(Role.ADMIN)
def reopen(round_id: int):
    form = ReopenForm()
    if not form.validate_on_submit():
        for error in form.reason.errors:
            flash(error, "error")
        return redirect(url_for(".show", round_id=round_id))
    try:
        services.reopen(g.round, form.reason.data)
    except ResultsError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã mở lại vòng bầu. Phiên bản kết quả cũ vẫn được lưu; lần chốt sau tạo phiên bản mới.", "success")
    return redirect(url_for(".show", round_id=round_id))


@bp.route("/rounds/<int:round_id>/next-round", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def next_round(round_id: int):
    round_ = g.round
    version = services.latest_version(round_)
    if not round_.is_finalised or version is None:
        flash("Chốt kết quả vòng này trước khi mở vòng sau.", "error")
        return redirect(url_for(".show", round_id=round_id))
    rr = services.version_result(version)
    proposal = rr.result.next_round
    form = NextRoundForm(seats=proposal.seats if proposal else 1, entry_mode=round_.entry_mode)
    if form.validate_on_submit():
        try:
            new_round = services.open_next_round(round_, form.seats.data, request.form.getlist("candidates"),
                                                 form.entry_mode.data)
        except ResultsError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã mở vòng {new_round.number}. Nhập số có mặt và số phiếu phát ra, rồi bắt đầu nhập phiếu.",
                  "success")
            return redirect(url_for("congress.round_page", round_id=new_round.id))
    chosen = set(request.form.getlist("candidates")) if request.method == "POST" else set(
        proposal.candidates if proposal else ())
    return render_template("results/next_round.html", round=round_, rr=rr, form=form, proposal=proposal,
                           candidates=round_.election.candidates_in_ballot_order(), chosen=chosen,
                           names=round_.election.display_names,
                           outcome=outcome_text(rr))


@bp.route("/rounds/<int:round_id>/versions")
@require_role(Role.VIEWER)
def versions(round_id: int):
    round_ = g.round
    checks = {c.version: c for c in audit_check.round_integrity(round_)[1]}
    rows = [(v, services.version_result(v), checks.get(v.version)) for v in round_.result_versions]
    missing = [c for c in checks.values() if c.version not in {v.version for v in round_.result_versions}]
    return render_template("results/versions.html", round=round_, rows=rows, missing=missing)


@bp.route("/rounds/<int:round_id>/versions/<int:number>")
@require_role(Role.VIEWER)
def version(round_id: int, number: int):
    round_ = g.round
    chosen = next((v for v in round_.result_versions if v.version == number), None) or abort(404)
    rr = services.version_result(chosen)
    return render_template("results/version.html", **_view_context(round_, rr, chosen),
                           digest_ok=rr.digest == chosen.digest)


def verify_url_base() -> str:
    """The address printed in the minutes' QR code: the deployment's VERIFY_URL_BASE (the
    server's LAN name), else the address this request came in on."""
    return (current_app.config.get("VERIFY_URL_BASE") or request.host_url).rstrip("/")


@bp.route("/rounds/<int:round_id>/minutes.pdf")
@require_role(Role.VIEWER)
def minutes(round_id: int):
    """The minutes: the certified record of the latest version (signed, once the office signed
    it), or a draft of the live count."""
    round_ = g.round
    version = services.latest_version(round_) if round_.is_finalised else None
    signed = signing.signed_minutes(round_, version)
    if signed:  # the office's signed file, kept as is: read, not rendered
        return Response(signed, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="bien-ban-kiem-phieu-vong-{round_.number}.pdf"'})
    from ..jobs.routes import document_response

    return document_response("minutes", {"round_id": round_id, "verify_url_base": verify_url_base()},
                             url_for(".show", round_id=round_id))


def render_minutes_for(round_, version) -> bytes:
    from ..minutes import render_minutes

    inputs = services.minutes_inputs(round_, version)
    render_kwargs = inputs.render_kwargs(verify_url_base())
    # Everything is gathered: render with the transaction ended, in a render slot (Busy: 503).
    return render_outside_transaction(
        lambda: render_minutes(inputs.rr.election, inputs.rr.ballots, **render_kwargs))


@bp.route("/rounds/<int:round_id>/minutes/sign", methods=["POST"])
@require_role(Role.ORGANISER)
def sign_minutes(round_id: int):
    """The office signs the certified minutes with the deployment's key (PAdES): the worker's
    document when it is made (the same bytes), else rendered here in a render slot."""
    from ..jobs.services import finished_document

    params = {"round_id": round_id, "verify_url_base": verify_url_base()}
    return _sign(signing.MINUTES, lambda round_, version: (
        finished_document("minutes", params) or render_minutes_for(round_, version)))


@bp.route("/rounds/<int:round_id>/entry-log/sign", methods=["POST"])
@require_role(Role.ORGANISER)
def sign_entry_log(round_id: int):
    """The office signs the round's entry log (Nhật ký nhập phiếu bầu) with the deployment's key."""
    from ..documents.entry_log import entry_log_pdf
    from ..jobs.services import finished_document

    params = {"round_id": round_id, "verify_url_base": verify_url_base()}
    return _sign(signing.ENTRY_LOG, lambda round_, version: (
        finished_document("entry_log", params) or entry_log_pdf(round_, verify_url_base())))


def _sign(kind: str, render):
    round_ = g.round
    version = services.latest_version(round_) if round_.is_finalised else None
    if version is None or not SignForm().validate_on_submit():
        flash("Chỉ ký được tài liệu của vòng bầu đã chốt kết quả.", "error")
        return redirect(url_for(".show", round_id=round_.id))
    try:
        check = signing.sign_document(round_, version, render(round_, version), kind)
    except ResultsError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ký số {signing.KINDS[kind].lower()} (phiên bản {version.version}): {check.signer}.", "success")
    return redirect(url_for(".show", round_id=round_.id))


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)


def printed_minutes(version: ResultVersion) -> Markup:
    """The body of the very HTML the version's minutes PDF is printed from."""
    from ..minutes import minutes_html

    inputs = services.minutes_inputs(version.round, version)
    html = minutes_html(inputs.rr.election, inputs.rr.result, inputs.rr.digest,
                        **inputs.render_kwargs(verify_url_base()))
    return Markup(_BODY.search(html).group(1))


@bp.route("/verify/<digest>")
@public
def verify(digest: str):
    """The minutes' QR code, open to anyone on the LAN: which finalised round carries this
    digest, and exactly what its minutes print (no ballots, no users)."""
    found = services.versions_with_digest(digest) if DIGEST.match(digest) else []
    if not found:
        return render_template("results/verify.html", digest=digest.lower(), version=None), 404
    version = found[-1]
    from flask_login import current_user

    may_see = current_user.is_authenticated and current_user.role_in(version.round.election.congress_id) is not None
    return render_template("results/verify.html", digest=digest.lower(), version=version,
                           current=version.version == version.round.version and version.round.is_finalised,
                           minutes=printed_minutes(version), may_see=may_see)
