"""Season import in the web app: upload, preview (every error per row), confirm; the template.

The uploaded file waits in ``instance/imports/<random token>`` between the preview and the
confirmation (never a name from the user); the confirmation checks it again inside the write.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import access
from ..auth.access import require_role
from ..models import Role
from .forms import SeasonConfirmForm, SeasonUploadForm
from .checking import SeasonCheck, check_season
from .importing import import_season
from .template_file import template_csv, template_xlsx

bp = Blueprint("season", __name__, url_prefix="/season")

MAX_SEASON_FILE = 20 * 1024 * 1024
STAGED_FOR = 24 * 3600  # seconds an unconfirmed upload is kept
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staging() -> Path:
    # In the upload folder, which every node shares: the confirmation may reach another node.
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stage(data: bytes) -> str:
    folder = _staging()
    for old in folder.glob("*.bin"):
        if time.time() - old.stat().st_mtime > STAGED_FOR:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.bin").write_bytes(data)
    return token


def _staged(token: str) -> Path:
    return _staging() / f"{token}.bin"  # the form checked the token is 32 hex digits


def _preview(check: SeasonCheck, name: str, token: str | None):
    confirm = SeasonConfirmForm(data={"token": token, "name": name}) if check.ok and token else None
    return render_template("season/preview.html", check=check, name=name, confirm=confirm,
                           form=SeasonUploadForm())


@bp.route("/import", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def upload():
    form = SeasonUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_SEASON_FILE + 1)
        if len(data) > MAX_SEASON_FILE:
            flash(f"Tệp lớn quá {MAX_SEASON_FILE // (1024 * 1024)} MB.", "error")
        else:
            name = Path(form.file.data.filename or "tep").name
            check = check_season(data, current_user._get_current_object())
            return _preview(check, name, _stage(data) if check.ok else None)
    for error in form.file.errors:
        flash(error, "error")
    return render_template("season/upload.html", form=form)


@bp.route("/import/confirm", methods=["POST"])
@require_role(Role.ORGANISER)
def confirm():
    form = SeasonConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    staged = _staged(form.token.data)
    if not staged.is_file():
        flash("Tệp đã hết hạn hoặc đã được nhập: hãy tải lên lại.", "error")
        return redirect(url_for(".upload"))
    check = import_season(staged.read_bytes(), file_name=form.name.data or "", user=current_user._get_current_object())
    if not check.ok:  # the database changed since the preview
        return _preview(check, form.name.data, None)
    staged.unlink(missing_ok=True)
    counts = check.counts
    flash(f"Đã nhập: {counts['organisations']} tổ chức, {counts['congresses']} đại hội, "
          f"{counts['elections']} cuộc bầu, {counts['candidates']} người ứng cử.", "success")
    return redirect(url_for("congress.index"))


@bp.route("/template.xlsx")
@require_role(Role.ORGANISER)
def template_xlsx_file():
    return Response(template_xlsx(), mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": "attachment; filename=mau-danh-sach-dai-hoi.xlsx"})


@bp.route("/template.csv")
@require_role(Role.ORGANISER)
def template_csv_file():
    return Response(template_csv(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=mau-danh-sach-dai-hoi.csv"})


@bp.route("/export/results.<any(csv, json):fmt>")
@require_role(Role.ORGANISER)
def export_results(fmt: str):
    """The same files as `kiemphieu export results`, for the scope chosen on the dashboard."""
    import json

    from flask import request

    from .dashboard import organisation_paths
    from .exporting import results_csv, results_json, rounds_in_scope

    paths = organisation_paths()
    chosen = request.args.get("organisation", type=int)
    user = current_user._get_current_object()
    exports = [item for item in rounds_in_scope(paths[chosen][1] if chosen in paths else None)
               if access.role_in_congress(user, item.round.election.congress) is not None]
    if fmt == "csv":
        body, mimetype = results_csv(exports), "text/csv; charset=utf-8"
    else:
        body, mimetype = json.dumps(results_json(exports), ensure_ascii=False, indent=1) + "\n", "application/json"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=ket-qua-bau-cu.{fmt}"})
