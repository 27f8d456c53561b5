"""Properties that must hold for every election and every stack of ballots."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.tally import (
    BoxesBallot,
    BoxMark,
    Candidate,
    Election,
    Form,
    InvalidBallot,
    InvalidReason,
    Kind,
    Outcome,
    Status,
    StrikeBallot,
    tally,
)

GIVEN = ["An", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh", "Lan", "Minh", "Tâm", "Yến"]


@st.composite
def elections(draw):
    n = draw(st.integers(1, 9))
    seats = draw(st.integers(1, max(1, n)))
    convened = draw(st.integers(1, 40))
    excluded = draw(st.integers(0, convened - 1))
    candidates = tuple(Candidate(f"c{i}", f"Nguyễn Văn {GIVEN[i]}") for i in range(n))
    return Election("t", Kind.COMMITTEE, seats, convened, candidates, excluded=excluded)


@st.composite
def ballot_stacks(draw, election):
    ids = list(election.candidate_ids)
    if election.form is Form.STRIKE:
        marked = st.builds(lambda s: StrikeBallot(frozenset(s)), st.sets(st.sampled_from(ids)))
    else:
        marks = st.dictionaries(st.sampled_from(ids), st.sampled_from(list(BoxMark)))
        marked = st.builds(BoxesBallot, marks)
    invalid = st.builds(InvalidBallot, st.sampled_from([InvalidReason.NO_STAMP, InvalidReason.OTHER]))
    return draw(st.lists(st.one_of(marked, marked, invalid), max_size=60))


@st.composite
def counts(draw):
    e = draw(elections())
    return e, draw(ballot_stacks(e))


@given(counts())
@settings(max_examples=300, deadline=None)
def test_nobody_is_elected_without_a_strict_majority(case):
    e, ballots = case
    for c in tally(e, ballots).candidates:
        if c.status in (Status.ELECTED, Status.TIE, Status.NOT_ELECTED):
            assert 2 * c.votes > e.base
        else:
            assert 2 * c.votes <= e.base


@given(counts())
@settings(max_examples=300, deadline=None)
def test_never_more_elected_than_seats(case):
    e, ballots = case
    result = tally(e, ballots)
    assert len(result.elected) <= e.seats
    if result.outcome is Outcome.COMPLETE:
        assert len(result.elected) == e.seats and result.next_round is None
    else:
        assert result.next_round.seats == e.seats - len(result.elected)


@given(counts())
@settings(max_examples=300, deadline=None)
def test_votes_never_exceed_valid_ballots(case):
    e, ballots = case
    result = tally(e, ballots)
    assert all(c.votes <= result.valid for c in result.candidates)
    assert sum(c.votes for c in result.candidates) <= result.valid * e.seats
    assert result.valid + result.invalid == result.counted == len(ballots)


@given(counts(), st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_permuting_the_ballots_changes_nothing(case, rnd):
    e, ballots = case
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert tally(e, ballots).to_json() == tally(e, shuffled).to_json()


@given(counts())
@settings(max_examples=300, deadline=None)
def test_more_votes_never_rank_below_fewer(case):
    e, ballots = case
    cands = tally(e, ballots).candidates
    order = {Status.ELECTED: 0, Status.TIE: 1, Status.NOT_ELECTED: 2, Status.BELOW_MAJORITY: 3}
    for a in cands:
        for b in cands:
            if a.votes > b.votes:
                assert a.rank < b.rank
                assert order[a.status] <= order[b.status]
            if a.votes == b.votes:
                assert a.rank == b.rank and a.status == b.status
