"""Rendering the minutes and the congress summary: Jinja template -> WeasyPrint -> PDF/A-3b.

Byte-identical output for the same inputs: the metadata dates come from the election date
(and the end-of-count time when given), the attachments carry the same dates, the file
identifier is derived from the round digest, and the fonts are the Liberation Serif files
named below (metric-compatible with Times New Roman), never whatever fontconfig finds.
"""

from __future__ import annotations

import io
import json
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import jinja2
import markupsafe

from kiemphieu.tally import (
    Ballot,
    Election,
    Result,
    ballot_to_json,
    canonical_record,
    record_digest,
    tally,
)

from .context import DRAFT_MARK, Exclusion, header_context, minutes_context, outcome_paragraphs
from .formatting import DOTS, parse_clock, percent_vi
from .wording import assembly_for, wording_for

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
FONT_FILES = {
    ("normal", "normal"): "LiberationSerif-Regular.ttf",
    ("bold", "normal"): "LiberationSerif-Bold.ttf",
    ("normal", "italic"): "LiberationSerif-Italic.ttf",
    ("bold", "italic"): "LiberationSerif-BoldItalic.ttf",
}
PDF_VARIANT = "pdf/a-3b"
VIETNAM = timezone(timedelta(hours=7))

# Names of the attached files (PDF/A-3 associated files); `verify` reads them back.
ELECTION_FILE = "election.json"
BALLOTS_FILE = "ballots.jsonl"
RESULT_FILE = "result.json"


# WeasyPrint shares one font configuration per process; it is not documented as thread-safe,
# so a threaded web server renders one document at a time.
_RENDER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def jinja_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


@lru_cache(maxsize=1)
def font_faces() -> str:
    """@font-face rules loading Liberation Serif (Times New Roman metrics) from its files.

    The stylesheet names "Liberation Serif" first so every machine embeds these very files
    (byte-identical output) and the PDF names the font it really contains; "Times New Roman"
    is only the fallback when the files are missing."""
    folder = next((d for d in FONT_DIRS if (d / FONT_FILES["normal", "normal"]).is_file()), None)
    if folder is None:  # fall back to fontconfig's alias (still Liberation on Debian)
        return ""
    rules = []
    for (weight, style), name in FONT_FILES.items():
        rules.append(
            '@font-face { font-family: "Liberation Serif"; '
            f'src: url("{(folder / name).as_uri()}"); font-weight: {weight}; font-style: {style}; }}'
        )
    return "\n".join(rules)


@lru_cache(maxsize=1)
def _weasy():
    # Imported lazily: WeasyPrint loads Pango and fonts, the CLI's other commands need neither.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    return weasyprint, FontConfiguration()


def timestamp_for(day: date | None, ended_at: str | None) -> datetime:
    """The document's fixed date: the election day (at the end of the count when known)."""
    hours, minutes = parse_clock(ended_at) if ended_at else (0, 0)
    day = day or date(2000, 1, 1)
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=VIETNAM)


def qr_data_uri(url: str) -> str:
    import segno

    # A PNG is embedded once and reused by every page; an SVG would be redrawn path by path
    # on each page (a third of the render time for a long document).
    return segno.make(url, error="m", micro=False).png_data_uri(scale=8, border=0)


def _json_bytes(obj: object) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def ballots_jsonl(ballots: Sequence[Ballot]) -> bytes:
    lines = [json.dumps(ballot_to_json(b), ensure_ascii=False, sort_keys=True) for b in ballots]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def _html_to_pdf(html: str, *, when: datetime, attachments: list[tuple[str, bytes, str, str]],
                 identifier: bytes) -> bytes:
    weasyprint, font_config = _weasy()
    stamp = when.astimezone(timezone.utc).replace(tzinfo=None)
    files = [
        weasyprint.Attachment(file_obj=io.BytesIO(data), name=name, description=description,
                              created=stamp, modified=stamp, relationship=relationship)
        for name, data, description, relationship in attachments
    ]
    with _RENDER_LOCK:
        document = weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).render(font_config=font_config)
        return document.write_pdf(
            finisher=_dedupe_associated_files,
            pdf_variant=PDF_VARIANT,
            attachments=files or None,
            pdf_identifier=identifier,
            uncompressed_pdf=False,
        )


def _dedupe_associated_files(_document, pdf) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF; keep one of each."""
    associated = pdf.catalog.get("AF")
    if associated:
        import pydyf

        unique = list(dict.fromkeys(associated))
        pdf.catalog["AF"] = pydyf.Array(unique)


def _document_fields(when: datetime, title: str, author: str) -> dict:
    return {
        "font_faces": markupsafe.Markup(font_faces()),
        "timestamp": when.isoformat(timespec="seconds"),
        "document_title": title,
        "document_author": author,
    }


@dataclass(frozen=True)
class RenderedMinutes:
    pdf: bytes
    digest: str
    result: Result


def render_minutes_full(
    election: Election,
    ballots: Sequence[Ballot],
    *,
    verify_url_base: str | None = None,
    ended_at: str | None = None,
    draft: bool = False,
    exclusions: Sequence[Exclusion] | None = None,
    audit_head: str | None = None,
    signers: Sequence[str] | None = None,
) -> RenderedMinutes:
    """As :func:`render_minutes`, also returning the digest and the engine's result."""
    ballots = list(ballots)
    result = tally(election, ballots)
    record = canonical_record(election, ballots, result)
    digest = record_digest(record)
    when = timestamp_for(election.date, ended_at)
    html = minutes_html(election, result, digest, verify_url_base=verify_url_base, ended_at=ended_at,
                        draft=draft, exclusions=exclusions, audit_head=audit_head, signers=signers)
    election_json = record["election"]
    if exclusions:
        election_json = {**election_json,
                         "exclusions": [{"count": x.count, "reason": x.reason} for x in exclusions]}
    attachments = [
        (ELECTION_FILE, _json_bytes(election_json), "Election (kiemphieu/election-1)", "Source"),
        (BALLOTS_FILE, ballots_jsonl(ballots), "Ballots as ruled by the committee, one a line", "Source"),
        (RESULT_FILE, _json_bytes(record["result"]), "Result of kiemphieu tally", "Data"),
    ]
    pdf = _html_to_pdf(html, when=when, attachments=attachments, identifier=digest[:32].encode())
    return RenderedMinutes(pdf, digest, result)


def minutes_html(
    election: Election,
    result: Result,
    digest: str,
    *,
    verify_url_base: str | None = None,
    ended_at: str | None = None,
    draft: bool = False,
    exclusions: Sequence[Exclusion] | None = None,
    audit_head: str | None = None,
    signers: Sequence[str] | None = None,
) -> str:
    """The HTML the minutes PDF is made from (also shown by the web app's public /verify)."""
    when = timestamp_for(election.date, ended_at)
    context = minutes_context(
        election, result, digest, verify_url_base=verify_url_base, ended_at=ended_at,
        draft=draft, exclusions=list(exclusions or []), signers=signers,
    )
    context["qr_uri"] = qr_data_uri(context["verify_url"])
    context["audit_head"] = audit_head
    context.update(_document_fields(
        when, f"Biên bản kiểm phiếu: {election.title}" + (f" (lần {election.round})" if election.round > 1 else ""),
        f"Ban kiểm phiếu — {election.congress or election.organization}",
    ))
    return jinja_env().get_template("minutes/minutes.html").render(context)


def render_minutes(
    election: Election,
    ballots: Sequence[Ballot],
    *,
    verify_url_base: str | None = None,
    ended_at: str | None = None,
    draft: bool = False,
    exclusions: Sequence[Exclusion] | None = None,
    audit_head: str | None = None,
    signers: Sequence[str] | None = None,
) -> bytes:
    """The certified minutes of one round as PDF/A-3b bytes (same inputs, same bytes).

    ``draft=True`` watermarks every page "BẢN NHÁP — CHƯA KẾT THÚC" (rounds not finalised).
    ``ended_at`` is "HH:MM", printed as the time counting ended; dots to fill in otherwise.
    ``audit_head`` (the web app's certified rounds) is printed in the footer as the audit
    chain's head at finalisation, so a rewritten or cut log no longer matches the paper.
    ``signers``: the committee members present, who get signature lines (all when None).
    """
    return render_minutes_full(
        election, ballots, verify_url_base=verify_url_base, ended_at=ended_at, draft=draft,
        exclusions=exclusions, audit_head=audit_head, signers=signers,
    ).pdf


def _summary_round(index: int, election: Election, result: Result, digest: str | None) -> dict:
    assembly = assembly_for(election.body)
    names = election.display_names
    return {
        "index": index,
        "title": election.title,
        "round": election.round,
        "short": wording_for(election.kind).short,
        "elected_as": wording_for(election.kind).elected_as,
        "seats": election.seats,
        "result": result,
        "elected": [
            {"rank": i, "name": names[c.id], "votes": c.votes, "percent": percent_vi(c.percent)}
            for i, c in enumerate((result.by_id(cid) for cid in result.elected), start=1)
        ],
        "outcome": outcome_paragraphs(election, result, assembly),
        "digest": digest,
    }


def render_congress_summary(
    congress_name: str,
    organization: str,
    rounds: Sequence[tuple[Election, Result]],
    *,
    digests: Sequence[str | None] | None = None,
    place: str | None = None,
    day: date | None = None,
    draft: bool = False,
    signer: str | None = None,
) -> bytes:
    """All elections and rounds of a congress on one document, for the presidium to announce.

    ``rounds`` in the order they were held; ``digests`` (optional, same order) prints each
    round's certified fingerprint so the summary points at the signed minutes. ``signer``:
    who signs for the presidium (TM. ĐOÀN CHỦ TỊCH); a dotted line to write it in otherwise.
    """
    if not rounds:
        raise ValueError("the congress summary needs at least one round")
    digests = list(digests) if digests is not None else [None] * len(rounds)
    if len(digests) != len(rounds):
        raise ValueError("one digest per round (or none at all)")
    first = rounds[0][0]
    day = day or max((e.date for e, _ in rounds if e.date), default=None)
    place = place if place is not None else first.place
    items = [_summary_round(i, e, r, d) for i, ((e, r), d) in enumerate(zip(rounds, digests), start=1)]
    # Everyone elected, per election (rounds of one election share its kind and title).
    groups: dict[tuple[str, str], dict] = {}
    for (election, result), item in zip(rounds, items):
        title = election.title
        group = groups.setdefault((str(election.kind), title), {"title": title, "names": []})
        group["names"].extend(row["name"] for row in item["elected"])
    when = timestamp_for(day, None)
    context = {
        **header_context(organization, congress_name, place, day),
        **_document_fields(when, f"Kết quả bầu cử: {congress_name}", organization),
        "congress_name": congress_name,
        "items": items,
        "groups": list(groups.values()),
        "draft": draft,
        "draft_mark": DRAFT_MARK,
        "digest": None,
        "signer": signer or "",
        "dots": DOTS,
    }
    html = jinja_env().get_template("minutes/summary.html").render(context)
    identifier = round_digest_of_summary(items)
    return _html_to_pdf(html, when=when, attachments=[], identifier=identifier)


def round_digest_of_summary(items: list[dict]) -> bytes:
    import hashlib

    text = "|".join(f"{i['title']}#{i['round']}#{i['digest']}#{[r['name'] for r in i['elected']]}" for i in items)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32].encode()


def load_exclusions(text: str, file: str, excluded: int) -> list[Exclusion]:
    """The optional ``exclusions`` list of an election file (an addition to the contract).

    ``[{"count": 1, "reason": "Vắng mặt cả kỳ đại hội có lý do"}]``; the counts must add up
    to ``excluded``. Raises InputError (exit 2) naming the file and line.
    """
    from kiemphieu.tally import InputError

    data = json.loads(text)
    items = data.get("exclusions") if isinstance(data, dict) else None
    if items is None:
        return []
    index = text.find('"exclusions"')
    line = text.count("\n", 0, index) + 1 if index >= 0 else None
    if not isinstance(items, list):
        raise InputError(file, line, "'exclusions' must be a list of {count, reason}")
    exclusions = []
    for position, item in enumerate(items, start=1):
        count = item.get("count") if isinstance(item, dict) else None
        reason = item.get("reason") if isinstance(item, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 1 or not isinstance(reason, str) or not reason.strip():
            raise InputError(file, line, f"exclusion {position} needs a positive integer 'count' and a 'reason'")
        exclusions.append(Exclusion(count, unicodedata.normalize("NFC", reason.strip())))
    total = sum(x.count for x in exclusions)
    if total != excluded:
        raise InputError(file, line, f"the exclusions add up to {total}, but 'excluded' is {excluded}")
    return exclusions
