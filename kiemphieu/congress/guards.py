"""Refusals every set-up service shares: what a finalised round or a round in entry freezes."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Congress, Round, RoundStatus
from ..tally import Body
from .common import SetupError

FROZEN = "Đã có vòng bầu chốt kết quả: không thể sửa."


def has_finalised_round(congress: Congress) -> bool:
    return any(r.is_finalised for e in congress.elections for r in e.rounds)


def refuse_if_finalised(round_: Round) -> None:
    if round_.is_finalised:
        raise SetupError("Vòng bầu đã chốt kết quả: không thể thay đổi.")


def refuse_if_body_finalised(congress: Congress, body: Body | str = Body.CONGRESS) -> None:
    """The figures of one body are frozen once a round that body held is finalised."""
    if any(r.is_finalised for e in congress.elections if e.body == Body(body).value for r in e.rounds):
        raise SetupError(
            "Đã có vòng bầu chốt kết quả: không thể thay đổi số được triệu tập hay số loại trừ "
            "(cơ sở tính quá bán của kết quả đã chốt)."
        )


def refuse_rename_during_entry(congresses: Iterable[Congress]) -> None:
    """The ballots' fingerprint covers the names printed on them (organisation, congress,
    election title): renaming while a round is in entry would make every later scan of that
    round "another election". Finalised rounds keep their own record, so they do not block."""
    for congress in congresses:
        for election in congress.elections:
            for round_ in election.rounds:
                if round_.status == RoundStatus.ENTRY.value:
                    raise SetupError(
                        f"“{election.title}” vòng {round_.number} đang nhập phiếu: tên in trên phiếu bầu "
                        "(tổ chức, đại hội, cuộc bầu) không thể đổi cho đến khi chốt kết quả vòng đó."
                    )
