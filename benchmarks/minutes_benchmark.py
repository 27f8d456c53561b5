"""Time rendering and verifying a provincial minutes document (55 seats, 70 candidates, 500 ballots).

Usage: .venv/bin/python benchmarks/minutes_benchmark.py [N]   (default N = 7)
Prints the median of N renders after one warm-up (fonts and templates loaded once per process,
as in the web app). Target: under 1 s a document on the 2-core machine.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date

from kiemphieu.minutes import render_minutes, verify_minutes
from kiemphieu.tally import Candidate, CommitteeMember, Election, Kind, StrikeBallot, tally

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Quốc", "Minh", "Hữu", "Ngọc", "Thanh", "Xuân", "Thu"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh", "Khánh", "Long", "Mai", "Nghĩa",
         "Phương", "Quân", "Sơn", "Thắng", "Thủy", "Trung", "Tuấn", "Yến", "Ánh", "Ơn", "Ước"]


def provincial_round(seed: int = 2025) -> tuple[Election, list[StrikeBallot]]:
    rng = random.Random(seed)
    names = set()
    while len(names) < 70:
        names.add(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
    candidates = tuple(Candidate(f"c{i:02d}", name) for i, name in enumerate(sorted(names), 1))
    election = Election(
        title="Bầu Ban Chấp hành Đảng bộ tỉnh khóa XVI", kind=Kind.COMMITTEE, seats=55, convened=510,
        excluded=6, present=500, issued=500, candidates=candidates,
        organization="Đảng bộ tỉnh Phú Thọ",
        congress="Đại hội đại biểu Đảng bộ tỉnh Phú Thọ lần thứ XX, nhiệm kỳ 2025 - 2030",
        place="Việt Trì", date=date(2025, 9, 25),
        committee=tuple(CommitteeMember(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                                        "Trưởng ban" if i == 0 else "Ủy viên") for i in range(9)),
    )
    ids = list(election.candidate_ids)
    # 55 well supported candidates and 15 less so: every seat filled, like most real rounds.
    strong = set(rng.sample(ids, 55))
    popularity = {cid: rng.uniform(0.7, 0.95) if cid in strong else rng.uniform(0.15, 0.45) for cid in ids}
    ballots = []
    for _ in range(500):
        kept = [cid for cid in ids if rng.random() < popularity[cid]]
        kept = kept[:55] or [ids[0]]
        ballots.append(StrikeBallot(frozenset(ids) - frozenset(kept)))
    return election, ballots


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    election, ballots = provincial_round()
    result = tally(election, ballots)
    started = time.perf_counter()
    pdf = render_minutes(election, ballots, ended_at="17:30")  # warm-up: loads fonts and templates
    first = time.perf_counter() - started
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        render_minutes(election, ballots, ended_at="17:30")
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    report = verify_minutes(pdf)
    verify_time = time.perf_counter() - started
    print(f"provincial minutes: {len(election.candidates)} candidates, {election.seats} seats, "
          f"{result.counted} ballots, outcome {result.outcome}, {len(pdf) / 1024:.0f} KiB")
    print(f"first render (cold, loads fonts): {first:.3f} s")
    print(f"render median of {runs}: {statistics.median(timings):.3f} s "
          f"(min {min(timings):.3f}, max {max(timings):.3f}); target < 1 s")
    print(f"verify: {verify_time:.3f} s, {'ok' if report.ok else 'MISMATCH'}")


if __name__ == "__main__":
    main()
