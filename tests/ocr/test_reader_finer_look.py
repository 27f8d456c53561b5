"""A thin pen's strike at the working resolution (100 dpi, a 200 dpi scan decoded at half size)
keeps little of its contrast: on the tuning split's classes whole ballots of thin black lines
went to review at L0, and at L2 a third of the plain strike ballots did. Small print was already
measured at `scan.small_print_dpi` (150); now any strike ballot that would go to review for
uncertain names alone, each with its pen's ink over `scan.finer_look_span` of the name (the
second look can only strike a name), is read again there (`scan.finer_look`, the page decoded
again for it),
and that second reading stands only when it is `read` (no uncertain name, no flag), decides
every name the first decided alike, and finds struck every name the first left uncertain (found
kept is no answer: on the hidden partial lines' benchmark the finer look lost short lines the
first had seen); otherwise the first reading goes to review, noting what the second found
(`checks.finer_look`)."""

from __future__ import annotations

import io
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image

from kiemphieu.ocr.decode import decode_pages
from kiemphieu.ocr.geometry import layout_for
from kiemphieu.ocr.profiles import finer_look_profile, load_profile, profile_from_dict
from kiemphieu.ocr.reader import REVIEW, Reading, finer_look_agrees, read_bytes, wants_finer_look
from kiemphieu.ocr.synthetic.classes import make_class_ballot_file, split_elections

from .conftest import at_work_dpi

PROFILE = load_profile("feeder-200dpi-colour")
# Every page in review for uncertain names alone looked at again, whatever their ink's spread.
EVERY_SPAN = replace(PROFILE, scan=replace(PROFILE.scan, finer_look_span=0.0))


def _reading(status: str, marks: dict, flags=()) -> Reading:
    return Reading("f", 0, status, marks=marks, flags=list(flags))


def test_the_second_look_stands_only_when_read_and_alike():
    first = _reading(REVIEW, {"c1": "struck", "c2": "uncertain", "c3": "kept"})
    assert finer_look_agrees(first, _reading("read", {"c1": "struck", "c2": "struck", "c3": "kept"}))
    # Found kept where the first look saw ink: a finer look can lose a line small print hides.
    assert not finer_look_agrees(first, _reading("read", {"c1": "struck", "c2": "kept", "c3": "kept"}))
    # A name the first look decided, decided otherwise: a person settles it.
    assert not finer_look_agrees(first, _reading("read", {"c1": "kept", "c2": "struck", "c3": "kept"}))
    assert not finer_look_agrees(first, _reading("read", {"c1": "struck", "c2": "struck", "c3": "struck"}))
    # Still uncertain, or flagged, or rejected: no better than the first.
    assert not finer_look_agrees(first, _reading(REVIEW, {"c1": "struck", "c2": "uncertain", "c3": "kept"}))
    assert not finer_look_agrees(first, _reading(REVIEW, {"c1": "struck", "c2": "struck", "c3": "kept"},
                                                 ["extra_writing"]))
    assert not finer_look_agrees(first, _reading("rejected", None))


def test_only_a_strike_ballot_in_review_for_want_of_evidence_alone_is_looked_at_again():
    strike = layout_for(split_elections("tune")["strike45"])
    boxes = next(layout_for(e) for e in split_elections("tune").values() if str(layout_for(e).form) == "boxes")
    uncertain = _reading(REVIEW, {"c1": "struck", "c2": "uncertain"})
    uncertain.rows = {"c1": {"extra_mm2": 0.0}, "c2": {"span": 0.5, "extra_mm2": 0.3, "multi": 0.0, "thick": 0.05}}
    assert wants_finer_look(uncertain, strike, PROFILE)
    uncertain.rows["c2"]["span"] = PROFILE.scan.finer_look_span - 0.01  # ink over a small part: stays uncertain
    assert not wants_finer_look(uncertain, strike, PROFILE)
    flagged = _reading(REVIEW, {"c1": "struck", "c2": "uncertain"}, ["no_stamp"])
    assert not wants_finer_look(flagged, strike, PROFILE)  # flagged: a person looks anyway
    assert not wants_finer_look(_reading(REVIEW, {"c1": "struck", "c2": "kept"}, ["few_marks"]), strike, PROFILE)
    assert not wants_finer_look(_reading("read", {"c1": "struck", "c2": "kept"}), strike, PROFILE)
    # A boxes ballot whose uncertain row has no ink in its boxes (ink beside them): at best blank.
    assert not wants_finer_look(_boxes_reading(REVIEW, {"c1": "agree", "c2": "uncertain"}), boxes, PROFILE)
    st = PROFILE.strike
    for shape in ({"extra_mm2": st.extra_mm2}, {"thick": st.max_thick}, {"through": st.max_through},
                  {"straddle": st.max_straddle}, {"faint_extra_mm2": st.line_faint_extra_mm2},
                  {"multi": st.max_multi, "extra_mm2": 0.4 * st.extra_mm2}):
        # Loops, a circle, a tick's other stroke: a correction is a person's at any resolution.
        uncertain.rows["c2"] = {"span": 0.5, "extra_mm2": 0.0, **shape}
        assert not wants_finer_look(uncertain, strike, PROFILE), shape


def _boxes_reading(status: str, boxes: dict, flags=(), scores: dict | None = None) -> Reading:
    return Reading("f", 0, status, boxes=boxes, flags=list(flags), box_scores=scores or {})


def test_a_boxes_ballot_with_a_mark_it_could_not_name_is_looked_at_again():
    boxes = next(layout_for(e) for e in split_elections("tune").values() if str(layout_for(e).form) == "boxes")
    bx = PROFILE.boxes
    blank = {"agree": 0.0, "disagree": 0.0, "agree_pale": 0.0, "disagree_pale": 0.0}
    for key in ("agree", "disagree", "agree_pale", "disagree_pale"):
        inked = _boxes_reading(REVIEW, {"c1": "agree", "c2": "uncertain"},
                               scores={"c1": {**blank, "agree": 1.0}, "c2": {**blank, key: bx.marginal}})
        assert wants_finer_look(inked, boxes, PROFILE), key
    faint = {"c2": {**blank, "agree_pale": bx.marginal - 0.01}}
    assert not wants_finer_look(_boxes_reading(REVIEW, {"c2": "uncertain"}, scores=faint), boxes, PROFILE)
    inked = {"c2": {**blank, "agree": 1.0}}
    assert not wants_finer_look(_boxes_reading(REVIEW, {"c2": "uncertain"}, ["no_stamp"], inked), boxes, PROFILE)
    assert not wants_finer_look(_boxes_reading(REVIEW, {"c2": "none"}, ["few_marks"], inked), boxes, PROFILE)


def test_the_second_look_on_boxes_stands_only_for_a_mark_found():
    first = _boxes_reading(REVIEW, {"c1": "agree", "c2": "uncertain", "c3": "none"})
    assert finer_look_agrees(first, _boxes_reading("read", {"c1": "agree", "c2": "disagree", "c3": "none"}))
    assert finer_look_agrees(first, _boxes_reading("read", {"c1": "agree", "c2": "agree", "c3": "none"}))
    # Blank, or both boxes: the first look saw a mark it could not name; a person names it.
    for found in ("none", "both", "uncertain"):
        assert not finer_look_agrees(first, _boxes_reading("read", {"c1": "agree", "c2": found, "c3": "none"}))
    assert not finer_look_agrees(first, _boxes_reading("read", {"c1": "disagree", "c2": "agree", "c3": "none"}))
    assert not finer_look_agrees(first, _boxes_reading("read", {"c1": "agree", "c2": "agree", "c3": "agree"}))
    assert not finer_look_agrees(first, _boxes_reading(REVIEW, {"c1": "agree", "c2": "agree", "c3": "none"},
                                                       ["no_stamp"]))


def test_a_felt_pens_x_the_working_resolution_blurs_into_a_filled_box_is_read_at_the_finer_look():
    # Tuning class ballot plain L2 635 (boxes3, a black felt pen): at 100 dpi c03's X fills
    # its box (no white left between its arms) and is uncertain; at 150 dpi it is an X.
    data, _, truth = make_class_ballot_file("tune", "plain", "L2", 635, "boxes3")
    election = split_elections("tune")["boxes3"]
    first = read_bytes(data, election, at_work_dpi(PROFILE))
    assert first.status == REVIEW and not first.flags and first.boxes["c03"] == "uncertain"
    assert truth["marks"]["c03"]["pen"] == "black_felt"
    reading = read_bytes(data, election, PROFILE)
    assert reading.status == "read"
    assert reading.boxes == {cid: mark["expected"] for cid, mark in truth["marks"].items()}
    assert reading.checks["first_look"] == {"dpi": 100.0, "uncertain": ["c03"]}


def test_the_second_look_is_at_the_small_print_resolution_unless_off_or_already_there():
    for name in ("feeder-200dpi-colour", "bw-300dpi", "phone-photo"):
        assert load_profile(name).scan.finer_look is True
    finer = finer_look_profile(PROFILE)
    assert finer.scan.work_dpi == PROFILE.scan.small_print_dpi == 150.0
    assert finer_look_profile(PROFILE) is finer  # one profile object: its template is built once
    assert finer_look_profile(finer) is None  # small print: measured there already
    assert finer_look_profile(profile_from_dict({"scan": {"finer_look": False}})) is None


def test_a_page_is_decoded_again_finer_for_the_second_look():
    finer = finer_look_profile(PROFILE)
    page = np.full((2339, 1654, 3), 255, np.uint8)  # an A4 page at 200 dpi
    ok, jpeg = cv2.imencode(".jpg", page)
    first = next(decode_pages(jpeg.tobytes(), PROFILE))
    assert first.reduction == 2 and first.image.shape[:2] == (1170, 827)
    again = first.decode_for(finer)
    assert again.reduction == 1 and again.image.shape[:2] == (2339, 1654)
    out = io.BytesIO()
    Image.fromarray(page[..., 0]).save(out, "TIFF", save_all=True,
                                       append_images=[Image.fromarray(page[..., 0])])
    second_page = list(decode_pages(out.getvalue(), PROFILE))[1]
    assert second_page.reduction == 2 and second_page.decode_for(finer).image.shape == (2339, 1654)
    assert second_page.decode_for(finer).index == 1


def test_thin_black_strikes_a_grey_scan_blurs_are_read_at_the_finer_look():
    # Tuning class ballot grey_seal L0 51 (strike58, a thin black pen): six strikes uncertain
    # at 100 dpi on a clean scan; at 150 dpi every name is decided as the voter marked it.
    data, _, truth = make_class_ballot_file("tune", "grey_seal", "L0", 51, "strike58")
    election = split_elections("tune")["strike58"]
    first = read_bytes(data, election, at_work_dpi(PROFILE))
    assert first.status == REVIEW and not first.flags
    assert sum(v == "uncertain" for v in first.marks.values()) >= 5
    reading = read_bytes(data, election, PROFILE)
    assert reading.status == "read"
    assert reading.marks == {cid: mark["expected"] for cid, mark in truth["marks"].items()}
    assert reading.checks["first_look"]["dpi"] == 100.0
    assert set(reading.checks["first_look"]["uncertain"]) == {c for c, v in first.marks.items() if v == "uncertain"}
    assert reading.profile_digest == finer_look_profile(PROFILE).digest  # the thresholds that read it
    assert reading.page_image is None


def test_a_page_the_second_look_cannot_settle_goes_to_review_as_first_read():
    # Tuning class ballot grey_seal L0 12 (strike45, a thin black pen): seven strikes uncertain
    # at 100 dpi, one still at 150 dpi: a person gets the first reading, told what the second found.
    data, _, truth = make_class_ballot_file("tune", "grey_seal", "L0", 12, "strike45")
    election = split_elections("tune")["strike45"]
    first = read_bytes(data, election, at_work_dpi(PROFILE))
    assert first.rows["c33"]["span"] < PROFILE.scan.finer_look_span  # not looked at again: the profile's way
    assert "finer_look" not in read_bytes(data, election, PROFILE).checks
    reading = read_bytes(data, election, EVERY_SPAN)
    assert reading.status == REVIEW and reading.marks == first.marks
    assert reading.profile_digest == EVERY_SPAN.digest
    assert reading.checks["finer_look"]["dpi"] == 150.0 and reading.checks["finer_look"]["status"] == REVIEW
    assert reading.checks["finer_look"]["uncertain"] == ["c23"]
    assert reading.checks["finer_look"]["found"]["c23"] == "uncertain"
    assert truth["marks"]["c23"]["expected"] == "struck"
    assert reading.page_image is not None  # the preview of the page a person will look at


def test_a_hidden_partial_line_the_finer_look_loses_keeps_the_page_in_review():
    # Hidden partial lines' benchmark ballot 181 (strike58 L2, bled print, a thin black pen's
    # short line through part of c38's letters): the first look sees its runs off the print's
    # edge (`uncertain`), the finer look finds nothing and every other name as the first did.
    # Taken whole, that second reading would be `read` with c38 kept: a struck vote lost.
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import hidden_partial_benchmark as bench
    finally:
        sys.path.pop(0)
    name, level, data, _, truth = bench.make(181)
    election = split_elections("tune")[name]
    assert truth["c38"]["kind"] == "hidden_partial" and level == "L2"
    first = read_bytes(data, election, at_work_dpi(PROFILE))
    assert first.marks["c38"] == "uncertain" and first.status == REVIEW and not first.flags
    reading = read_bytes(data, election, EVERY_SPAN)
    assert reading.status == REVIEW and reading.marks["c38"] == "uncertain"
    assert reading.checks["finer_look"]["status"] == "read"  # the second look alone would have read it
    assert reading.checks["finer_look"]["found"] == {"c38": "kept"}


def test_a_page_decoded_as_finely_already_is_not_decoded_again():
    # An A4 page at 150 dpi: decoded in full for 100 dpi already, as the second look needs it.
    page = np.full((1754, 1240, 3), 255, np.uint8)
    ok, jpeg = cv2.imencode(".jpg", page)
    first = next(decode_pages(jpeg.tobytes(), PROFILE))
    assert first.reduction == 1 and first.decode_for(finer_look_profile(PROFILE)) is first


def test_a_second_look_that_fails_leaves_the_first_reading():
    from kiemphieu.ocr.reader import read_page

    data, _, _ = make_class_ballot_file("tune", "grey_seal", "L0", 51, "strike58")
    election = split_elections("tune")["strike58"]
    first = read_bytes(data, election, at_work_dpi(PROFILE))
    page = next(decode_pages(data, PROFILE))

    def no_room(profile):
        raise MemoryError("no room for the finer decode")

    page.decode_for = no_room
    reading = read_page(page, election, PROFILE)
    assert reading.status == REVIEW and reading.marks == first.marks and "finer_look" not in reading.checks


def test_the_scan_worker_takes_the_second_look_too(tmp_path):
    """`worker.read_pages` (the web app's reader): the page the second look reads is stored read,
    without a preview; the page it cannot settle goes to review with the first look's preview."""
    import kiemphieu.worker as worker

    settled, _, _ = make_class_ballot_file("tune", "grey_seal", "L0", 51, "strike58")
    unsettled, _, _ = make_class_ballot_file("tune", "grey_seal", "L0", 12, "strike45")
    (tmp_path / "a.jpg").write_bytes(settled)
    (tmp_path / "b.jpg").write_bytes(unsettled)
    elections = split_elections("tune")
    read = next(worker.read_pages(tmp_path / "a.jpg", elections["strike58"], "", "a.jpg", {0}))
    assert read.reading["status"] == "read" and read.reading["checks"]["first_look"]["dpi"] == 100.0
    assert read.preview is None
    every_span = tmp_path / "every-span.toml"  # every doubtful page looked at again
    every_span.write_text('name = "every-span"\n[scan]\nfiner_look_span = 0.0\n')
    review = next(worker.read_pages(tmp_path / "b.jpg", elections["strike45"], str(every_span), "b.jpg", {0}))
    assert review.reading["status"] == REVIEW and review.preview
    assert review.reading["checks"]["finer_look"]["uncertain"] == ["c23"]
    assert "first_look" not in review.reading["checks"]
