"""The scan worker's reader processes: forked from the worker (they share the loaded, prepared
reader), no database connection, files in and read files out through two queues; the stop
flag they share with the storing loop ends the current file after the current page."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
import time

log = logging.getLogger("kiemphieu.worker")


class SharedFlag:
    """A stop flag the reader processes see: a shared byte (setting it takes no lock, so a
    signal handler may set it at any moment)."""

    def __init__(self, context):
        self.value = context.RawValue("b", 0)

    def set(self) -> None:
        self.value.value = 1

    def is_set(self) -> bool:
        return bool(self.value.value)


class Stop:
    """The pipeline's stop: the storing loop's event and, with reader processes, their flag."""

    def __init__(self, shared: SharedFlag | None = None):
        self.event, self.shared = threading.Event(), shared

    def set(self) -> None:
        if self.shared is not None:
            self.shared.set()
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


def reader_process(slot: int, jobs, done, stop: SharedFlag, busy_since, parent: int) -> None:
    """One reader process: files in, read files out, until None. It ignores SIGTERM / SIGINT
    (its whole process group gets them): the worker's stop flag ends the current file after the
    current page, as with threads. It never touches the database, and leaves with os._exit so
    that nothing inherited from the worker (its database connections) is finalised here."""
    import cv2

    from kiemphieu import worker  # the reading (its read_pages: the seam the tests replace)

    _die_with_parent(parent)
    _lower_priority(reader_niceness())
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)  # parallel by files, not inside one page
    code = 0
    try:
        while (job := jobs.get()) is not None:
            job = worker._read_one(job, stop, lambda: busy_since.__setitem__(slot, time.monotonic()))
            try:
                # Pickled here, once: the queue pickles in a thread of its own, where a failure is
                # lost (bytes cost it a copy).
                payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - a reading that cannot travel is that file's error
                job.pages, job.error = [], f"{type(exc).__name__}: {exc}"[:300]
                payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            done.put(payload)
            busy_since[slot] = 0.0
    except BaseException:  # noqa: BLE001 - whatever it is, the worker sees this process gone
        log.exception("reader process %d failed", slot)
        code = 1
    finally:
        done.close()
        done.join_thread()  # what was put is in the pipe before the process goes
        os._exit(code)


def reader_niceness() -> int:
    """How much lower than the worker's the reader processes' CPU priority is
    (KIEMPHIEU_READER_NICE, 0-19, default 10): a clerk's save or a page on the same server
    goes first, and the readers take every cycle the web server leaves (on an idle server,
    all of them: the scan benchmark's rate is unchanged)."""
    chosen = os.environ.get("KIEMPHIEU_READER_NICE", "").strip()
    return min(19, int(chosen)) if chosen.isdigit() else 10


def _lower_priority(steps: int) -> None:
    if steps > 0:
        try:
            os.nice(steps)
        except OSError:  # not allowed here: read at the worker's priority
            pass


def _die_with_parent(parent: int) -> None:
    """A worker killed outright (kill -9) takes its reader processes with it (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the worker died before the line above
        os._exit(1)
