"""Reading the contract's files (cli.md sections 1 and 2) with errors that name file and line.

Every problem raises :class:`InputError`; the CLI turns it into exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from .model import (
    DEFAULT_RULES,
    Ballot,
    Body,
    BoxesBallot,
    BoxMark,
    Candidate,
    CommitteeMember,
    Election,
    Form,
    InvalidBallot,
    InvalidReason,
    Kind,
    RuleSettings,
    StrikeBallot,
)
from .names import InvalidName, clean_name, indistinguishable_namesakes, normalize_name

ELECTION_SCHEMA = "kiemphieu/election-1"


class InputError(ValueError):
    def __init__(self, file: str, line: int | None, message: str):
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


def _decode(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(file, line, "tệp không phải UTF-8 (file is not UTF-8)") from None
    return text.removeprefix("\ufeff")


def read_text(path: str | Path) -> str:
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(file, None, f"cannot read file: {exc.strerror}") from None
    return _decode(raw, file)


# ---------------------------------------------------------------- election file


class _ElectionReader:
    """Validates the parsed election object, locating each problem on a line of the text."""

    def __init__(self, text: str, file: str):
        self.text, self.file = text, file

    def line_of(self, needle: str) -> int | None:
        index = self.text.find(needle)
        return self.text.count("\n", 0, index) + 1 if index >= 0 else None

    def fail(self, message: str, key: str | None = None, line: int | None = None) -> InputError:
        return InputError(self.file, line or (self.line_of(f'"{key}"') if key else None) or 1, message)

    def name(self, value: str, kind: str, what: str, key: str | None = None, line: int | None = None,
             required: bool = True) -> str:
        """A name checked by ``clean_name`` (invisible characters, mixed scripts, length)."""
        try:
            return clean_name(value, label=what, kind=kind, required=required)
        except InvalidName as exc:
            raise self.fail(str(exc), key, line) from None

    def require(self, obj: dict, key: str, kind: type, where: str = "", line: int | None = None) -> Any:
        if key not in obj:
            raise self.fail(f"missing field '{key}'{where}", line=line)
        return self.typed(obj, key, kind, where, line)

    def typed(self, obj: dict, key: str, kind: type, where: str = "", line: int | None = None) -> Any:
        value = obj[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise self.fail(f"field '{key}'{where} must be {_TYPE_NAMES[kind]}", key, line)
        return value

    def line_of_item(self, item: dict) -> int | None:
        """The line of a nested object, found by its first string value."""
        for value in item.values():
            if isinstance(value, str):
                return self.line_of(json.dumps(value, ensure_ascii=False))
        return None

    def count(self, obj: dict, key: str, *, required: bool, minimum: int = 0) -> int | None:
        if required:
            value = self.require(obj, key, int)
        elif obj.get(key) is None:
            return None
        else:
            value = self.typed(obj, key, int)
        if value < minimum:
            raise self.fail(f"field '{key}' must be at least {minimum}, not {value}", key)
        return value

    def iso_date(self, obj: dict, key: str, where: str = "", line: int | None = None) -> date | None:
        if obj.get(key) is None:
            return None
        value = self.typed(obj, key, str, where, line)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(f"field '{key}'{where} is not a date YYYY-MM-DD: {value!r}", key, line) from None


_TYPE_NAMES = {int: "an integer", str: "a string", list: "a list", dict: "an object"}


def parse_election(text: str, file: str = "<election>") -> Election:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(file, exc.lineno, f"bad JSON: {exc.msg}") from None
    reader = _ElectionReader(text, file)
    if not isinstance(data, dict):
        raise reader.fail("the election must be a JSON object")
    schema = data.get("schema", ELECTION_SCHEMA)
    if schema != ELECTION_SCHEMA:
        raise reader.fail(f"unknown schema {schema!r} (expected {ELECTION_SCHEMA!r})", "schema")

    kind_value = reader.require(data, "kind", str)
    try:
        kind = Kind(kind_value)
    except ValueError:
        raise reader.fail(f"unknown kind {kind_value!r}", "kind") from None

    seats = reader.count(data, "seats", required=True, minimum=1)
    convened = reader.count(data, "convened", required=True, minimum=1)
    excluded = reader.count(data, "excluded", required=False) or 0
    if excluded >= convened:
        raise reader.fail(
            f"excluded ({excluded}) must be less than convened ({convened}): the base would be empty",
            "excluded",
        )
    body_value = _optional_str(reader, data, "body") or str(Body.CONGRESS)
    try:
        body = Body(body_value)
    except ValueError:
        raise reader.fail(f"unknown body {body_value!r} (congress or committee)", "body") from None
    candidates = _parse_candidates(reader, data)
    committee = _parse_committee(reader, data)
    return Election(
        body=body,
        title=reader.name(reader.require(data, "title", str), "file", "title", "title"),
        kind=kind,
        round=reader.count(data, "round", required=False, minimum=1) or 1,
        seats=seats,
        convened=convened,
        excluded=excluded,
        present=reader.count(data, "present", required=False),
        issued=reader.count(data, "issued", required=False),
        candidates=candidates,
        organization=reader.name(_optional_str(reader, data, "organization"), "file", "organization",
                                 "organization", required=False),
        congress=reader.name(_optional_str(reader, data, "congress"), "file", "congress", "congress",
                             required=False),
        place=reader.name(_optional_str(reader, data, "place"), "file", "place", "place", required=False),
        date=reader.iso_date(data, "date"),
        committee=committee,
    )


def _optional_str(reader: _ElectionReader, data: dict, key: str) -> str:
    return reader.typed(data, key, str) if data.get(key) is not None else ""


def _parse_candidates(reader: _ElectionReader, data: dict) -> tuple[Candidate, ...]:
    items = reader.require(data, "candidates", list)
    if not items:
        raise reader.fail("the candidate list is empty", "candidates")
    seen: set[str] = set()
    candidates = []
    for position, item in enumerate(items, start=1):
        where = f" of candidate {position}"
        if not isinstance(item, dict):
            raise reader.fail(f"candidate {position} must be an object", "candidates")
        line = reader.line_of_item(item)
        cid = reader.require(item, "id", str, where, line)
        if not cid.strip():
            raise reader.fail(f"empty id{where}", line=line)
        if cid in seen:
            # The second occurrence is the repeated one.
            first = reader.text.find(f'"{cid}"')
            second = reader.text.find(f'"{cid}"', first + 1)
            raise reader.fail(f"candidate id {cid!r} is repeated",
                              line=reader.text.count("\n", 0, second) + 1 if second > 0 else line)
        seen.add(cid)
        name = normalize_name(reader.require(item, "name", str, where, line))
        if not name:
            raise reader.fail(f"empty name for candidate {cid!r}", line=line)
        name = reader.name(name, "file", f"name of candidate {cid!r}", line=line)
        candidates.append(Candidate(cid, name, reader.iso_date(item, "born", where, line)))
    for name in indistinguishable_namesakes((c.id, c.name, c.born) for c in candidates):
        raise reader.fail(
            f"two candidates are named {name!r}: each needs a different 'born' date to tell them apart",
            line=reader.line_of(json.dumps(name, ensure_ascii=False)))
    return tuple(candidates)


def _parse_committee(reader: _ElectionReader, data: dict) -> tuple[CommitteeMember, ...]:
    if data.get("committee") is None:
        return ()
    members = []
    for position, item in enumerate(reader.typed(data, "committee", list), start=1):
        where = f" of committee member {position}"
        if not isinstance(item, dict):
            raise reader.fail(f"committee member {position} must be an object", "committee")
        line = reader.line_of_item(item)
        name = reader.name(reader.require(item, "name", str, where, line), "file",
                           f"name of committee member {position}", line=line)
        role = normalize_name(item["role"]) if isinstance(item.get("role"), str) else "Ủy viên"
        members.append(CommitteeMember(name, role))
    return tuple(members)


def load_election(path: str | Path) -> Election:
    return parse_election(read_text(path), str(path))


# ---------------------------------------------------------------- ballots (JSON Lines)


def parse_ballot(
    obj: Any, election: Election, rules: RuleSettings = DEFAULT_RULES
) -> Ballot:
    """One ballot object; raises ValueError with a message (the caller adds file and line)."""
    if not isinstance(obj, dict):
        raise ValueError("a ballot must be a JSON object")
    keys = {"struck", "boxes", "invalid"} & obj.keys()
    if len(keys) != 1:
        raise ValueError("a ballot needs exactly one of 'struck', 'boxes' or 'invalid'")
    (key,) = keys
    if key == "invalid":
        return _parse_invalid(obj["invalid"], rules)
    if key == "struck":
        return _parse_struck(obj["struck"], election)
    return _parse_boxes(obj["boxes"], election)


def _parse_invalid(reason: Any, rules: RuleSettings) -> InvalidBallot:
    try:
        parsed = InvalidReason(reason)
    except ValueError:
        parsed = None
    if parsed not in rules.committee_reasons:
        allowed = ", ".join(sorted(rules.committee_reasons))
        raise ValueError(f"unknown invalid reason {reason!r} (allowed: {allowed})")
    return InvalidBallot(parsed)


def _check_id(cid: Any, election: Election) -> str:
    if not isinstance(cid, str) or cid not in election.candidate_ids:
        raise ValueError(f"unknown candidate id {cid!r}")
    return cid


def _parse_struck(struck: Any, election: Election) -> StrikeBallot:
    if election.form is not Form.STRIKE:
        raise ValueError("'struck' given, but this election uses the boxes form (no surplus)")
    if not isinstance(struck, list):
        raise ValueError("'struck' must be a list of candidate ids")
    ids = [_check_id(cid, election) for cid in struck]
    repeated = sorted({cid for cid in ids if ids.count(cid) > 1})
    if repeated:
        raise ValueError(f"candidate id {repeated[0]!r} struck twice")
    return StrikeBallot(frozenset(ids))


def _parse_boxes(boxes: Any, election: Election) -> BoxesBallot:
    if election.form is not Form.BOXES:
        raise ValueError("'boxes' given, but this election uses the strike form (surplus)")
    if not isinstance(boxes, dict):
        raise ValueError("'boxes' must be an object of candidate id to mark")
    marks = {}
    for cid, mark in boxes.items():
        _check_id(cid, election)
        try:
            marks[cid] = BoxMark(mark)
        except ValueError:
            raise ValueError(
                f"unknown mark {mark!r} for {cid!r} (agree, disagree, both, none)"
            ) from None
    return BoxesBallot(marks)


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    """Python's json keeps the last of repeated keys silently; a ballot must not."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"key {key!r} repeated in one ballot")
        obj[key] = value
    return obj


def iter_ballots(
    text: str, election: Election, file: str = "<ballots>", rules: RuleSettings = DEFAULT_RULES
) -> Iterator[Ballot]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_refuse_repeated_keys)
        except json.JSONDecodeError as exc:
            raise InputError(file, number, f"bad JSON: {exc.msg} (column {exc.colno})") from None
        except ValueError as exc:
            raise InputError(file, number, str(exc)) from None
        try:
            yield parse_ballot(obj, election, rules)
        except ValueError as exc:
            raise InputError(file, number, str(exc)) from None


def load_ballots(
    path: str | Path, election: Election, rules: RuleSettings = DEFAULT_RULES
) -> list[Ballot]:
    return list(iter_ballots(read_text(path), election, str(path), rules))



# ---------------------------------------------------------------- writing the same formats


def election_to_json(election: Election) -> dict:
    """The contract's election object, so exports read back to an equal election."""
    data: dict[str, Any] = {
        "schema": ELECTION_SCHEMA,
        "organization": election.organization,
        "congress": election.congress,
        "title": election.title,
        "kind": str(election.kind),
        "round": election.round,
        "seats": election.seats,
        "convened": election.convened,
        "excluded": election.excluded,
        "present": election.present,
        "issued": election.issued,
        "candidates": [
            {"id": c.id, "name": c.name, **({"born": c.born.isoformat()} if c.born else {})}
            for c in election.candidates
        ],
        "place": election.place,
        "date": election.date.isoformat() if election.date else None,
        "committee": [{"name": m.name, "role": m.role} for m in election.committee],
    }
    # Written only when not the default, so a congress's election (and its digest) is as before.
    if election.body is not Body.CONGRESS:
        data["body"] = str(election.body)
    return data


def ballot_to_json(ballot: Ballot) -> dict:
    if isinstance(ballot, InvalidBallot):
        return {"invalid": str(ballot.reason)}
    if isinstance(ballot, StrikeBallot):
        return {"struck": sorted(ballot.struck)}
    return {"boxes": {cid: str(mark) for cid, mark in sorted(ballot.boxes.items())}}
