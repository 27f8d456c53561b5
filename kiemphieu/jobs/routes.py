"""The waiting page of a document (``/documents/<id>``), its status for the page's script, and
its download. Each checks the role the document needs in its congress (the same rule as the
page that asked for it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ..auth.access import require_role
from ..models import Job, JobStatus, Role
from . import services
from .documents import KINDS, NotAvailable

bp = Blueprint("jobs", __name__)


def document_response(kind: str, params: dict[str, Any], back: str):
    """What a route that gives a large document answers: the document itself when it is already
    made from the current inputs, else the page that waits for the worker."""
    try:
        job = services.request_document(kind, params, current_user._get_current_object())
    except NotAvailable as exc:
        flash(exc.message, "warning")
        return redirect(back)
    if job.status == JobStatus.DONE.value:
        return redirect(url_for("jobs.download", job_id=job.id))
    return redirect(url_for("jobs.show", job_id=job.id))


def _job() -> Job:
    """The job of the URL, once the user's role in its congress is the one it needs."""
    job: Job = g.job
    if g.role.rank < Role(job.required_role).rank:
        abort(403)
    return job


def _status(job: Job) -> dict[str, Any]:
    return {"status": job.status, "done": job.status == JobStatus.DONE.value,
            "failed": job.status == JobStatus.FAILED.value, "error": job.error,
            "download": url_for("jobs.download", job_id=job.id) if job.status == JobStatus.DONE.value else None}


@bp.route("/documents/<int:job_id>")
@require_role(Role.VIEWER)
def show(job_id: int):
    job = _job()
    kind = KINDS[job.kind]
    return render_template("jobs/job.html", job=job, kind=kind, source=kind.source(job.params),
                           status=_status(job))


@bp.route("/documents/<int:job_id>/status.json")
@require_role(Role.VIEWER)
def status(job_id: int):
    return jsonify(_status(_job()))


@bp.route("/documents/<int:job_id>/download")
@require_role(Role.VIEWER)
def download(job_id: int):
    job = _job()
    if job.status != JobStatus.DONE.value:
        return redirect(url_for(".show", job_id=job.id))
    kind = KINDS[job.kind]
    try:
        data = services.read_result(job)
    except NotAvailable as exc:
        return render_template("error.html", code=500, message=exc.message), 500
    disposition = "inline" if kind.inline else "attachment"
    return Response(data, mimetype=kind.content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{job.file_name}"'})
