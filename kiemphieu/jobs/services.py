"""Asking for a document (``request_document``, in the web request) and making one
(``run_next_job``, in the worker).

The result is written to ``<upload folder>/documents/<random>.<ext>`` (fsynced, then renamed)
before the row saying ``done`` commits, with its SHA-256: every node reads the same shared
folder (``KIEMPHIEU_UPLOAD_FOLDER``), and ``kiemphieu backup`` copies it with the scans.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, write_operation
from ..models import Job, JobStatus, User, utcnow
from . import claims
from .documents import KINDS, NotAvailable, Prepared

log = logging.getLogger("kiemphieu.jobs")

RESULT_NAME = "{hex}.{ext}"
PULSE = 2.0  # seconds between two calls of run_next_job's pulse while a document renders
RENDER_FAILED = ("Không tạo được tài liệu do lỗi của máy chủ. Vui lòng thử lại; nếu vẫn lỗi, "
                 "báo quản trị viên (chi tiết đã ghi vào nhật ký máy chủ).")
SUPERSEDED = "Đã có bản mới hơn của tài liệu này (dữ liệu đã thay đổi). Hãy tải lại từ trang kết quả."
RESULT_MISSING = "Tệp tài liệu đã tạo không còn trong thư mục lưu trữ; tài liệu sẽ được tạo lại."


def documents_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def result_path(job: Job) -> Path | None:
    """Where a finished job's file is; the name is generated here, never user input."""
    name = job.result_name or ""
    stem, _, ext = name.partition(".")
    if not (len(stem) == 32 and all(c in "0123456789abcdef" for c in stem) and ext in ("pdf", "pptx")):
        return None
    return documents_folder() / name


def job_key(kind: str, params: dict[str, Any], inputs_digest: str) -> str:
    canonical = json.dumps({"kind": kind, "params": params, "inputs": inputs_digest},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ asking (the web request)


def _live_job(key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.key == key, Job.status != JobStatus.FAILED.value))


def request_document(kind: str, params: dict[str, Any], user: User | None) -> Job:
    """The job making this document from the current inputs: the one already queued, running
    or done for the same inputs, else a new one. Raises ``NotAvailable``."""
    spec = KINDS[kind]
    prepared = spec.prepare(params)
    key = job_key(kind, params, prepared.digest)
    job = _live_job(key)
    if job is not None and job.status == JobStatus.DONE.value and not _result_intact(job):
        _fail(job.id, None, RESULT_MISSING)
        job = None
    if job is not None:
        return job
    return _create(kind, params, prepared, key, user.id if user is not None else None)


def _result_intact(job: Job) -> bool:
    path = result_path(job)
    return path is not None and path.is_file() and path.stat().st_size == job.result_size


@write_operation
def _create(kind: str, params: dict[str, Any], prepared: Prepared, key: str, user_id: int | None) -> Job:
    existing = _live_job(key)  # asked for meanwhile (SQLite: the write lock serialises us)
    if existing is not None:
        db.session.commit()
        return existing
    job = Job(kind=kind, params=params, inputs_digest=prepared.digest, key=key, congress_id=prepared.congress_id,
              round_id=prepared.round_id, required_role=KINDS[kind].required_role.value,
              file_name=prepared.file_name, requested_by_id=user_id)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:  # PostgreSQL: another node inserted the same key first
        db.session.rollback()
        return _live_job(key)
    return job


def finished_document(kind: str, params: dict[str, Any]) -> bytes | None:
    """The worker's document for the current inputs, when it is already made (else None)."""
    prepared = KINDS[kind].prepare(params)
    job = _live_job(job_key(kind, params, prepared.digest))
    if job is None or job.status != JobStatus.DONE.value:
        return None
    try:
        return read_result(job)
    except NotAvailable:
        return None


def read_result(job: Job) -> bytes:
    """The finished document, checked against its SHA-256 (a changed file is refused)."""
    path = result_path(job)
    if path is None or not path.is_file():
        raise NotAvailable(RESULT_MISSING)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != job.result_sha256:
        raise NotAvailable("Tệp tài liệu trong thư mục lưu trữ đã bị thay đổi; không tải được. "
                           "Vui lòng báo quản trị viên.")
    return data


# ------------------------------------------------------------------ making (the worker)


@dataclass
class JobOutcome:
    job_id: int
    status: str


def run_next_job(worker: str | None = None, pulse: Callable[[], None] | None = None) -> JobOutcome | None:
    """Claim the next document job and make it: the worker's one step (None: nothing waits).
    ``pulse`` is called every few seconds while it renders (the worker's heartbeat file, so the
    supervisor does not take a long render for a hung worker)."""
    worker = worker or claims.worker_name()
    if not claims.jobs_waiting():  # most of the time: no write lock taken on the worker's every turn
        return None
    job = claims.claim_job(worker)
    if job is None:
        return None
    job_id, kind, params = job.id, job.kind, dict(job.params)
    if pulse is not None:
        pulse()  # from now on the worker is making a document
    stop = threading.Event()
    beater = threading.Thread(target=_beat, args=(current_app._get_current_object(), job_id, worker, stop, pulse),
                              name=f"job-{job_id}-heartbeat", daemon=True)
    beater.start()
    try:
        return _make(job_id, kind, params, worker)
    finally:
        stop.set()
        beater.join(timeout=5)


def _make(job_id: int, kind: str, params: dict[str, Any], worker: str) -> JobOutcome:
    try:
        prepared = KINDS[kind].prepare(params)
        db.session.rollback()  # the inputs are gathered: no transaction open while rendering
        data = prepared.render()
    except NotAvailable as exc:
        db.session.rollback()
        _fail(job_id, worker, exc.message)
        return JobOutcome(job_id, JobStatus.FAILED.value)
    except Exception:
        log.exception("document job %d (%s) failed", job_id, kind)
        db.session.rollback()
        _fail(job_id, worker, RENDER_FAILED)
        return JobOutcome(job_id, JobStatus.FAILED.value)
    from ..scanning.storage import write_file_atomically

    ext = "pptx" if KINDS[kind].content_type.endswith("presentation") else "pdf"
    name = RESULT_NAME.format(hex=uuid.uuid4().hex, ext=ext)
    path = documents_folder() / name
    write_file_atomically(path, data)  # durable before the row that names it commits
    if not _finish(job_id, worker, name, hashlib.sha256(data).hexdigest(), len(data)):
        path.unlink(missing_ok=True)  # another worker took the job over meanwhile
        return JobOutcome(job_id, JobStatus.RUNNING.value)
    _prune_superseded(job_id)
    return JobOutcome(job_id, JobStatus.DONE.value)


def _prune_superseded(job_id: int) -> None:
    """Older finished copies of the same document (same kind and parameters, older inputs) are
    never given again: their files are removed and the rows say so, so a season's drafts do not
    fill the shared folder. The rows stay (who asked for what, when)."""
    job = db.session.get(Job, job_id)
    older = [other for other in db.session.scalars(select(Job).where(
        Job.kind == job.kind, Job.congress_id == job.congress_id, Job.status == JobStatus.DONE.value,
        Job.id < job.id)) if other.params == job.params]
    db.session.rollback()
    if older:
        _supersede([other.id for other in older])
        for other in older:
            path = result_path(other)
            if path is not None:
                path.unlink(missing_ok=True)


@write_operation
def _supersede(job_ids: list[int]) -> None:
    db.session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == JobStatus.DONE.value)
                       .values(status=JobStatus.FAILED.value, error=SUPERSEDED)
                       .execution_options(synchronize_session=False))
    db.session.commit()


@write_operation
def _finish(job_id: int, worker: str, name: str, sha256: str, size: int) -> bool:
    done = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING.value, Job.claimed_by == worker)
        .values(status=JobStatus.DONE.value, result_name=name, result_sha256=sha256, result_size=size,
                finished_at=utcnow(), error=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(done)


@write_operation
def _fail(job_id: int, worker: str | None, message: str) -> None:
    query = update(Job).where(Job.id == job_id)
    if worker is not None:
        query = query.where(Job.status == JobStatus.RUNNING.value, Job.claimed_by == worker)
    db.session.execute(query.values(status=JobStatus.FAILED.value, error=message, finished_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _beat(app, job_id: int, worker: str, stop: threading.Event, pulse: Callable[[], None] | None) -> None:
    """While the job is made: the row's heartbeat every JOB_HEARTBEAT seconds (in its own
    session), ``pulse`` every PULSE seconds."""
    last = time.monotonic()
    with app.app_context():
        try:
            while not stop.wait(PULSE):
                if pulse is not None:
                    pulse()
                if time.monotonic() - last >= claims.JOB_HEARTBEAT:
                    last = time.monotonic()
                    if not claims.beat_job(job_id, worker):
                        return
        except Exception:
            log.warning("heartbeat of job %d failed", job_id, exc_info=True)
        finally:
            db.session.remove()
