"""The ballot entry screen (keyboard first), its JSON endpoints, and the double-entry comparison.

The screen posts each ballot as JSON (fetch, CSRF token in ``X-CSRFToken``) with a
client-generated idempotency key; the answer comes after the commit. Everything the rules
decide (valid or not, which names get a vote) comes from ``kiemphieu.tally`` via services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from .. import labels, tally
from ..auth.access import require_role
from ..models import EntryMode, EntryPass, Role, Round
from . import comparison, services
from .forms import SETTLE_LABELS, SettleForm
from .services import EntryError

bp = Blueprint("entry", __name__)

BOX_LABELS = labels.BOX_LABELS


def _error(exc: EntryError):
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, services.NeedsConfirmation):
        body["verdict"] = services.verdict_json(exc.verdict)
        body["needs_confirmation"] = True
    return jsonify(body), exc.status


def _pass_or_404(round_: Round, entry_pass: str) -> EntryPass:
    try:
        return services.entry_pass_of(round_, entry_pass)
    except EntryError:
        abort(404)


def short_summary(marks: dict, election: tally.Election) -> str:
    """'gạch 3, 12' / 'hợp lệ, không gạch' / 'không hợp lệ: …' for the recent-ballots list."""
    if marks.get("absent"):
        return "không có phiếu"
    if "invalid" in marks:
        return "không hợp lệ: " + tally.REASON_LABELS[tally.InvalidReason(marks["invalid"])].lower()
    if "struck" in marks:
        orders = sorted(election.order_of(c) for c in marks["struck"])
        return ("gạch " + ", ".join(map(str, orders))) if orders else "không gạch tên nào"
    boxes = marks["boxes"]
    short = {"agree": "Đ", "disagree": "K", "both": "Đ+K", "none": "–"}
    return " ".join(f"{election.order_of(c)}:{short[boxes.get(c, 'none')]}" for c in election.candidate_ids)


def _ballot_json(ballot, election: tally.Election, verdict: tally.Verdict | None = None) -> dict:
    verdict = verdict or tally.judge(election, ballot.to_engine(election))
    return {"sequence": ballot.sequence, "ballot_id": ballot.id, "key": ballot.idempotency_key, "marks": ballot.marks,
            "summary": short_summary(ballot.marks, election), "verdict": services.verdict_json(verdict)}


def _batch_or_404(round_: Round, batch: int) -> int:
    try:
        return services.check_batch(round_, batch)
    except EntryError:
        abort(404)


def _state(round_: Round, entry_pass: EntryPass, batch: int) -> dict:
    # The screen's refresh: the judging election (built once while the round is in entry), not
    # to_election's dozen queries per refresh; the totals need only its list, seats and form.
    election = services.judging_election(round_)
    totals = services.pass_totals(round_, entry_pass, batch, election)
    return {
        "status": round_.status,
        "totals": totals.to_json(),
        "recent": [_ballot_json(b, election) for b in services.recent_ballots(round_, entry_pass, batch=batch)],
    }


def anchor(batch: int, sequence: int) -> str:
    """The comparison page's id of one stack position (batch 1 keeps the plain form)."""
    return f"phieu-{sequence}" if batch == 1 else f"tep-{batch}-phieu-{sequence}"


# Batch 1 keeps the plain URLs: a round without batches is one implicit batch.
@bp.route("/rounds/<int:round_id>/entry/<entry_pass>", defaults={"batch": 1})
@bp.route("/rounds/<int:round_id>/batches/<int:batch>/entry/<entry_pass>")
@require_role(Role.COUNTER)
def screen(round_id: int, entry_pass: str, batch: int):
    round_ = g.round
    chosen = _pass_or_404(round_, entry_pass)
    batch = _batch_or_404(round_, batch)
    try:
        services.refuse_unless_entry(round_)
        services.refuse_same_clerk_for_both_passes(round_, chosen, services.acting_user(), batch)
    except EntryError as exc:
        return render_template("entry/closed.html", round=round_, message=str(exc)), 409
    election = round_.to_election()
    state = _state(round_, chosen, batch)
    urls = dict(round_id=round_id, entry_pass=chosen.value, batch=batch)
    config = {
        "pass": chosen.value,
        "clerk": services.acting_user().id,
        "batch": {"number": batch, "of": round_.batches} if round_.batches > 1 else None,
        "form": election.form.value,
        "seats": round_.seats,
        "issued": round_.issued,
        "candidates": [{"id": c.id, "order": i, "name": election.display_name(c.id)}
                       for i, c in enumerate(election.candidates, 1)],
        "reasons": [{"code": r.value, "label": tally.REASON_LABELS[r]} for r in services.COMMITTEE_REASON_ORDER],
        "box_labels": BOX_LABELS,
        "verdicts": services.verdict_table(election),
        "urls": {
            "save": url_for(".save", **urls),
            "undo": url_for(".undo", **urls),
            "state": url_for(".state", **urls),
            "judge": url_for(".judge", round_id=round_id),
        },
        **state,
    }
    return render_template("entry/screen.html", round=round_, election=election, entry_pass=chosen,
                           single=round_.mode is EntryMode.SINGLE, config=config, batch=batch)


@bp.route("/rounds/<int:round_id>/entry/<entry_pass>/state", defaults={"batch": 1})
@bp.route("/rounds/<int:round_id>/batches/<int:batch>/entry/<entry_pass>/state")
@require_role(Role.COUNTER)
def state(round_id: int, entry_pass: str, batch: int):
    return jsonify(_state(g.round, _pass_or_404(g.round, entry_pass), _batch_or_404(g.round, batch)))


def _save_one(round_: Round, chosen: EntryPass, data: Any, batch: int) -> dict:
    """Store one ballot of a save request; raises EntryError as the service does."""
    if not isinstance(data, dict):
        raise services.BadBallot("Dữ liệu phiếu không đúng.")
    sequence = data.get("sequence")
    outcome = services.save_ballot(round_, chosen, data.get("marks"), data.get("key"),
                                   confirm_invalid=bool(data.get("confirm_invalid")),
                                   sequence=sequence if isinstance(sequence, int) else None, batch=batch)
    body = _ballot_json(outcome.ballot, outcome.election, outcome.verdict)
    body.update(duplicate=outcome.duplicate, superseded=outcome.ballot.superseded)
    return body


MAX_BALLOTS_PER_REQUEST = 200


@bp.route("/rounds/<int:round_id>/entry/<entry_pass>/ballots", methods=["POST"], defaults={"batch": 1})
@bp.route("/rounds/<int:round_id>/batches/<int:batch>/entry/<entry_pass>/ballots", methods=["POST"])
@require_role(Role.COUNTER, lean=True)  # the hot path: user and round as plain rows (auth.lean)
def save(round_id: int, entry_pass: str, batch: int):
    """One ballot ({key, marks, sequence?, confirm_invalid?}) or, from the entry screen, the
    ballots waiting in its outbox ({"ballots": [...]}), stored in order, each committed before
    the next; the answer lists those stored and the error that stopped the rest."""
    round_ = g.round
    chosen = _pass_or_404(round_, entry_pass)
    batch = _batch_or_404(round_, batch)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="Dữ liệu gửi lên không phải JSON."), 400
    if "ballots" in data:
        items = data["ballots"]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_BALLOTS_PER_REQUEST:
            return jsonify(error="Danh sách phiếu không hợp lệ."), 400
        saved: list[dict] = []
        for item in items:
            try:
                saved.append(_save_one(round_, chosen, item, batch))
            except EntryError as exc:
                return jsonify(saved=saved, error=str(exc), error_status=exc.status), 200
        return jsonify(saved=saved, error=None), 200
    try:
        body = _save_one(round_, chosen, data, batch)
    except EntryError as exc:
        return _error(exc)
    return jsonify(body), (200 if body["duplicate"] else 201)


@bp.route("/rounds/<int:round_id>/entry/<entry_pass>/undo", methods=["POST"], defaults={"batch": 1})
@bp.route("/rounds/<int:round_id>/batches/<int:batch>/entry/<entry_pass>/undo", methods=["POST"])
@require_role(Role.COUNTER)
def undo(round_id: int, entry_pass: str, batch: int):
    round_ = g.round
    chosen = _pass_or_404(round_, entry_pass)
    batch = _batch_or_404(round_, batch)
    data = request.get_json(silent=True) or {}
    expect, key = data.get("sequence"), data.get("key")
    try:
        undone = services.undo_last(round_, chosen, expect if isinstance(expect, int) else None,
                                    key if isinstance(key, str) else None, batch)
    except EntryError as exc:
        return _error(exc)
    return jsonify({"undone": undone.sequence, **_state(round_, chosen, batch)})


@bp.route("/rounds/<int:round_id>/judge", methods=["POST"])
@require_role(Role.COUNTER)
def judge(round_id: int):
    """The engine's verdict on marks being typed (the entry screen shows it before saving)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="Dữ liệu gửi lên không phải JSON."), 400
    election = services.judging_election(g.round)
    try:
        ballot = services.parse_marks(g.round, data.get("marks"), election)
    except EntryError as exc:
        return _error(exc)
    return jsonify(services.verdict_json(tally.judge(election, ballot)))


# ------------------------------------------------------------------ double entry


@bp.route("/rounds/<int:round_id>/compare")
@require_role(Role.COUNTER)
def compare(round_id: int):
    round_ = g.round
    if not round_.mode.compared:
        flash("Vòng bầu này nhập một lần — không đối chiếu.", "warning")
        return redirect(url_for("results.show", round_id=round_id))
    report = comparison.compare_passes(round_)
    election = round_.to_election()
    return render_template("entry/compare.html", round=round_, election=election, report=report,
                           describe=lambda marks: services.describe(marks, election),
                           form=SettleForm(), settle_labels=SETTLE_LABELS, box_labels=BOX_LABELS, anchor=anchor,
                           can_settle=g.role.rank >= Role.ORGANISER.rank and round_.status == "entry")


def _marks_from_form(election: tally.Election, form: SettleForm) -> dict:
    if form.invalid.data:
        return {"invalid": form.invalid.data}
    if election.form is tally.Form.STRIKE:
        return {"struck": [c for c in request.form.getlist("struck") if c in election.candidate_ids]}
    return {"boxes": {cid: request.form.get(f"box-{cid}", "none") for cid in election.candidate_ids}}


@bp.route("/rounds/<int:round_id>/compare/<int:sequence>", methods=["POST"], defaults={"batch": 1})
@bp.route("/rounds/<int:round_id>/batches/<int:batch>/compare/<int:sequence>", methods=["POST"])
@require_role(Role.ORGANISER)
def settle(round_id: int, sequence: int, batch: int):
    round_ = g.round
    batch = _batch_or_404(round_, batch)
    where = url_for(".compare", round_id=round_id) + "#" + anchor(batch, sequence)
    form = SettleForm()
    if not form.validate_on_submit():
        flash("Chọn cách xử lý phiếu.", "error")
        return redirect(url_for(".compare", round_id=round_id))
    election = round_.to_election()
    marks = _marks_from_form(election, form) if form.choice.data == "marks" else None
    if marks is not None and "invalid" not in marks and not form.confirm_invalid.data:
        verdict = tally.judge(election, services.parse_marks(round_, marks, election))
        if not verdict.valid:
            # Nothing ticked reads as "no name struck": an invalid ballot. Never by default.
            flash(f"Chưa lưu phiếu số {sequence}: cách đọc đã chọn ({services.describe(marks, election).lower()}) "
                  f"làm phiếu không hợp lệ — {tally.REASON_LABELS[verdict.invalid].lower()}. Nếu phiếu giấy đúng "
                  "như vậy, đánh dấu ô xác nhận rồi lưu lại.", "error")
            return redirect(where)
    try:
        comparison.settle(round_, sequence, form.choice.data, marks, note=form.note.data or "", batch=batch)
    except EntryError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã xử lý phiếu số {sequence}" + (f" của tệp {batch}." if round_.batches > 1 else "."), "success")
    return redirect(where)
