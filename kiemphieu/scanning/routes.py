"""Scanning pages: upload, review queue and adjudication, rejected images, station API.

URLs (all need a counter of the round's congress, except /api/session):
- /rounds/<id>/scans                 upload form, counts, recent scans
- /rounds/<id>/scans/review          the next ballot to rule (least confident first)
- /rounds/<id>/scans/rejected        images the reader refused, with the reason
- /rounds/<id>/scans/station         how to run a scanner station; station tokens
- /scans/<id>                        one scan: image, doubtful rows, rulings (POST: rule)
- /scans/<id>/preview.jpg            the worker's preview image
- /scans/<id>/reopen, /requeue       undo a ruling; read a rejected image again
- GET /api/session                   CSRF token and user name (for the station's login)
- GET /api/rounds/<id>               the round's election JSON (the station reads with it)
- POST /api/rounds/<id>/scans        a station sends one image (+ its reading), idempotent
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from .. import tally
from ..auth.access import public, require_role
from ..extensions import csrf, db, login_manager
from ..models import Role, ScanImage, ScanStatus
from . import outstanding, progress, services, tokens
from .forms import RejectedRulingForm, ReopenForm, RequeueForm, RulingForm, StationTokenForm, UploadForm
from .intake import DISK_FULL, IntakeError, check_scan, disk_full, spool, unpack_upload
from .reasons import reject_text

bp = Blueprint("scanning", __name__)

MAX_READING_BYTES = 2_000_000
MAX_MESSAGES = 12


@login_manager.request_loader
def _station_token_user(req):
    """A station token (Authorization: Bearer) logs in API requests only."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    return tokens.user_for(header[len("Bearer "):].strip())


def _authenticated_by_token() -> bool:
    """True when this request's user comes from a valid station token (no cookie involved)."""
    user = _station_token_user(request)
    return user is not None and current_user.is_authenticated and user.id == current_user.id


def _form_of(round_) -> str:
    return str(round_.to_election().form)


# ------------------------------------------------------------------ upload


@bp.route("/rounds/<int:round_id>/scans", methods=["GET", "POST"])
@require_role(Role.COUNTER)
def round_scans(round_id: int):
    round_ = g.round
    form = UploadForm()
    if form.validate_on_submit():
        _receive_uploads(round_, request.files.getlist(form.files.name), form.profile.data)
        return redirect(url_for("scanning.round_scans", round_id=round_.id))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return render_template(
        "scanning/round.html", round=round_, election=round_.election, form=form,
        progress=progress.round_progress(round_, services.status_counts(round_)), labels=_labels(),
        worker=worker_health(), limits=_upload_limits(),
    )


def _upload_limits() -> dict:
    from .spooling import human_size, scan_upload_limit

    limits = services.limits()
    return {"upload": human_size(scan_upload_limit()), "members": limits.zip_max_members,
            "zip_total": human_size(limits.zip_max_total), "pages": limits.max_pages}


def worker_health() -> dict:
    """The scan worker's state from its heartbeat (instance/run/scan-worker.beat); when this
    node has no live worker, the beats other nodes' workers leave in the shared upload folder
    (several nodes on one database: any worker reads every node's uploads)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from .. import heartbeat
    from ..localtime import to_local

    def since(beat) -> str:
        return to_local(datetime.fromtimestamp(beat.at, UTC)).strftime("%H:%M:%S %d/%m/%Y")

    def doing(state: str) -> str:
        return {"reading": ", đang đọc phiếu", "document": ", đang tạo tài liệu"}.get(state, ", chờ ảnh mới")

    beat = heartbeat.read(Path(current_app.instance_path) / "run")
    if beat is not None and beat.alive and beat.state != "stopping":
        return {"ok": True, "text": "hoạt động" + doing(beat.state)}
    here = ("chưa chạy trên máy chủ này" if beat is None else f"trên máy chủ này không phản hồi từ {since(beat)}")
    shared = heartbeat.shared_folder(current_app.config["UPLOAD_FOLDER"])
    elsewhere = [b for b in heartbeat.others(shared, beat.pid if beat else None) if b.alive and b.state != "stopping"]
    if elsewhere:
        hosts = ", ".join(sorted({b.host or "?" for b in elsewhere}))
        busiest = next((b.state for b in elsewhere if b.state in ("reading", "document")), "idle")
        return {"ok": True, "text": f"{here}; {len(elsewhere)} máy đọc phiếu trên máy chủ khác ({hosts}) đang hoạt động"
                                    + doing(busiest)}
    if beat is None:
        return {"ok": False, "text": "chưa chạy (khởi động máy chủ bằng scripts/start hoặc kiemphieu run)"}
    return {"ok": False, "text": f"không phản hồi từ {since(beat)}"}


@bp.route("/api/rounds/<int:round_id>/scans/progress")
@require_role(Role.COUNTER)
def api_progress(round_id: int):
    """What the scans page and the scanner station poll: counts by status, each upload's
    progress, the latest scans (statuses and refusals in Vietnamese)."""
    state = progress.round_progress(g.round, services.status_counts(g.round))
    state["worker"] = worker_health()  # the page's "Máy đọc phiếu" line follows the worker too
    response = jsonify(state)
    response.headers["Cache-Control"] = "no-store"
    return response


def _receive_uploads(round_, uploads, profile: str) -> None:
    uploads = [u for u in uploads if u and u.filename]
    if not uploads:
        flash("Chọn ít nhất một tệp để tải lên.", "error")
        return
    services.sweep_incoming()
    new_files = new_pages = repeated = 0
    problems: list[str] = []
    for upload in uploads:
        name = upload.filename or "tệp"
        try:
            scan_files, skipped = unpack_upload(upload.stream, name, services.limits(), services.incoming_folder())
        except IntakeError as exc:
            problems.append(f"{name}: {exc}")
            continue
        finally:
            upload.close()  # the spooled upload itself: its content now lives in scan_files
        problems += skipped
        try:
            results = services.store_scans(round_, scan_files, user=current_user, profile=profile)
        except services.ScanError as exc:  # a full disk, the round closed meanwhile
            problems.append(f"{name}: {exc}")
            continue
        for scan_file, result in results:
            if isinstance(result, services.ScanError):
                problems.append(f"{scan_file.name}: {result}")
            elif result.created:
                new_files += 1
                new_pages += len(result.scans)
            else:
                repeated += 1
    if new_files:
        flash(f"Đã nhận {new_files} tệp ({new_pages} trang); máy đang đọc phiếu.", "success")
    if repeated:
        flash(f"{repeated} tệp đã được tải lên trước đây: không lưu lại lần nữa.", "warning")
    for message in problems[:MAX_MESSAGES]:
        flash(message, "error")
    if len(problems) > MAX_MESSAGES:
        flash(f"… và {len(problems) - MAX_MESSAGES} tệp khác bị từ chối.", "error")


@bp.app_errorhandler(OSError)
def _disk_full(error: OSError):
    """A full disk while a request body is spooled: say so, in Vietnamese, instead of a 500."""
    if not disk_full(error):
        raise error
    return render_template("error.html", code=507, message=DISK_FULL), 507


def _labels() -> dict:
    return {
        "status": {"pending": "Chờ đọc", "processing": "Đang đọc", "read": "Đọc được", "review": "Cần phân xử",
                   "rejected": "Bị từ chối", "adjudicated": "Đã phân xử"},
        "reject": services.REJECT_LABELS,
        "flag": services.FLAG_LABELS,
        "invalid": {r.value: label for r, label in tally.REASON_LABELS.items()},
    }


# ------------------------------------------------------------------ review and adjudication


@bp.route("/rounds/<int:round_id>/scans/review")
@require_role(Role.COUNTER)
def review_next(round_id: int):
    queue = services.review_queue(g.round)
    if queue:
        return redirect(url_for("scanning.scan_page", scan_id=queue[0].id))
    return render_template("scanning/queue_empty.html", round=g.round, counts=services.status_counts(g.round))


@bp.route("/scans/<int:scan_id>", methods=["GET", "POST"])
@require_role(Role.COUNTER)
def scan_page(scan_id: int):
    scan, round_ = g.scan, g.round
    form = RulingForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        return _rule(scan, round_)
    election = round_.to_election()
    kind = _form_of(round_)
    queue = services.review_queue(round_) if scan.status == ScanStatus.REVIEW.value else []
    position = next((i for i, s in enumerate(queue) if s.id == scan.id), None)
    rows, whole = services.current_rulings(scan)
    return render_template(
        "scanning/scan.html", scan=scan, round=round_, form=form, kind=kind,
        rows=_row_views(scan, round_, election, kind, rows), whole=whole,
        outstanding=services.outstanding(scan, kind) if scan.status == ScanStatus.REVIEW.value else None,
        page_data=_page_data(scan, election, kind), labels=_labels(),
        position=position, queue_size=len(queue), ballot=services.live_ballot(scan),
        reopen_form=ReopenForm(prefix="reopen"), requeue_form=RequeueForm(prefix="requeue"),
        invalid_reasons=[(r, _labels()["invalid"][r]) for r in services.COMMITTEE_REASONS],
    )


def _rule(scan, round_):
    kind = _form_of(round_)
    rows = {}
    for candidate in round_.candidates:
        value = request.form.get(f"row-{candidate.code}", "").strip()
        if value:
            rows[candidate.code] = value
    whole = request.form.get("ballot", "").strip() or None
    if whole == "invalid":
        reason = request.form.get("invalid_reason", "").strip()
        whole = f"invalid:{reason}" if reason else None
        if whole is None:
            flash("Chọn lý do phiếu không hợp lệ.", "error")
            return redirect(url_for("scanning.scan_page", scan_id=scan.id))
    # A row ruling equal to an already definite machine mark adds nothing: keep the log lean.
    machine = services.row_marks(scan.reading, kind)
    previous, _ = services.current_rulings(scan)
    rows = {c: v for c, v in rows.items() if v != previous.get(c, machine.get(c))}
    if not rows and whole is None and services.outstanding(scan, kind).done:
        whole = services.VALID  # nothing changed and nothing doubtful: accept as read
    try:
        outcome = services.adjudicate(scan, rows, whole, current_user)
    except (services.ScanError, tally.InputError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("scanning.scan_page", scan_id=scan.id))
    if not outcome.done:
        left = outcome.outstanding
        # As the ballot shows them: "dòng 10 (Hồ Xuân Tâm)", never the internal code.
        election = round_.to_election()
        order = {candidate.id: n for n, candidate in enumerate(election.candidates, 1)}
        missing = ", ".join(f"{order[c]} ({election.display_name(c)})" if c in order else c
                            for c in sorted(left.rows, key=lambda c: order.get(c, 0)))
        flash("Đã lưu. Còn phải phân xử: " + "; ".join(
            ([f"dòng {missing}"] if left.rows else []) + (["kết luận cả lá phiếu"] if left.ballot else [])
        ), "warning")
        return redirect(url_for("scanning.scan_page", scan_id=scan.id))
    flash("Đã phân xử xong lá phiếu." + (" Phiếu được tính vào kết quả." if outcome.ballot else ""), "success")
    return redirect(url_for("scanning.review_next", round_id=round_.id))


def _row_views(scan, round_, election, kind, rulings) -> list[dict]:
    machine = services.row_marks(scan.reading, kind)
    reading = scan.reading or {}
    scores = reading.get("scores") or {}
    box_scores = reading.get("box_scores") or {}
    margins = services.row_confidence(scan, kind)
    # What the reader's second, finer look found on a doubtful row it could not settle: a hint
    # beside the machine's reading, never a ruling (the page is in review because the two looks
    # did not agree on everything).
    finer = (reading.get("checks") or {}).get("finer_look") or {}
    found = finer.get("found") or {}
    views = []
    for order, candidate in enumerate(election.candidates, 1):
        mark = machine.get(candidate.id)
        views.append({
            "code": candidate.id, "order": order, "name": election.display_name(candidate.id), "machine": mark,
            "score": scores.get(candidate.id), "box_scores": box_scores.get(candidate.id),
            "margin": margins.get(candidate.id), "ruling": rulings.get(candidate.id),
            "doubtful": mark == "uncertain",
            "finer": found.get(candidate.id) if mark == "uncertain" else None,
            "finer_dpi": finer.get("dpi"),
        })
    return views


def _page_data(scan, election, kind) -> dict:
    """What adjudicate.js needs to draw boxes over the preview (millimetres of the layout)."""
    from ..ocr.geometry import layout_for

    layout = layout_for(election)
    doubtful = set(services.doubtful_rows(scan, kind))
    return {
        "page_mm": [layout.paper.width, layout.paper.height],
        "form": kind,
        "rows": [
            {"code": row.id, "row_mm": list(row.row_mm), "name_mm": list(row.name_mm),
             "agree_mm": list(row.agree_mm) if row.agree_mm else None,
             "disagree_mm": list(row.disagree_mm) if row.disagree_mm else None,
             "doubtful": row.id in doubtful}
            for row in layout.rows
        ],
        "stamp_mm": list(layout.stamp_mm),
        "flags": (scan.reading or {}).get("flags") or [],
        # A preview is warped onto the layout only when the reader got that far (the worker says).
        "aligned": _preview_aligned(scan.reading),
    }


def _preview_aligned(reading: dict | None) -> bool:
    if not reading:
        return False
    if "preview" in reading:
        return reading["preview"] == "aligned"
    return reading.get("reason") not in ("no_markers", "blank_page", "unreadable_file", "worker_error", "worker_crashed")


@bp.route("/scans/<int:scan_id>/preview.jpg")
@require_role(Role.COUNTER)
def preview(scan_id: int):
    if not g.scan.preview_name:
        abort(404)
    path = services.preview_path(g.scan.preview_name)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=3600)


@bp.route("/scans/<int:scan_id>/reopen", methods=["POST"])
@require_role(Role.COUNTER)
def reopen(scan_id: int):
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        flash("Ghi lý do mở lại phân xử.", "error")
    else:
        try:
            services.reopen(g.scan, current_user, form.reason.data)
        except services.ScanError as exc:
            flash(str(exc), "error")
        else:
            flash("Đã mở lại: lá phiếu không còn được tính cho đến khi phân xử lại.", "success")
    return redirect(url_for("scanning.scan_page", scan_id=scan_id))


@bp.route("/scans/<int:scan_id>/requeue", methods=["POST"])
@require_role(Role.COUNTER)
def requeue(scan_id: int):
    form = RequeueForm(prefix="requeue")
    if form.validate_on_submit():
        try:
            services.requeue(g.scan, current_user, form.profile.data)
        except services.ScanError as exc:
            flash(str(exc), "error")
        else:
            flash("Ảnh được đưa lại vào hàng chờ đọc.", "success")
    return redirect(url_for("scanning.rejected", round_id=g.round.id))


REJECTED_PAGE_SIZE = 100


@bp.route("/rounds/<int:round_id>/scans/rejected")
@require_role(Role.COUNTER)
def rejected(round_id: int):
    """Refused images, a page at a time (a bad feeder run can refuse thousands)."""
    unruled_only = request.args.get("unruled") == "1"
    query = select(ScanImage).where(ScanImage.round_id == round_id, ScanImage.status == ScanStatus.REJECTED.value)
    if unruled_only:
        query = query.where(~ScanImage.id.in_(_ruled_rejected_ids(round_id)))
    pages = db.paginate(query.order_by(ScanImage.id), per_page=REJECTED_PAGE_SIZE, max_per_page=REJECTED_PAGE_SIZE,
                        error_out=False)
    return render_template("scanning/rejected.html", round=g.round, pages=pages, scans=pages.items,
                           labels=_labels(), reject_text=reject_text, requeue_form=RequeueForm(prefix="requeue"),
                           rule_form=RejectedRulingForm(prefix="rule"), rulings=outstanding.REJECTED_RULINGS,
                           ruling_of=outstanding.rejected_ruling, unruled_only=unruled_only,
                           unruled_total=len(outstanding.outstanding_scans(g.round).rejected))


def _ruled_rejected_ids(round_id: int) -> list[int]:
    scans = db.session.scalars(
        select(ScanImage).where(ScanImage.round_id == round_id, ScanImage.status == ScanStatus.REJECTED.value)
        .join(ScanImage.adjudications).distinct()
    ).all()
    return [s.id for s in scans if outstanding.rejected_ruling(s) is not None]


@bp.route("/rounds/<int:round_id>/scans/rejected/rule", methods=["POST"])
@require_role(Role.COUNTER)
def rule_rejected(round_id: int):
    """The committee's conclusion on the ticked rejected images: not a ballot, or rescanned."""
    form = RejectedRulingForm(prefix="rule")
    if not form.validate_on_submit():
        flash("Chọn kết luận cho ảnh bị từ chối.", "error")
    else:
        ids = [int(v) for v in request.form.getlist("scan_ids") if v.isdigit()]
        try:
            count = outstanding.rule_rejected(g.round, ids, form.ruling.data, current_user)
        except services.ScanError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Đã ghi kết luận “{outstanding.REJECTED_RULINGS[form.ruling.data]}” cho {count} ảnh.", "success")
    # Back to the same page of the list (numbers only: nothing from the form goes into the URL as text).
    page = request.form.get("page", "1")
    return redirect(url_for("scanning.rejected", round_id=round_id, page=int(page) if page.isdigit() else 1,
                            **({"unruled": 1} if request.form.get("unruled") == "1" else {})))


@bp.route("/rounds/<int:round_id>/scans/station", methods=["GET", "POST"])
@require_role(Role.COUNTER)
def station(round_id: int):
    form = StationTokenForm()
    token = None
    if form.validate_on_submit():
        token = tokens.make_token(current_user)
        services.record_station_token(g.round)
    return render_template("scanning/station.html", round=g.round, form=form, token=token,
                           server=request.host_url.rstrip("/"))


# ------------------------------------------------------------------ station API (JSON)


@bp.route("/api/session")
@public
def api_session():
    """The station's first call: a CSRF token for the login form, and who is logged in."""
    user = current_user.username if current_user.is_authenticated else None
    return jsonify({"csrf_token": generate_csrf(), "user": user})


@bp.route("/api/rounds/<int:round_id>")
@require_role(Role.COUNTER)
def api_round(round_id: int):
    round_ = g.round
    election = round_.to_election()
    return jsonify({
        "round": round_.id, "number": round_.number, "status": round_.status,
        "form": str(election.form), "election": tally.election_to_json(election),
    })


def _api_error(message: str, status: int = 400):
    return jsonify({"error": message}), status


@csrf.exempt  # CSRF is checked below, unless the request is authenticated by a station token
@bp.route("/api/rounds/<int:round_id>/scans", methods=["POST"])
@require_role(Role.COUNTER)
def api_upload(round_id: int):
    """One image from a scanner station: multipart ``image``, optional ``reading`` (the
    station's reading: one object, or a list per page), ``sha256``, ``profile``.
    201 with the new scans, 200 when this image was already stored (idempotent)."""
    if not _authenticated_by_token():
        csrf.protect()  # a cookie session: the X-CSRFToken header is required
    upload = request.files.get("image")
    if upload is None:
        return _api_error("thiếu tệp ảnh (trường 'image')")
    path = None
    try:
        path, _, _ = spool(upload.stream, services.incoming_folder())
        scan_file = check_scan(path, upload.filename or "", services.limits())
    except IntakeError as exc:
        if path is not None:
            path.unlink(missing_ok=True)
        return _api_error(str(exc))
    finally:
        upload.close()
    try:
        claimed = (request.form.get("sha256") or "").strip().lower()
        if claimed and claimed != scan_file.sha256:
            return _api_error("mã SHA-256 không khớp với tệp nhận được (tệp bị hỏng khi truyền)")
        return _api_store(scan_file, scan_file.sha256)
    finally:
        scan_file.discard()  # stored: already moved into place; refused: removed


def _api_store(scan_file, sha):
    readings = None
    text = request.form.get("reading")
    if text:
        if len(text) > MAX_READING_BYTES:
            return _api_error("kết quả đọc của máy trạm quá lớn")
        try:
            parsed = json.loads(text)
        except ValueError:
            return _api_error("kết quả đọc của máy trạm không phải JSON hợp lệ")
        readings = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(r, dict) for r in readings):
            return _api_error("kết quả đọc của máy trạm phải là đối tượng JSON")
    try:
        result = services.store_scan(g.round, scan_file, user=current_user,
                                     profile=request.form.get("profile", ""), station_readings=readings)
    except services.RoundClosed as exc:
        return _api_error(str(exc), 409)
    except (IntakeError, services.ScanError) as exc:
        return _api_error(str(exc))
    body = {"created": result.created, "sha256": sha, "scans": [services.scan_json(s) for s in result.scans]}
    return jsonify(body), 201 if result.created else 200
