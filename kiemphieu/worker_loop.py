"""The scan worker's entry points: ``kiemphieu worker`` (``run_forever``: poll both queues,
stop cleanly on SIGTERM / SIGINT) and ``kiemphieu worker --once`` (``run_once``). The
pipeline itself is ``kiemphieu.worker``; re-exported there."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from . import heartbeat

log = logging.getLogger("kiemphieu.worker")

POLL_INTERVAL = 0.25  # seconds between two looks at the queues while idle (each one cheap read)
PREPARE_EVERY = 10.0  # seconds between two looks, while idle, for rounds whose reader to prepare


def run_document_job(beat: Callable[[str, int], None] | None = None) -> bool:
    """Make the next generated document, if one waits; never raises (the loop goes on)."""
    from kiemphieu.extensions import db
    from kiemphieu.jobs.services import run_next_job

    try:
        # The heartbeat says "document" only once a job is claimed: looking for one is idle.
        made = run_next_job(pulse=(lambda: beat("document", 0)) if beat is not None else None) is not None
        if made and beat is not None:
            beat("idle", 0)
        return made
    except Exception:  # e.g. the database went away: the claim goes stale and is retaken
        log.exception("document job failed")
        db.session.rollback()
        return False


def run_once(max_files: int | None = None) -> int:
    """Process both queues until they are empty (documents first, then scans with a document
    between stored batches; max_files: scan files); returns the pages and documents done."""
    from .worker import Pipeline

    documents = 0
    while run_document_job():
        documents += 1
    pipeline = Pipeline(documents=run_document_job)
    try:
        return documents + pipeline.run(max_files)
    finally:
        pipeline.close()


def reader_count() -> int:
    """Reader processes: one per core, at most 4 (KIEMPHIEU_READERS to choose;
    KIEMPHIEU_READER_THREADS=1 reads in threads instead, to compare or as a fallback)."""
    chosen = os.environ.get("KIEMPHIEU_READERS", "")
    return int(chosen) if chosen.isdigit() and int(chosen) > 0 else max(1, min(4, os.cpu_count() or 1))


def run_forever(interval: float = POLL_INTERVAL, take_over_claims: bool = False, beat_folder: Path | None = None,
                shared_beat_folder: Path | None = None) -> None:
    """Poll the queue; stop cleanly (after the current page) on SIGTERM or SIGINT.

    ``take_over_claims``: this is the only worker of the database (the supervisor's, on SQLite),
    so files left 'processing' were claimed by a predecessor that died: take them back at once
    rather than after the stale delay.
    """
    from kiemphieu.extensions import db
    from kiemphieu.scanning import services

    from .worker import Pipeline, ReaderLost

    beat = heartbeat.Beater(beat_folder, shared=shared_beat_folder) if beat_folder else (lambda state, pages=0: None)
    # Forked with no database connection open (the readers never use one).
    db.session.remove()
    db.engine.dispose()
    pipeline = Pipeline(beat, readers=reader_count(), processes=os.environ.get("KIEMPHIEU_READER_THREADS") != "1",
                        documents=lambda: run_document_job(beat))

    def request_stop(signum, frame):
        pipeline.stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("kiemphieu worker: waiting for scans")
    pause = interval
    prepared = -PREPARE_EVERY
    while not pipeline.stop.is_set():
        beat("idle")
        try:
            if take_over_claims:
                taken = services.take_over_claims()
                take_over_claims = False
                if taken:
                    log.warning("took back %d scan page(s) or document(s) claimed by a worker that died", taken)
            count = int(run_document_job(beat))  # a document first, then the scans
            count += pipeline.run()
            pause = interval
        except ReaderLost:
            # Its files are lost with it: exit, so the supervisor restarts the worker and their
            # claims are taken back (each counts as an attempt: an image that crashes twice is rejected).
            log.exception("a reader process died; the worker restarts")
            pipeline.kill_readers()
            raise SystemExit(3)
        except Exception:  # e.g. the database is being migrated: wait longer each time
            log.exception("worker loop (next try in %.0f s)", pause)
            db.session.rollback()
            count = 0
            pause = min(max(pause, interval) * 2, 60.0)
        finally:
            db.session.remove()
        if count == 0 and time.monotonic() >= prepared + PREPARE_EVERY:
            pipeline.prepare()
            db.session.remove()
            prepared = time.monotonic()
        if count == 0:
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and not pipeline.stop.is_set():
                time.sleep(0.1)
    beat("stopping")
    pipeline.close()
    if isinstance(beat, heartbeat.Beater):
        beat.close()
