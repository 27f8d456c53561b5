"""How fast this machine is right now, in two fixed workloads, so that figures taken on
different days (or on a machine that slowed down) can be compared.

The same code measured 1.6-2.6 ms of CPU per save one morning and 3.6-4.9 ms that afternoon on
the "same" 2-core machine: without a reference, a slower machine reads as a regression. The
benchmarks print this line first (load_test.py, scan_benchmark.py); alone:

    .venv/bin/python benchmarks/machine_reference.py

- python: a fixed mix of what a request does in pure Python (dicts, JSON, SHA-256, string
  formatting), the least of 21 short runs;
- decode: OpenCV decoding a fixed 200 dpi A4 greyscale JPEG (generated here, not read from
  disk), the least of 21 runs.
Least-of-runs: the figure the machine can do, not what other processes left it.
"""

from __future__ import annotations

import hashlib
import json
import time


def python_ms(repeats: int = 21) -> float:
    def work() -> None:
        for i in range(1000):
            row = {"round_id": i, "entry_pass": "A", "marks": {"struck": [f"c{j:02d}" for j in range(i % 17)]},
                   "key": f"{i:032x}"}
            text = json.dumps(row, sort_keys=True, separators=(",", ":"))
            hashlib.sha256(text.encode()).hexdigest()
            json.loads(text)["marks"]["struck"].sort()

    return _least(work, repeats)


def decode_ms(repeats: int = 21) -> float:
    import cv2
    import numpy as np

    rng = np.random.default_rng(11)
    page = np.full((2339, 1654), 235, np.uint8)
    for y in range(120, 2200, 34):  # rows of "print": dark strokes on light paper, some noise
        page[y:y + 3, 150:1500] = 30
        page[y + 8:y + 20, 200:200 + int(rng.integers(300, 1100))] = 60
    page = np.clip(page.astype(np.int16) + rng.integers(-6, 7, page.shape), 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return _least(lambda: cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE), repeats)


def _least(work, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1000


def reference_line() -> str:
    return (f"machine reference (CPU, least of runs): python mix {python_ms():.1f} ms, "
            f"A4 200 dpi JPEG decode {decode_ms():.1f} ms (benchmarks/machine_reference.py)")


if __name__ == "__main__":
    print(reference_line())
