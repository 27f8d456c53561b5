"""gunicorn settings for a LAN server: a few threaded workers, long timeout for PDFs."""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 120
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"


# The scan worker (`kiemphieu worker`) runs beside the web server: started by the gunicorn
# master, restarted if it dies, stopped with the server. KIEMPHIEU_NO_WORKER=1 leaves it out
# (e.g. when several servers share one database and another machine runs the worker).
_scan_worker = {"process": None, "stopping": False}


def _supervise_scan_worker():
    import subprocess
    import sys
    import time

    delay = 1.0
    while not _scan_worker["stopping"]:
        started = time.monotonic()
        _scan_worker["process"] = subprocess.Popen([sys.executable, "-m", "kiemphieu.cli", "worker"])
        _scan_worker["process"].wait()
        if _scan_worker["stopping"]:
            break
        delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 60.0)
        time.sleep(delay)


def on_starting(server):
    if os.environ.get("KIEMPHIEU_NO_WORKER"):
        return
    import threading

    threading.Thread(target=_supervise_scan_worker, name="scan-worker", daemon=True).start()


def on_exit(server):
    _scan_worker["stopping"] = True
    process = _scan_worker["process"]
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)  # the worker finishes the file it is reading
        except Exception:
            process.kill()
