"""Times the tally engine: one provincial election, then a whole congress season.

Run: .venv/bin/python benchmarks/tally_benchmark.py
Target: a provincial election (500 delegates, 70 candidates, 55 seats, 500 ballots) < 20 ms.
"""

from __future__ import annotations

import random
import statistics
import time

from kiemphieu.tally import Ballot, BoxesBallot, BoxMark, Candidate, Election, Form, Kind, StrikeBallot, tally

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Ngọc"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh", "Lan", "Long", "Minh", "Nam",
         "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Yến"]


def make_election(rng: random.Random, candidates: int, seats: int, convened: int) -> Election:
    people = tuple(
        Candidate(f"c{i:03d}", f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
        for i in range(candidates)
    )
    return Election("Bầu Ban Chấp hành", Kind.COMMITTEE, seats, convened, people, excluded=3)


def make_ballots(rng: random.Random, election: Election, count: int) -> list[Ballot]:
    ids = list(election.candidate_ids)
    popularity = {cid: rng.random() for cid in ids}
    if election.form is Form.BOXES:
        return [BoxesBallot({cid: BoxMark.AGREE if rng.random() < 0.2 + popularity[cid] else BoxMark.DISAGREE
                             for cid in ids}) for _ in range(count)]
    surplus = len(ids) - election.seats
    ballots = []
    for _ in range(count):
        # Strike the surplus (now and then one too few: an invalid ballot), the less popular first.
        k = max(0, min(len(ids), surplus + rng.choice([0, 0, 0, 0, 1, 2, -1])))
        by_dislike = sorted(ids, key=lambda cid: popularity[cid] + rng.random())
        ballots.append(StrikeBallot(frozenset(by_dislike[:k])))
    return ballots


def time_ms(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    rng = random.Random(190)
    province = make_election(rng, candidates=70, seats=55, convened=500)
    ballots = make_ballots(rng, province, 500)
    samples = time_ms(lambda: tally(province, ballots), repeat=50)
    result = tally(province, ballots)
    print(f"provincial election: 70 candidates, 55 seats, 500 ballots "
          f"({result.valid} valid, outcome {result.outcome})")
    print(f"  median {statistics.median(samples):.2f} ms, max {max(samples):.2f} ms (target < 20 ms)")

    season = []
    for _ in range(300):
        for candidates, seats in [(17, 15), (1, 1), (11, 9), (3, 2), (5, 5)]:
            e = make_election(rng, candidates, seats, convened=rng.randint(30, 200))
            season.append((e, make_ballots(rng, e, e.convened - 5)))
    start = time.perf_counter()
    for e, b in season:
        tally(e, b)
    elapsed = time.perf_counter() - start
    print(f"season: 300 congresses x 5 elections = {len(season)} tallies, "
          f"{sum(len(b) for _, b in season)} ballots in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
