"""Compare a reading (contract section 4 object) with the truth of a synthetic ballot."""

from __future__ import annotations

from dataclasses import dataclass, field

# An expected flag is also satisfied by these: on a grey or bitonal scan the reader may say the
# seal could not be checked rather than that it is missing (either way a person looks).
FLAG_ALTERNATIVES = {"no_stamp": ("no_stamp", "seal_unchecked")}


@dataclass
class Judgement:
    status: str  # what the reader said: read | review | rejected
    silent_error: bool = False  # a `read` that a careful committee would not sign
    wrong_rejection: bool = False  # a ballot of this election rejected
    missed_rejection: bool = False  # a must-reject ballot not rejected (silent if read)
    wrong_definite_in_review: int = 0  # definite marks that differ from the truth on a reviewed ballot
    lost_in_capture: int = 0  # wrong answers on marks the capture itself erased (bitonal threshold)
    errors: list[str] = field(default_factory=list)


def _marks_of(reading: dict, form: str) -> dict:
    return (reading.get("marks") if form == "strike" else reading.get("boxes")) or {}


def judge_reading(truth: dict, reading: dict) -> Judgement:
    status = reading.get("status")
    j = Judgement(status=status)
    cls = truth["status_class"]
    if cls == "must_reject":
        if status != "rejected":
            j.missed_rejection = True
            j.errors.append(f"{truth['scenario']} not rejected ({status})")
            j.silent_error = status == "read"
        return j
    if status == "rejected":
        j.wrong_rejection = True
        j.errors.append(f"rejected: {reading.get('reason')}")
        return j
    got = _marks_of(reading, truth["form"])
    wrong = []
    for cid, row in truth["marks"].items():
        answer = got.get(cid, "missing" if truth["form"] == "strike" else "none")
        if answer == "uncertain":
            continue
        if answer not in row["accept"]:
            if row.get("visible") is False:
                j.lost_in_capture += 1
                j.errors.append(f"{cid}: mark lost in capture, read {answer} ({row['kind']}, {row.get('pen')})")
                continue
            wrong.append(f"{cid}: read {answer}, truth {row['expected']} ({row['kind']}, {row.get('pen')})")
    for cid in got:
        if cid not in truth["marks"]:
            wrong.append(f"{cid}: not on this ballot")
    if status == "read":
        if any(v == "uncertain" for v in got.values()):
            wrong.append("status read with an uncertain mark")
        flags = set(reading.get("flags") or ())
        for flag in truth["expect_flags"]:
            if not flags.intersection(FLAG_ALTERNATIVES.get(flag, (flag,))):
                wrong.append(f"missing flag {flag}")
        if wrong:
            j.silent_error = True
            j.errors.extend(wrong)
    else:
        j.wrong_definite_in_review = len(wrong)
        j.errors.extend(wrong)
    return j
