"""Claims of the worker's two queues, with the same rules for both.

- **Scans**: the queue is ``scan_image`` itself (one row per page: status, claimed_at,
  attempts); a claim takes a file's waiting pages. **Documents**: the ``job`` table.
- **Fair**: the next claim goes to the group (a scan's round, a document's congress) whose last
  claim is the oldest (never claimed: first), then to its oldest waiting row, so one large
  upload or one busy congress never holds back the others (``fairest_group``).
- **Several workers** (several nodes on one PostgreSQL): rows are locked ``FOR UPDATE SKIP
  LOCKED`` (``lock_first``), so workers never wait for or take each other's rows; SQLite's
  write transaction (``write_operation``) serialises claims instead.
- **Crash recovery**: a claim left running past its stale delay (scans: claimed_at, 10 min;
  documents: the worker's heartbeat, 2 min) is taken again and counts as an attempt; past
  ``max_attempts`` (2) the row is refused (a scan ``worker_crashed``, a job failed with a
  Vietnamese message). ``take_over_claims`` makes every running claim stale at once, for the
  only worker of a database (the supervisor's, on SQLite) starting after one that died.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased

from ..extensions import begin_write, db, write_operation
from ..models import Job, JobStatus, ScanImage, ScanStatus, utcnow

SCAN_STALE_AFTER = timedelta(minutes=10)
JOB_STALE_AFTER = timedelta(minutes=2)  # a running job's worker beats every JOB_HEARTBEAT
JOB_HEARTBEAT = 20.0  # seconds
MAX_ATTEMPTS = 2
CRASHED_JOB_MESSAGE = ("Máy chủ không tạo được tài liệu này: máy tạo tài liệu đã dừng giữa chừng "
                       f"{MAX_ATTEMPTS} lần. Vui lòng báo quản trị viên.")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


# ------------------------------------------------------------------ the shared rules


def fairest_group(model: type, group_column, claimed_column, claimable) -> Any | None:
    """The group with waiting work whose last claim is the oldest (never claimed: first);
    ties go to the group of the oldest waiting row."""
    waiting = (select(group_column.label("group_id"), func.min(model.id).label("first_id"))
               .where(claimable).group_by(group_column).subquery())
    others = aliased(model)
    other_group = getattr(others, group_column.key)
    last_claim = (select(func.max(getattr(others, claimed_column.key))).where(other_group == waiting.c.group_id)
                  .correlate(waiting).scalar_subquery())
    return db.session.scalar(
        select(waiting.c.group_id).order_by(last_claim.asc().nulls_first(), waiting.c.first_id).limit(1))


def lock_first(model: type, group_column, claimable, group: Any | None):
    """The group's oldest waiting row (else any group's), row-locked; rows another worker holds
    are skipped (PostgreSQL FOR UPDATE SKIP LOCKED; SQLite's write transaction already
    serialises claims)."""
    query = select(model).where(claimable).order_by(model.id).limit(1)
    locked = query.with_for_update(skip_locked=True)
    first = db.session.scalar(locked.where(group_column == group)) if group is not None else None
    return first or db.session.scalar(locked)


# ------------------------------------------------------------------ scans


def scan_claimable(now: datetime, stale_after: timedelta, table=ScanImage):
    return or_(
        table.status == ScanStatus.PENDING.value,
        and_(table.status == ScanStatus.PROCESSING.value, table.claimed_at < now - stale_after),
    )


def scans_waiting(stale_after: timedelta = SCAN_STALE_AFTER) -> bool:
    """A cheap read (no write lock) before claiming: is any page waiting, or claimed so long ago
    that it is to be taken again? The worker polls this often while idle."""
    found = db.session.scalar(select(ScanImage.id).where(scan_claimable(utcnow(), stale_after)).limit(1))
    db.session.commit()
    return found is not None


@write_operation
def claim_next(max_attempts: int = MAX_ATTEMPTS, stale_after: timedelta = SCAN_STALE_AFTER,
               files: int = 1) -> list[ScanImage]:
    """Atomically take one waiting scan file (all its waiting pages) for one worker, fairly
    across rounds; with ``files`` > 1, up to that many files in the same transaction (ordered
    by file, then page). A page past ``max_attempts`` is rejected ``worker_crashed``."""
    from ..scanning.services import _set_reading, rejected_reading

    now = utcnow()
    claimable = scan_claimable(now, stale_after)
    round_id = fairest_group(ScanImage, ScanImage.round_id, ScanImage.claimed_at, claimable)
    names = _first_files(claimable, round_id, max(1, files))
    if not names:
        db.session.commit()
        return []
    order = {stored_name: position for position, stored_name in enumerate(names)}
    pages = aliased(ScanImage)
    free_pages = (select(pages.id).where(pages.stored_name.in_(names), scan_claimable(now, stale_after, pages))
                  .with_for_update(skip_locked=True))
    db.session.execute(
        update(ScanImage)
        .where(ScanImage.id.in_(free_pages))
        .values(status=ScanStatus.PROCESSING.value, claimed_at=now, attempts=ScanImage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    claimed = sorted(
        db.session.scalars(
            select(ScanImage)
            .where(ScanImage.stored_name.in_(order), ScanImage.status == ScanStatus.PROCESSING.value,
                   ScanImage.claimed_at == now)
        ),
        key=lambda scan: (order[scan.stored_name], scan.page),
    )
    runnable = []
    for scan in claimed:
        if scan.attempts > max_attempts:
            _set_reading(scan, rejected_reading(scan, "worker_crashed", "the image stopped the worker twice"))
        else:
            runnable.append(scan)
    db.session.commit()
    return runnable


def _first_files(claimable, round_id: int | None, files: int) -> list[str]:
    """The stored names of up to ``files`` waiting files, oldest first: the fairest round's,
    then any round's; one row-locking statement each (rows another worker holds skipped)."""
    names: list[str] = []
    for group in (round_id, None) if round_id is not None else (None,):
        query = select(ScanImage.stored_name).where(claimable)
        if group is not None:
            query = query.where(ScanImage.round_id == group)
        if names:
            query = query.where(ScanImage.stored_name.not_in(names))
        rows = db.session.scalars(query.order_by(ScanImage.id).limit(files - len(names))
                                  .with_for_update(skip_locked=True))
        names += [name for name in dict.fromkeys(rows) if name not in names]
        if len(names) >= files:
            break
    return names


@write_operation
def release_claims(scan_ids: list[int]) -> None:
    """Put pages claimed but not read (the worker was asked to stop) back in the queue."""
    if not scan_ids:
        db.session.commit()
        return
    db.session.execute(
        update(ScanImage)
        .where(ScanImage.id.in_(scan_ids), ScanImage.status == ScanStatus.PROCESSING.value)
        .values(status=ScanStatus.PENDING.value, claimed_at=None, attempts=ScanImage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def take_over_claims() -> int:
    """Make every scan and document left running claimable now (its worker died). Only for the
    one worker of a database (the supervisor's on SQLite): another live worker's claim would be
    done twice. Each retaken claim still counts as an attempt (the crash rule)."""
    long_ago = datetime(2000, 1, 1)
    begin_write()
    taken = db.session.execute(
        update(ScanImage)
        .where(ScanImage.status == ScanStatus.PROCESSING.value)
        .values(claimed_at=long_ago)
        .execution_options(synchronize_session=False)
    ).rowcount
    taken += db.session.execute(
        update(Job)
        .where(Job.status == JobStatus.RUNNING.value)
        .values(heartbeat_at=long_ago)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken


# ------------------------------------------------------------------ documents


def job_claimable(now: datetime, stale_after: timedelta):
    return or_(
        Job.status == JobStatus.QUEUED.value,
        and_(Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < now - stale_after),
    )


def jobs_waiting() -> bool:
    """A cheap read (no write lock) before claiming: is any job queued or running at all?"""
    found = db.session.scalar(select(Job.id).where(
        Job.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value))).limit(1))
    db.session.commit()
    return found is not None


@write_operation
def claim_job(worker: str | None = None, max_attempts: int = MAX_ATTEMPTS,
              stale_after: timedelta = JOB_STALE_AFTER) -> Job | None:
    """Atomically take the next document job, fairly across congresses; a job whose worker
    died twice while making it fails with a Vietnamese message instead."""
    now = utcnow()
    while True:
        claimable = job_claimable(now, stale_after)
        congress_id = fairest_group(Job, Job.congress_id, Job.claimed_at, claimable)
        job = lock_first(Job, Job.congress_id, claimable, congress_id)
        if job is None:
            db.session.commit()
            return None
        if job.attempts >= max_attempts:
            job.status, job.error, job.finished_at = JobStatus.FAILED.value, CRASHED_JOB_MESSAGE, now
            continue
        job.status, job.attempts = JobStatus.RUNNING.value, job.attempts + 1
        job.claimed_by, job.claimed_at, job.heartbeat_at = worker or worker_name(), now, now
        db.session.commit()
        return job


def beat_job(job_id: int, worker: str) -> bool:
    """The worker still makes this job (its own short transaction); False once it lost it."""
    done = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING.value, Job.claimed_by == worker)
        .values(heartbeat_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(done)
