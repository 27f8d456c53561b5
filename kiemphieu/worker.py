"""The scan worker: reads queued scans outside the web server (``kiemphieu worker``).

Two loops overlap so that storing never waits for reading nor reading for storing:

- the **storing loop** (the main thread, the only one touching the database) claims files
  (``services.claim_next``: up to 32 in flight, all their waiting pages), builds each round's
  election once while the queue keeps it busy, hands the files to the readers and stores what
  comes back in batches: one transaction per batch, each file's readings and ballots committed
  before the file counts as done;
- the **readers** (pure OpenCV, no database) decode each page once and read it; for a page a
  person will look at (review, rejected) they encode the preview from the page the reader had
  already decoded and warped upright (``Reading.page_image``). Pages are read one at a time and
  dropped once read, so a 1,000-page TIFF costs one page of memory. The long-running worker
  (``run_forever``) reads in processes of its own, one per core: the reader's many small NumPy
  steps hold the GIL, so reader threads beside the storing loop overlapped only in part;
  ``run_once`` (``kiemphieu worker --once``, the tests) reads in one thread. The storing loop
  prepares the reader for a round (``warm_reader``) before it forks the reader processes, so
  they start warm (``worker_processes``).

Beside this module: ``worker_processes`` (the reader processes), ``worker_previews`` (the
previews' JPEGs, written and synced), ``worker_loop`` (the entry points, re-exported here).

Generated documents (``kiemphieu.jobs``: minutes, ballots, entry logs, summaries, slides) are
made by the same storing loop, one between two stored batches of scans and first when the loop
wakes up, so neither queue starves the other (``run_document_job``).

An image that makes the reader raise is rejected with the reason and the loop goes on; one that
kills the process (the worker, or one of its reader processes: the worker then exits and the
supervisor restarts it) is retried once, then rejected. SIGTERM / SIGINT stop after the current page:
what was read is stored, the rest of the claim goes back to the queue. A heartbeat file
(``instance/run/scan-worker.beat``) tells the supervisor and the scans page the worker lives.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import heartbeat
from .worker_previews import encode_jpeg, preview_jpeg, sync_previews, write_preview  # noqa: F401 (re-exported)
from .worker_processes import SharedFlag, Stop, reader_process

log = logging.getLogger("kiemphieu.worker")

MAX_FILES_IN_FLIGHT = 32  # claimed files handed to the readers and not yet stored
CLAIM_BELOW = 16  # claim again (up to MAX_FILES_IN_FLIGHT files at once) when fewer are in flight
STUCK_AFTER = 90.0  # seconds on one page after which the heartbeat stops (a reader is stuck)
BATCH_PAGES = 32  # pages stored in one transaction (at most; fewer when the reader is slower)
BATCH_WAIT = 0.25  # seconds the storing loop waits for more read files to store in one transaction
WARM_DPI = 200  # the blank ballot read to prepare the reader: as the scanners' default profile scans
PREPARE_ROUNDS = 4  # the latest rounds in entry prepared for reading


@dataclass
class PageResult:
    page: int
    reading: dict[str, Any]
    preview: bytes | None = None  # JPEG
    aligned: bool = False  # the preview is the page warped onto the layout
    preview_name: str | None = None  # once written to the previews folder
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by stage (the scan benchmark)


@dataclass
class Job:
    """One claimed file, with everything the reader thread needs (no ORM objects)."""

    stored_name: str
    path: Path
    file_name: str
    profile: str
    election: Any  # tally.Election of the round (read and stored with the same one)
    round_id: int
    scan_ids: dict[int, int]  # page -> ScanImage id
    preview_folder: Path
    pages: list[PageResult] = field(default_factory=list)
    error: str | None = None  # the whole file failed to read (the reader raised)
    interrupted: bool = False  # stopped mid-file: pages without a result go back to the queue
    read_s: float = 0.0  # wall and CPU seconds its reading took (the scan benchmark prints them)
    read_cpu: float = 0.0
    stage_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by stage of its pages


    @property
    def warm_key(self) -> tuple:
        return self.round_id, self.profile


class ReaderLost(RuntimeError):
    """A reader process died (an image crashed it, or it was killed): the files it held are lost
    with it, so the worker exits and the supervisor restarts it (their claims are taken back and
    count as an attempt)."""


# ------------------------------------------------------------------ reading (no database)


def load_profile(name: str):
    from kiemphieu.ocr.profiles import load_profile as load

    return load(name or None)


def warm_reader(election, profile_name: str) -> None:
    """Load the reader and build what it builds once per round and profile (layout, template,
    the caches its stages keep on the template) by reading the round's blank ballot, printed
    and scanned in memory, as ``read_pages`` reads a file: the first real page is then read as
    quickly as the next."""
    import cv2

    from kiemphieu.ocr import read_page
    from kiemphieu.ocr.decode import decode_pages, half_if_a5
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.printing import render_layout_image
    from kiemphieu.ocr.profiles import finer_look_profile
    from kiemphieu.ocr.template import profile_for, template_for

    layout = layout_for(election)
    profile = profile_for(layout, load_profile(profile_name))
    template_for(layout, profile)
    finer = finer_look_profile(profile)
    if finer is not None:
        template_for(layout, finer)  # the second look's, for a page in review
    ok, blank = cv2.imencode(".jpg", render_layout_image(layout, WARM_DPI), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if ok:
        for page in decode_pages(blank.tobytes(), profile, half_if_a5(layout)):
            _page_result(read_page(page, election, profile, "warm-up", layout), page)


def read_pages(path: Path, election, profile_name: str, file_name: str, wanted: set[int]) -> Iterator[PageResult]:
    """Decode and read each wanted page of one file, once; the seam the tests replace."""
    import cv2

    from kiemphieu.ocr import read_page
    from kiemphieu.ocr.decode import Unreadable, decode_pages, half_if_a5
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.reader import REJECTED, Reading
    from kiemphieu.ocr.template import profile_for

    layout = layout_for(election)
    profile = profile_for(layout, load_profile(profile_name))  # small print: decoded finer
    data = path.read_bytes()
    seen = 0
    try:
        last = max(wanted)
        began = time.thread_time()
        for page in decode_pages(data, profile, half_if_a5(layout)):
            decoded = time.thread_time()
            seen = page.index + 1
            if page.index in wanted:
                reading = read_page(page, election, profile, file_name, layout)
                read = time.thread_time()
                result = _page_result(reading, page)
                encoded = time.thread_time()
                result.cpu = {"decode_cpu": decoded - began, "page_cpu": read - decoded, "preview_cpu": encoded - read}
                yield result
            began = time.thread_time()
            if page.index >= last:
                return
    except Unreadable as exc:
        yield PageResult(seen, Reading(file_name, seen, REJECTED, reason="unreadable_file", detail=str(exc),
                                       profile=profile.name, profile_digest=profile.digest).to_json())
    except cv2.error as exc:
        yield PageResult(seen, Reading(file_name, seen, REJECTED, reason="unreadable_file",
                                       detail=f"decoder failure ({type(exc).__name__})").to_json())


def _page_result(reading, page) -> PageResult:
    """The reading's JSON and, for a page a person will look at, its preview: the page the
    reader warped upright (``Reading.page_image``; a reader that also offers ``preview`` has it
    used first), else the scan reduced. Nothing keeps the images after this."""
    shown, warped = getattr(reading, "preview", None), reading.page_image
    reading.page_image = reading.preview = None
    result = PageResult(page.index, reading.to_json())
    if reading.status != "read":
        if shown is not None:
            result.preview, result.aligned = encode_jpeg(shown), reading.homography is not None
        else:
            result.preview, result.aligned = preview_jpeg(warped, page.image)
    return result


def read_job(job: Job, stop: threading.Event, progress: Callable[[], None] = lambda: None) -> Job:
    """Fill ``job.pages`` (or ``job.error``); never raises. ``progress`` is called per page."""
    try:
        for result in read_pages(job.path, job.election, job.profile, job.file_name, set(job.scan_ids)):
            progress()
            if result.preview:
                began = time.thread_time()
                result.preview_name = write_preview(job.preview_folder, job.stored_name, result.page, result.preview)
                result.preview = None
                result.cpu["write_cpu"] = time.thread_time() - began
            for stage, spent in result.cpu.items():
                job.stage_cpu[stage] = job.stage_cpu.get(stage, 0.0) + spent
            result.cpu = {}
            job.pages.append(result)
            if stop.is_set() and len(job.pages) < len(job.scan_ids):
                job.interrupted = True
                break
    except Exception as exc:  # the reader must never stop the queue
        log.exception("reading %s failed", job.stored_name)
        job.error = f"{type(exc).__name__}: {exc}"[:300]
    return job


# ------------------------------------------------------------------ the pipeline


def _read_one(job: Job, stop, progress: Callable[[], None]) -> Job:
    """Read one claimed file (or mark it interrupted after a stop), timing it."""
    if stop.is_set():
        job.interrupted = True
        return job
    started, cpu = time.perf_counter(), time.thread_time()
    progress()
    read_job(job, stop, progress)
    job.read_s, job.read_cpu = time.perf_counter() - started, time.thread_time() - cpu
    return job


class Pipeline:
    """The storing loop in the caller's thread (with an app context); the readers in threads of
    their own (``processes=False``) or in processes (forked: they share the loaded reader)."""

    def __init__(self, beat: Callable[[str, int], None] | None = None, readers: int = 1, processes: bool = False,
                 documents: Callable[[], bool] | None = None):
        self.documents = documents or (lambda: False)  # one document job between stored batches
        self.beat = beat or (lambda state, pages=0: None)
        self.in_flight = 0
        self.lock = threading.Lock()
        # Busy seconds, wall and CPU, per stage (the scan benchmark prints them).
        self.stats = {"read_s": 0.0, "store_s": 0.0, "claim_s": 0.0,
                      "read_cpu": 0.0, "store_cpu": 0.0, "claim_cpu": 0.0, "stored": 0}  # busy seconds (the scan benchmark)
        if isinstance(beat, heartbeat.Beater):
            beat.stats = self.stats
        self.count = max(1, readers)
        self.processes: list = []
        self.readers: list[threading.Thread] = []
        self.warm: set[tuple] = set()  # (round, profile) whose reader template the storing loop built
        self.warm_in_readers: set[tuple] = set()  # ... that the running reader processes inherited
        self.elections: dict[int, Any] = {}  # round id -> its Election, while the queue keeps us busy
        self.unwarmable: set[tuple] = set()  # ... whose template could not be built (not tried again)
        if processes:
            import cv2

            # OpenCV's thread pool must not be forked: its threads do not follow, and a child
            # that then sets its thread count waits forever on their condition variables.
            cv2.setNumThreads(1)
            self.context = multiprocessing.get_context("fork")
            self.stop = Stop(SharedFlag(self.context))
            self.jobs, self.done = self.context.Queue(), self.context.Queue()
            # Per reader process: when it began its file or last finished a page (0: idle).
            self.busy_since = self.context.RawArray("d", self.count)
            self.use_processes = True  # forked at the first claim (``_fork_readers``)
        else:
            self.use_processes = False
            self.stop = Stop()
            self.jobs, self.done = queue.Queue(), queue.Queue()
            self.reading: dict[int, float] = {}  # reader thread -> when it last finished a page or began a file
            # OpenCV releases the GIL for the pixel work, not NumPy's many small steps: threads
            # overlap only in part (the long-running worker uses processes).
            self.readers = [threading.Thread(target=self._read_loop, name=f"scan-reader-{i}", daemon=True)
                            for i in range(self.count)]
            for reader in self.readers:
                reader.start()

    def _fork_readers(self) -> None:
        """Start the reader processes (again, when idle, for a round they have not seen): forked
        from the storing loop once it has loaded the reader and built the claimed rounds'
        templates, so every reader starts warm instead of each loading and rendering them (a
        62-name ballot's template: ~2 s of CPU per process, before its first page)."""
        import cv2

        self._stop_readers()
        cv2.setNumThreads(1)  # see __init__: the storing loop may have used OpenCV meanwhile
        # Called between transactions (the claim committed). The readers never use the
        # database connections they inherit and leave with os._exit: nothing of them is
        # closed or finalised there.
        self.busy_since[:] = [0.0] * self.count
        self.processes = [self.context.Process(target=reader_process, name=f"scan-reader-{i}", daemon=True,
                                               args=(i, self.jobs, self.done, self.stop.shared, self.busy_since,
                                                     os.getpid()))
                          for i in range(self.count)]
        for process in self.processes:
            process.start()
        self.warm_in_readers = set(self.warm)

    def _stop_readers(self) -> None:
        for _ in self.processes:
            self.jobs.put(None)
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()

    def _read_loop(self) -> None:
        import cv2

        cv2.setNumThreads(1)  # parallel by files, not inside one page
        me = threading.get_ident()
        while (job := self.jobs.get()) is not None:
            self.done.put(_read_one(job, self.stop, lambda: self.reading.__setitem__(me, time.monotonic())))
            self.reading.pop(me, None)

    def _oldest_busy(self) -> float:
        """When the reader busy longest on one page began it (now when none is busy)."""
        if self.processes:
            return min((at for at in self.busy_since if at > 0), default=time.monotonic())
        return min(list(self.reading.values()), default=time.monotonic())

    def close(self) -> None:
        for _ in self.readers:
            self.jobs.put(None)
        for reader in self.readers:
            reader.join(timeout=30)
        self._stop_readers()
        if self.use_processes:
            self.jobs.close()
            self.jobs.join_thread()

    def kill_readers(self) -> None:
        """After a reader process died: the others are stopped at once (their files are lost)."""
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=5)

    def run(self, max_files: int | None = None) -> int:
        """Claim, read and store until the queue is empty (or max_files files, or a stop);
        returns the pages stored."""
        stored = claimed = 0
        while True:
            room = MAX_FILES_IN_FLIGHT - self.in_flight if self.in_flight < CLAIM_BELOW else 0
            if max_files is not None:
                room = min(room, max_files - claimed)
            if room > 0 and not self.stop.is_set():
                started, cpu = time.perf_counter(), time.thread_time()
                jobs = self._claim(room) if self._scans_waiting() else []
                self.stats["claim_s"] += time.perf_counter() - started
                self.stats["claim_cpu"] += time.thread_time() - cpu
                if jobs and self.use_processes and self._readers_should_fork(jobs):
                    self._fork_readers()
                for job in jobs:
                    self.jobs.put(job)
                self.in_flight += len(jobs)
                claimed += len(jobs)
            if not self.in_flight:
                self.elections.clear()
                return stored
            stored += self._store(self._collect())
            if not self.stop.is_set():
                self.documents()

    def prepare(self, rounds: int = PREPARE_ROUNDS) -> None:
        """While idle: build the reader's template of the latest rounds in entry, so that the
        first scan of an upload is read at once (a 62-name ballot's template takes ~1 s; the
        readers are forked again, warm, at the next claim). Never raises."""
        from sqlalchemy import select

        from kiemphieu.extensions import db
        from kiemphieu.models import Round, RoundStatus

        try:
            found = db.session.scalars(select(Round).where(Round.status == RoundStatus.ENTRY.value)
                                       .order_by(Round.id.desc()).limit(rounds)).all()
            for round_ in found:
                key = (round_.id, "")
                if key in self.warm or key in self.unwarmable or not round_.candidates:
                    continue
                try:
                    election = round_.to_election()
                except Exception:  # noqa: BLE001 - not tried again; its scans will say what is wrong
                    log.warning("could not prepare the reader for round %s", round_.id, exc_info=True)
                    self.unwarmable.add(key)
                    continue
                self._warm(key, election, "")
            db.session.commit()
        except Exception:  # noqa: BLE001 - a head start only (e.g. the database is away)
            log.warning("could not prepare the reader for the rounds in entry", exc_info=True)
            db.session.rollback()

    def _scans_waiting(self) -> bool:
        from kiemphieu.scanning import services

        return services.scans_waiting()

    def _readers_should_fork(self, jobs: list[Job]) -> bool:
        """No reader yet, or idle readers that lack a template the storing loop has built."""
        if not self.processes:
            return True
        cold = {job.warm_key for job in jobs} & self.warm - self.warm_in_readers
        return bool(cold) and self.in_flight == 0

    def _warm(self, key: tuple, election, profile_name: str) -> None:
        """Build the reader's template of a round once, here (see ``_fork_readers``); threads
        share it at once. A failure only costs the head start: the reader meets it itself."""
        if key in self.warm or key in self.unwarmable:
            return
        try:
            warm_reader(election, profile_name)
        except Exception:  # noqa: BLE001 - the reader reports what is wrong, file by file
            log.warning("could not prepare the reader for round %s", key[0], exc_info=True)
            self.unwarmable.add(key)
            return
        self.warm.add(key)

    def _claim(self, files: int) -> list[Job]:
        """Up to ``files`` files in one claim; each round's election built once while the queue
        keeps the worker busy (``run`` forgets them when the queue is empty: a round in entry
        keeps its candidates and seats, and the next upload is read with what it is then)."""
        from kiemphieu.scanning import services

        by_file: dict[str, list] = {}
        for scan in services.claim_next(files=files):
            by_file.setdefault(scan.stored_name, []).append(scan)
        previews = services.preview_folder()
        jobs = []
        for stored_name, scans in by_file.items():
            first = scans[0]
            if first.round_id not in self.elections:
                self.elections[first.round_id] = first.round.to_election()
            job = Job(stored_name, services.stored_path(stored_name), first.original_name, first.profile,
                      self.elections[first.round_id], first.round_id, {scan.page: scan.id for scan in scans},
                      previews)
            self._warm(job.warm_key, job.election, job.profile)
            jobs.append(job)
        return jobs

    def _collect(self) -> list[Job]:
        """Wait for one read file, then for more (up to BATCH_PAGES pages, for at most
        BATCH_WAIT seconds while others are being read): one transaction stores them all. The
        storing loop is quicker than the readers; storing each file as it comes cost one
        commit and the round's rows loaded again per file."""
        while True:
            try:
                batch = [_unpickled(self.done.get(timeout=1.0))]
                break
            except queue.Empty:
                lost = [p for p in self.processes if not p.is_alive()]
                if lost:
                    raise ReaderLost(f"reader process {lost[0].name} exited ({lost[0].exitcode})") from None
                # No beat while a reader is stuck on one page: the supervisor then restarts us.
                if time.monotonic() - self._oldest_busy() < STUCK_AFTER:
                    self.beat("reading")
        pages = len(batch[0].scan_ids)
        until = time.monotonic() + BATCH_WAIT
        while pages < BATCH_PAGES:
            wait = until - time.monotonic()
            try:
                if wait > 0 and len(batch) < self.in_flight and not self.stop.is_set():
                    job = _unpickled(self.done.get(timeout=wait))
                else:
                    job = _unpickled(self.done.get_nowait())
            except queue.Empty:
                break
            batch.append(job)
            pages += len(job.scan_ids)
        self.in_flight -= len(batch)
        for job in batch:
            self.stats["read_s"] += job.read_s
            self.stats["read_cpu"] += job.read_cpu
            for stage, spent in job.stage_cpu.items():
                self.stats[stage] = self.stats.get(stage, 0.0) + spent
        return batch

    def _store(self, batch: list[Job]) -> int:
        from kiemphieu.extensions import db
        from kiemphieu.scanning import services

        started, cpu = time.perf_counter(), time.thread_time()
        try:
            sync_previews(batch[0].preview_folder,
                          [result.preview_name for job in batch for result in job.pages if result.preview_name])
            elections = {job.round_id: job.election for job in batch}
            stored = services.record_file_readings([_results(job) for job in batch], elections)
            unread = [sid for job in batch for sid in _unread(job)]
            if unread:
                services.release_claims(unread)
        except Exception:  # a database problem: leave the claims to go stale, keep serving
            log.exception("storing the readings of %s failed", ", ".join(job.stored_name for job in batch))
            db.session.rollback()
            stored = []
        self.stats["store_s"] += time.perf_counter() - started
        self.stats["store_cpu"] += time.thread_time() - cpu
        self.stats["stored"] += len(stored)
        self.stats["batches"] = self.stats.get("batches", 0) + 1
        self.beat("reading", len(stored))
        return len(stored)


def _unpickled(item: Job | bytes) -> Job:
    """A read file from a reader process comes pickled (see ``worker_processes.reader_process``)."""
    return pickle.loads(item) if isinstance(item, bytes) else item


def _results(job: Job) -> list[tuple[int, dict[str, Any], str | None]]:
    """(scan id, reading, preview name) of every page read, or a rejection for each page."""
    from kiemphieu.scanning.services import rejected_json

    if job.error is not None:
        return [(sid, rejected_json(job.file_name, page, "worker_error", job.error), None)
                for page, sid in job.scan_ids.items()]
    by_page = {result.page: result for result in job.pages}
    results = []
    for page, sid in sorted(job.scan_ids.items()):
        result = by_page.get(page)
        if result is None and job.interrupted:
            continue  # back to the queue
        if result is None:
            result = PageResult(page, rejected_json(job.file_name, page, "page_missing"))
        reading = {**result.reading, "file": job.file_name, "page": page}
        if result.preview_name:
            reading["preview"] = "aligned" if result.aligned else "scan"
        results.append((sid, reading, result.preview_name))
    return results


def _unread(job: Job) -> list[int]:
    if not job.interrupted or job.error is not None:
        return []
    read = {result.page for result in job.pages}
    return [sid for page, sid in job.scan_ids.items() if page not in read]


# The entry points (``kiemphieu worker``), re-exported: ``from kiemphieu.worker import run_once``.
from .worker_loop import POLL_INTERVAL, reader_count, run_document_job, run_forever, run_once  # noqa: E402,F401
