"""A many-page TIFF is read page by page: the worker's memory does not grow with the pages
(issue 10: a 1,000-page TIFF took the worker to 792 MB, every warped page kept to the end)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

PAGES = 120
PAGE_MB = 0.9  # one warped A4 page kept by a reading (827 x 1169 grey)

SCRIPT = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    import numpy as np
    from PIL import Image
    from kiemphieu.ocr.synthetic import demo_election
    from kiemphieu.ocr.printing import render_ballot_image
    import kiemphieu.worker as worker

    election = demo_election(15, 11, seed=1)
    pages = int(sys.argv[1])
    page = Image.fromarray(np.asarray(render_ballot_image(election, dpi=200))[..., ::-1]).convert("L")
    path = Path(sys.argv[2])
    page.save(path, "TIFF", save_all=True, append_images=[page] * (pages - 1), compression="tiff_lzw")
    del page
    first = next(worker.read_pages(path, election, "", "x.tif", {0}))  # warm: templates, scratch arrays
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    statuses = [r.reading["status"] for r in worker.read_pages(path, election, "", "x.tif", set(range(pages)))]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    aligned = sum(status in ("read", "review") for status in statuses)  # warped: a page image each
    print(len(statuses), aligned, (after - before) / 1024)
""")


def test_a_many_page_tiff_costs_one_page_of_memory(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(PAGES), str(tmp_path / "stack.tif")],
                            capture_output=True, text=True, timeout=300, check=True)
    read, counted, growth_mb = result.stdout.split()
    assert (int(read), int(counted)) == (PAGES, PAGES)  # every page read (and warped), in order
    # Keeping each page would add PAGES x 0.9 MB (~110 MB); page by page it stays flat.
    assert float(growth_mb) < PAGES * PAGE_MB / 3, result.stdout
