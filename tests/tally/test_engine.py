"""The counting rules: validity, majority base, ranking, ties, unfilled seats, checks."""

from decimal import Decimal

import pytest

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
    RuleSettings,
    Status,
    StrikeBallot,
    decide,
    judge,
    percent,
    tally,
)

A, D, BOTH, NONE = BoxMark.AGREE, BoxMark.DISAGREE, BoxMark.BOTH, BoxMark.NONE
# Given names in alphabetical order, so ids c1..c5 are also the ballot order.
NAMES = ["Lê Văn An", "Trần Thị Bình", "Phạm Văn Châu", "Hoàng Văn Dũng", "Vũ Thị Giang"]


def election(n_candidates=5, seats=3, convened=20, excluded=0, **kw):
    candidates = tuple(Candidate(f"c{i + 1}", NAMES[i]) for i in range(n_candidates))
    return Election("Bầu thử", Kind.COMMITTEE, seats, convened, candidates, excluded=excluded, **kw)


def strike(*ids):
    return StrikeBallot(frozenset(ids))


def kept_only(e, *ids):
    """A strike ballot keeping exactly these names."""
    return strike(*(c for c in e.candidate_ids if c not in ids))


def boxes(**marks):
    return BoxesBallot({cid: mark for cid, mark in marks.items()})


# ---------------------------------------------------------------- ballot validity


def test_form_is_strike_with_surplus_and_boxes_without():
    assert election(5, 3).form is Form.STRIKE
    assert election(3, 3).form is Form.BOXES
    assert election(1, 1).form is Form.BOXES


def test_strike_ballot_keeping_seats_or_fewer_is_valid():
    e = election(5, 3)
    assert judge(e, kept_only(e, "c1", "c2", "c3")).votes == {"c1", "c2", "c3"}
    assert judge(e, kept_only(e, "c4")).valid


def test_strike_ballot_keeping_more_than_seats_is_over_seats():
    e = election(5, 3)
    assert judge(e, strike("c1")).invalid is InvalidReason.OVER_SEATS
    assert judge(e, strike()).invalid is InvalidReason.OVER_SEATS


def test_strike_ballot_with_every_name_struck_is_no_vote():
    e = election(5, 3)
    assert judge(e, strike(*e.candidate_ids)).invalid is InvalidReason.NO_VOTE


def test_boxes_single_candidate_both_or_none_is_unclear():
    e = election(1, 1)
    assert judge(e, boxes(c1=BOTH)).invalid is InvalidReason.UNCLEAR
    assert judge(e, boxes(c1=NONE)).invalid is InvalidReason.UNCLEAR
    assert judge(e, boxes()).invalid is InvalidReason.UNCLEAR
    assert judge(e, boxes(c1=A)).votes == {"c1"}
    disagree = judge(e, boxes(c1=D))
    assert disagree.valid and disagree.votes == frozenset()


def test_single_candidate_unclear_rule_is_a_setting():
    e = election(1, 1)
    lenient = RuleSettings(single_candidate_unclear_invalid=False)
    verdict = judge(e, boxes(c1=BOTH), lenient)
    assert verdict.valid and verdict.votes == frozenset()


def test_boxes_several_candidates_both_or_none_gives_no_vote_but_stays_valid():
    e = election(3, 3)
    verdict = judge(e, boxes(c1=A, c2=BOTH, c3=NONE))
    assert verdict.valid and verdict.votes == {"c1"}


def test_boxes_several_candidates_without_any_agree_is_no_vote():
    e = election(3, 3)
    assert judge(e, boxes(c1=D, c2=BOTH)).invalid is InvalidReason.NO_VOTE
    assert judge(e, boxes(c1=D, c2=D, c3=D)).invalid is InvalidReason.NO_VOTE


def test_boxes_agreeing_with_every_candidate_is_valid_when_they_fit_the_seats():
    e = election(2, 2)
    assert judge(e, boxes(c1=A, c2=A)).votes == {"c1", "c2"}


def test_committee_ruled_invalid_ballot_keeps_its_reason():
    e = election()
    assert judge(e, InvalidBallot(InvalidReason.NO_STAMP)).invalid is InvalidReason.NO_STAMP


# ---------------------------------------------------------------- majority and seats


def test_base_is_convened_minus_excluded_and_majority_is_strict():
    e = election(convened=150, excluded=2)
    assert e.base == 148 and e.majority == 75


def test_exactly_half_of_the_base_does_not_elect():
    e = election(5, 3, convened=20)
    ballots = [kept_only(e, "c1", "c2", "c3")] * 10 + [kept_only(e, "c4")] * 10
    result = tally(e, ballots)
    assert result.by_id("c1").votes == 10
    assert result.by_id("c1").percent == Decimal("50.00")
    assert result.by_id("c1").status is Status.BELOW_MAJORITY
    assert result.elected == ()
    assert result.outcome is Outcome.UNFILLED


def test_one_vote_over_half_elects():
    e = election(5, 3, convened=20)
    ballots = [kept_only(e, "c1")] * 11 + [kept_only(e, "c2")] * 9
    result = tally(e, ballots)
    assert result.by_id("c1").status is Status.ELECTED
    assert result.by_id("c2").status is Status.BELOW_MAJORITY


def test_majority_is_measured_against_the_base_not_the_valid_ballots():
    e = election(5, 1, convened=100)
    # 30 ballots all for c1: 100% of valid ballots, 30% of the base.
    result = tally(e, [kept_only(e, "c1")] * 30)
    assert result.valid == 30 and result.by_id("c1").votes == 30
    assert result.elected == () and result.outcome is Outcome.UNFILLED


def test_base_of_one():
    e = election(2, 1, convened=3, excluded=2)
    assert e.base == 1 and e.majority == 1
    result = tally(e, [kept_only(e, "c1")])
    assert result.elected == ("c1",)
    assert result.by_id("c1").percent == Decimal("100.00")


def test_zero_valid_ballots_elects_nobody_and_proposes_every_candidate():
    e = election(5, 3, convened=20)
    result = tally(e, [strike(*e.candidate_ids)] * 4)
    assert result.valid == 0 and result.invalid == 4
    assert result.invalid_reasons == {InvalidReason.NO_VOTE: 4}
    assert result.outcome is Outcome.UNFILLED
    assert result.next_round.seats == 3
    assert result.next_round.candidates == e.candidate_ids


def test_no_ballots_at_all():
    e = election()
    result = tally(e, [])
    assert result.counted == 0 and result.elected == () and result.outcome is Outcome.UNFILLED


def test_more_over_the_majority_than_seats_elects_the_top_ones():
    e = election(5, 2, convened=10)
    ballots = (
        [kept_only(e, "c1", "c2")] * 4
        + [kept_only(e, "c1", "c3")] * 3
        + [kept_only(e, "c2", "c3")] * 3
    )
    result = tally(e, ballots)
    # c1 7, c2 7, c3 6: all over the majority of 6 (base 10); two seats.
    assert [result.by_id(c).votes for c in ("c1", "c2", "c3")] == [7, 7, 6]
    assert result.elected == ("c1", "c2")
    assert result.by_id("c3").status is Status.NOT_ELECTED
    assert result.outcome is Outcome.COMPLETE and result.next_round is None


def test_tie_at_the_last_seat_is_never_broken():
    e = election(5, 2, convened=10)
    ballots = (
        [kept_only(e, "c1", "c2")] * 3
        + [kept_only(e, "c1", "c3")] * 3
        + [kept_only(e, "c1", "c4")] * 1
        + [kept_only(e, "c2", "c3")] * 3
    )
    # c1 7, c2 6, c3 6 -> c1 elected, c2 and c3 tied for the last seat.
    result = tally(e, ballots)
    assert result.elected == ("c1",)
    assert result.by_id("c2").status is Status.TIE and result.by_id("c3").status is Status.TIE
    assert result.outcome is Outcome.TIE
    assert (result.next_round.seats, result.next_round.candidates) == (1, ("c2", "c3"))
    assert result.seats_filled == 1


def test_everybody_tied():
    e = election(3, 2, convened=2)
    ballots = [kept_only(e, "c1", "c2"), kept_only(e, "c2", "c3"), kept_only(e, "c1", "c3")]
    result = tally(e, ballots)
    assert all(c.votes == 2 and c.rank == 1 for c in result.candidates)
    assert all(c.status is Status.TIE for c in result.candidates)
    assert result.elected == ()
    assert result.next_round.seats == 2 and result.next_round.candidates == ("c1", "c2", "c3")


def totals(e, **votes):
    return decide(e, {cid: votes.get(cid, 0) for cid in e.candidate_ids}, counted=20, valid=20,
                  invalid_reasons={})


def test_candidate_over_the_majority_below_a_tied_group_is_not_elected():
    e = election(5, 3, convened=20)  # majority 11
    result = totals(e, c1=15, c2=13, c3=13, c4=13, c5=11)
    assert result.by_id("c1").status is Status.ELECTED
    assert {result.by_id(c).status for c in ("c2", "c3", "c4")} == {Status.TIE}
    assert result.by_id("c5").status is Status.NOT_ELECTED
    assert (result.next_round.seats, result.next_round.candidates) == (2, ("c2", "c3", "c4"))


def test_tie_below_the_majority_is_not_a_tie():
    e = election(5, 1, convened=20)
    result = totals(e, c1=10, c2=10)
    assert result.outcome is Outcome.UNFILLED
    assert {c.status for c in result.candidates} == {Status.BELOW_MAJORITY}


def test_tie_that_fits_the_seats_left_elects_the_whole_group():
    e = election(5, 3, convened=20)
    result = totals(e, c1=15, c2=12, c3=12, c4=2)
    assert result.elected == ("c1", "c2", "c3") and result.outcome is Outcome.COMPLETE


def test_unfilled_seats_propose_every_candidate_not_elected():
    e = election(5, 3, convened=10)
    ballots = [kept_only(e, "c1", "c2")] * 6 + [kept_only(e, "c3", "c4")] * 4
    result = tally(e, ballots)
    assert result.elected == ("c1", "c2")
    assert result.outcome is Outcome.UNFILLED
    assert result.next_round.seats == 1
    assert result.next_round.candidates == ("c3", "c4", "c5")


def test_single_candidate_secretary_election():
    e = Election("Bầu Bí thư", Kind.SECRETARY, 1, 15, (Candidate("s1", "Nguyễn Văn An"),))
    ballots = [boxes(s1=A)] * 9 + [boxes(s1=D)] * 4 + [boxes(s1=BOTH), boxes()]
    result = tally(e, ballots)
    assert result.counted == 15 and result.valid == 13
    assert result.invalid_reasons == {InvalidReason.UNCLEAR: 2}
    assert result.elected == ("s1",) and result.by_id("s1").percent == Decimal("60.00")


def test_ranking_shares_equal_votes_and_lists_elected_by_votes():
    e = election(5, 3, convened=10)
    ballots = [kept_only(e, "c5", "c4", "c3")] * 7 + [kept_only(e, "c5", "c4")] * 1 + [kept_only(e, "c1")] * 2
    result = tally(e, ballots)
    ranks = {c.id: c.rank for c in result.candidates}
    assert ranks == {"c5": 1, "c4": 1, "c3": 3, "c1": 4, "c2": 5}
    # Equal votes list in ballot order.
    assert result.elected == ("c4", "c5", "c3")
    assert [c.order for c in result.candidates] == [1, 2, 3, 4, 5]


# ---------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    "votes, base, expected",
    [(10, 20, "50.00"), (120, 148, "81.08"), (1, 3, "33.33"), (2, 3, "66.67"), (0, 7, "0.00"),
     # 1/8 = 12.5 exactly, 1/16 = 6.25, 1/32 = 3.125 -> half up gives 3.13 (banker's would give 3.12)
     (1, 32, "3.13"), (45133, 200000, "22.57"), (7, 7, "100.00")],
)
def test_percent_is_two_decimals_half_up_against_the_base(votes, base, expected):
    assert str(percent(votes, base)) == expected


def test_result_percent_uses_the_base():
    e = election(5, 3, convened=150, excluded=2)
    result = tally(e, [kept_only(e, "c1")] * 120)
    assert result.to_json()["candidates"][0]["percent"] == "81.08"


# ---------------------------------------------------------------- reconciliation checks


def test_checks_flag_counted_over_issued_and_issued_over_present_and_present_over_convened():
    e = election(5, 3, convened=10, present=12, issued=13)
    result = tally(e, [kept_only(e, "c1")] * 14)
    codes = [c.code for c in result.checks]
    assert codes == ["counted_exceeds_issued", "issued_exceeds_present", "present_exceeds_convened"]
    assert all(c.message for c in result.checks)


def test_no_checks_when_the_numbers_agree():
    e = election(5, 3, convened=20, present=18, issued=18)
    assert tally(e, [kept_only(e, "c1")] * 17).checks == ()


def test_invalid_reasons_are_counted_per_reason():
    e = election(5, 3)
    ballots = [strike(), strike(), strike(*e.candidate_ids), InvalidBallot(InvalidReason.NO_STAMP)]
    result = tally(e, ballots)
    assert result.invalid == 4
    assert result.to_json()["ballots"]["invalid_reasons"] == {"over_seats": 2, "no_vote": 1, "no_stamp": 1}
