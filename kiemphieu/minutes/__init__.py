"""The certified minutes (Biên bản kiểm phiếu): rendering, certification and verification.

A pure library: no Flask, no database. The CLI (`kiemphieu minutes`, `kiemphieu verify`,
`kiemphieu minutes-summary`) and the web app's download both call these functions. Every
figure comes from :func:`kiemphieu.tally.tally`.
"""

from .context import DEFAULT_VERIFY_URL_BASE, DRAFT_MARK, Exclusion, verify_url
from .render import (
    BALLOTS_FILE,
    ELECTION_FILE,
    RESULT_FILE,
    RenderedMinutes,
    load_exclusions,
    minutes_html,
    render_congress_summary,
    render_minutes,
    render_minutes_full,
)
from .verify import Finding, UnreadableMinutes, VerificationReport, verify_document, verify_minutes
from .wording import WORDING, Wording, wording_for

__all__ = [name for name in dir() if not name.startswith("_")]
