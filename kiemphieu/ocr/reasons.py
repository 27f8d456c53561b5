"""Why a page is rejected and what a person must rule on: the contract's strings, typed.

Both are ``StrEnum``: each member *is* its contract string (``Reason.NO_MARKERS == "no_markers"``),
so JSON output and stored readings are unchanged, and the scanning pages can import one list.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a page is not a readable ballot of this election (`reason` of a rejected reading)."""

    UNREADABLE_FILE = "unreadable_file"  # not an image, corrupt, too large, or processing failed
    BLANK_PAGE = "blank_page"  # no printing or writing at all
    NO_MARKERS = "no_markers"  # fewer corner markers than the profile needs
    BAD_GEOMETRY = "bad_geometry"  # markers (or print) do not form an undistorted page
    QR_UNREADABLE = "qr_unreadable"  # the ballot's QR code cannot be read
    CODES_DISAGREE = "codes_disagree"  # the ballot's two QR codes say different things
    WRONG_ELECTION = "wrong_election"  # another election, another round, or not our ballot
    WRONG_LAYOUT = "wrong_layout"  # this election, printed from a different layout


class Flag(StrEnum):
    """What a person must rule on (`flags` of a reading in review)."""

    NO_STAMP = "no_stamp"  # no seal where it belongs
    SEAL_UNCHECKED = "seal_unchecked"  # the seal could not be checked (grey/bitonal scan, ink that is no seal)
    EXTRA_WRITING = "extra_writing"  # ink where nothing should be written
    STREAK = "streak"  # a scanner streak down the page
    LOW_QUALITY = "low_quality"  # too low a resolution or contrast
    NO_MARKS = "no_marks"  # no mark at all on a scanner that can lose a faint pen
    FEW_MARKS = "few_marks"  # more names kept than seats on such a scanner


class Rejection(Exception):
    """Raised by a stage when the page is not a readable ballot of this election."""

    def __init__(self, reason: Reason | str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = Reason(reason), detail
