"""The documents the worker makes, by kind: who may have one, what it is made from, how it renders.

``prepare(params)`` reads the database (in the request, to know whether the document already
exists; again in the worker, to make it) and returns the render's inputs as plain values;
``render`` then uses only those, with no transaction open. The digest of the inputs (their
``repr``: engine dataclasses, numbers, strings, dates) keys the job, so unchanged inputs reuse
a finished document and any change (a ballot saved, a new version) makes a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from ..extensions import db
from ..models import Congress, Role, Round

PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


class NotAvailable(Exception):
    """The document cannot be made now; the message says why, in Vietnamese."""

    def __init__(self, message: str, back: str | None = None):
        super().__init__(message)
        self.message, self.back = message, back


@dataclass
class Prepared:
    congress_id: int
    round_id: int | None
    file_name: str
    inputs: tuple  # everything the render uses; its repr is digested
    render: Callable[[], bytes]

    @property
    def digest(self) -> str:
        return hashlib.sha256(repr(self.inputs).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DocumentKind:
    name: str
    label: str  # "Biên bản kiểm phiếu"
    required_role: Role
    content_type: str
    inline: bool  # shown in the browser (PDF) rather than saved (PPTX)
    prepare: Callable[[dict[str, Any]], Prepared]
    source: Callable[[dict[str, Any]], str]  # the address that asks for it (retry)


def _round(params: dict[str, Any]) -> Round:
    round_ = db.session.get(Round, int(params["round_id"]))
    if round_ is None:
        raise NotAvailable("Vòng bầu không còn tồn tại.")
    return round_


def _congress(params: dict[str, Any]) -> Congress:
    congress = db.session.get(Congress, int(params["congress_id"]))
    if congress is None:
        raise NotAvailable("Đại hội không còn tồn tại.")
    return congress


# ------------------------------------------------------------------ the kinds


def _ballots(params: dict[str, Any]) -> Prepared:
    from ..ocr import render_ballot_pdf

    round_, copies = _round(params), int(params["copies"])
    election = round_.to_election()
    return Prepared(round_.election.congress_id, round_.id, f"phieu-bau-vong-{round_.number}.pdf",
                    (election, copies), lambda: render_ballot_pdf(election, copies=copies))


def _minutes(params: dict[str, Any]) -> Prepared:
    from ..minutes import render_minutes
    from ..results import services as results

    round_ = _round(params)
    version = results.latest_version(round_) if round_.is_finalised else None
    inputs = results.minutes_inputs(round_, version)
    election, ballots = inputs.rr.election, inputs.rr.ballots
    options = inputs.render_kwargs(params["verify_url_base"])
    name = f"bien-ban-kiem-phieu-vong-{round_.number}" + ("" if version else "-ban-nhap") + ".pdf"
    return Prepared(round_.election.congress_id, round_.id, name, (election, ballots, options),
                    lambda: render_minutes(election, ballots, **options))


def _entry_log(params: dict[str, Any]) -> Prepared:
    from ..documents.entry_log import _when, gather_entry_log
    from ..minutes.entry_log import render_entry_log
    from ..models import utcnow
    from ..results import services as results

    round_ = _round(params)
    if round_.status == "setup":
        raise NotAvailable("Vòng bầu chưa bắt đầu nhập phiếu.")
    version = results.latest_version(round_) if round_.is_finalised else None
    inputs = results.minutes_inputs(round_, version)
    election, ballots = inputs.rr.election, inputs.rr.ballots
    log = gather_entry_log(round_, election)
    options = dict(draft=inputs.draft, verify_url_base=params["verify_url_base"], audit_head=inputs.audit_head)
    name = f"nhat-ky-nhap-phieu-vong-{round_.number}{'' if round_.is_finalised else '-ban-nhap'}.pdf"
    return Prepared(round_.election.congress_id, round_.id, name, (election, ballots, log, options),
                    lambda: render_entry_log(election, ballots, log, printed_at=_when(utcnow()), **options))


def _summary(params: dict[str, Any]) -> Prepared:
    from ..documents import services
    from ..minutes import render_congress_summary

    congress = _congress(params)
    rounds = services.summary_rounds(congress)
    if not rounds:
        raise NotAvailable("Chưa có vòng bầu nào bắt đầu kiểm phiếu.")
    arguments = (congress.full_name, congress.organisation.name, [(r.election, r.result) for r in rounds])
    options = dict(digests=[r.digest for r in rounds], place=congress.date_place or None,
                   signer=congress.presidium_signer or None, draft=any(r.digest is None for r in rounds))
    return Prepared(congress.id, None, "tong-hop-ket-qua-bau-cu.pdf", (arguments, options),
                    lambda: render_congress_summary(*arguments, **options))


def _slides(render_name: str, file_name: str) -> Callable[[dict[str, Any]], Prepared]:
    def prepare(params: dict[str, Any]) -> Prepared:
        from ..hall import presentation, services

        congress = _congress(params)
        slides = services.finalised_slides(congress)
        if not slides:
            raise NotAvailable("Chưa có vòng bầu nào được chốt kết quả.")
        name, render = congress.full_name, getattr(presentation, render_name)
        return Prepared(congress.id, None, file_name, (name, slides), lambda: render(name, slides))

    return prepare


KINDS: dict[str, DocumentKind] = {kind.name: kind for kind in (
    DocumentKind("ballots", "Phiếu bầu để in", Role.ORGANISER, PDF, True, _ballots,
                 lambda p: url_for("documents.ballots_pdf", round_id=p["round_id"], copies=p["copies"])),
    DocumentKind("minutes", "Biên bản kiểm phiếu", Role.VIEWER, PDF, True, _minutes,
                 lambda p: url_for("results.minutes", round_id=p["round_id"])),
    DocumentKind("entry_log", "Nhật ký nhập phiếu bầu", Role.VIEWER, PDF, True, _entry_log,
                 lambda p: url_for("documents.entry_log_pdf", round_id=p["round_id"])),
    DocumentKind("summary", "Tổng hợp kết quả bầu cử", Role.VIEWER, PDF, True, _summary,
                 lambda p: url_for("documents.summary_pdf", congress_id=p["congress_id"])),
    DocumentKind("slides_pdf", "Kết quả bầu cử để trình chiếu (PDF)", Role.VIEWER, PDF, True,
                 _slides("render_slides_pdf", "ket-qua-bau-cu-trinh-chieu.pdf"),
                 lambda p: url_for("hall.slides_pdf", congress_id=p["congress_id"])),
    DocumentKind("slides_pptx", "Kết quả bầu cử để trình chiếu (PowerPoint)", Role.VIEWER, PPTX, False,
                 _slides("render_pptx", "ket-qua-bau-cu.pptx"),
                 lambda p: url_for("hall.pptx", congress_id=p["congress_id"])),
)}
