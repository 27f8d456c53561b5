"""The audit log in words a count committee reads: a Vietnamese label per action code and each
entry's detail as a sentence, with names instead of ids and a ballot's reading as names.

Pure Python (no Flask, no database): the page gathers the names it needs (``Names``) in a
fixed number of queries and this module only formats. The stored detail is never changed (the
chain's hashes cover it); an action or a field this module does not know is shown as stored,
readably, rather than hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..labels import BODY_LABELS, CONGRESS_KIND_LABELS, ENTRY_MODE_LABELS, KIND_LABELS, USER_ROLE_LABELS, date_short
from ..scanning.reasons import flag_label, reject_label
from ..tally import REASON_LABELS, InvalidReason

# Every action code the app records (tests/web/test_audit_page.py checks the sources against it).
ACTION_LABELS: dict[str, str] = {
    "auth.login": "Đăng nhập",
    "auth.logout": "Đăng xuất",
    "auth.login_failed": "Đăng nhập sai",
    "auth.login_locked": "Tạm khóa đăng nhập",
    "user.create": "Tạo người dùng",
    "user.grant": "Giao quyền trên tổ chức đảng",
    "user.revoke": "Thu hồi quyền trên tổ chức đảng",
    "user.password": "Đổi mật khẩu",
    "user.activate": "Mở khóa tài khoản",
    "user.deactivate": "Khóa tài khoản",
    "user.role": "Đổi vai trò chung",
    "user.assign": "Giao quyền trong đại hội",
    "user.unassign": "Thu hồi quyền trong đại hội",
    "organisation.create": "Tạo tổ chức đảng",
    "organisation.update": "Sửa tổ chức đảng",
    "congress.create": "Tạo đại hội",
    "congress.update": "Sửa thông tin đại hội",
    "congress.committee_convened": "Ghi số ủy viên Ban Chấp hành được triệu tập",
    "exclusion.add": "Thêm trường hợp loại trừ khỏi tổng số",
    "exclusion.remove": "Xóa trường hợp loại trừ",
    "committee.add": "Thêm thành viên Ban kiểm phiếu",
    "committee.remove": "Xóa thành viên Ban kiểm phiếu",
    "election.create": "Tạo cuộc bầu cử",
    "election.update": "Sửa cuộc bầu cử",
    "candidate.add": "Thêm người ứng cử",
    "candidate.update": "Sửa người ứng cử",
    "candidate.remove": "Xóa người ứng cử",
    "round.numbers": "Ghi số đại biểu có mặt và số phiếu phát ra",
    "round.entry_mode": "Chọn cách nhập phiếu",
    "round.batches": "Chia tệp phiếu",
    "round.start_entry": "Bắt đầu nhập phiếu",
    "round.open": "Mở vòng bầu mới",
    "round.finalise": "Chốt kết quả",
    "round.reopen": "Mở lại vòng bầu đã chốt",
    "ballot.save": "Nhập phiếu",
    "ballot.undo": "Hủy phiếu vừa nhập",
    "ballot.settle": "Thống nhất phiếu nhập lệch",
    "scan.upload": "Tải ảnh phiếu lên",
    "scan.read": "Máy đọc phiếu",
    "scan.adjudicate": "Phân xử phiếu quét",
    "scan.reopen": "Mở lại phân xử",
    "scan.requeue": "Đọc lại ảnh phiếu",
    "scan.rule_rejected": "Kết luận ảnh bị từ chối",
    "scan.station_token": "Cấp mã cho trạm quét",
    "minutes.sign": "Ký số biên bản",
    "entry_log.sign": "Ký số nhật ký nhập phiếu",
    "demo.ballots": "Nhập phiếu mẫu (dữ liệu thử)",
    "season.import": "Nhập danh sách từ tệp",
    "audit.rechain": "Chuyển nhật ký sang chuỗi theo đại hội",
}

BOX_WORDS = {"agree": "đồng ý", "disagree": "không đồng ý", "both": "đánh cả hai ô", "none": "để trống"}
RULING_WORDS = {
    "struck": "gạch", "kept": "giữ lại", **BOX_WORDS, "valid": "cả lá phiếu hợp lệ",
    "not_ballot": "không phải phiếu bầu", "rescanned": "đã quét lại hoặc nhập tay", "reset": "mở lại phân xử",
}
SCAN_STATUS_WORDS = {"pending": "chờ đọc", "read": "đọc được", "review": "cần phân xử", "rejected": "bị từ chối",
                     "adjudicated": "đã phân xử"}
SETTLE_WORDS = {"A": "theo lượt A", "B": "theo lượt B", "C": "theo lượt C", "marks": "theo tờ phiếu",
                "absent": "không có phiếu ở vị trí này"}
SCOPE_WORDS = {"user_from_address": "tên đăng nhập từ địa chỉ này", "address": "mọi tên đăng nhập từ địa chỉ này"}
SYSTEM_USER = "hệ thống"


@dataclass
class Names:
    """What the page resolves ids with: gathered per page, in a fixed number of queries."""

    rounds: dict[int, str] = field(default_factory=dict)  # round id -> "Bầu Ban Chấp hành — vòng 2"
    elections: dict[int, str] = field(default_factory=dict)  # election id -> title
    candidates: dict[int, dict[str, str]] = field(default_factory=dict)  # round id -> code -> name, ballot order
    organisations: dict[int, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # username -> full name

    def candidates_of_round(self, round_id: Any) -> dict[str, str]:
        return self.candidates.get(round_id, {}) if isinstance(round_id, int) else {}

    def person(self, username: str) -> str:
        if not username:
            return SYSTEM_USER
        full = self.users.get(username)
        return f"{full} ({username})" if full and full != username else username


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


# ------------------------------------------------------------------ a ballot's reading


def _in_order(codes: list[str], names: Mapping[str, str]) -> list[str]:
    order = {code: position for position, code in enumerate(names)}
    return [names.get(code, code) for code in sorted(codes, key=lambda c: (order.get(c, len(order)), c))]


def reading_words(marks: Mapping[str, Any] | None, names: Mapping[str, str]) -> str:
    """A ballot's marks as names: "gạch: Nguyễn Văn An, Trần Thị Bình", "đồng ý: …; không đồng ý: …".

    ``names`` maps candidate codes to names in ballot order; an unknown code is shown as is.
    """
    if marks is None:
        return "không có phiếu"
    if marks.get("absent"):
        return "không có phiếu ở vị trí này"
    if "invalid" in marks:
        return "không hợp lệ: " + invalid_reason_words(marks["invalid"])
    if "struck" in marks:
        struck = list(marks.get("struck") or [])
        return "gạch: " + ", ".join(_in_order(struck, names)) if struck else "không gạch tên nào"
    boxes: Mapping[str, str] = marks.get("boxes") or {}
    codes = list(names) + [code for code in boxes if code not in names]
    groups = []
    for value, words in BOX_WORDS.items():
        chosen = [code for code in codes if boxes.get(code, "none") == value]
        if chosen:
            groups.append(f"{words}: " + ", ".join(_in_order(chosen, names)))
    return "; ".join(groups) or "để trống"


def invalid_reason_words(reason: object) -> str:
    try:
        return REASON_LABELS[InvalidReason(str(reason))]
    except ValueError:
        return str(reason)


def ruling_words(ruling: str) -> str:
    """A committee ruling on a row or on the whole ballot ("struck", "invalid:no_stamp")."""
    if ruling.startswith("invalid:"):
        return "cả lá phiếu không hợp lệ: " + invalid_reason_words(ruling.split(":", 1)[1])
    return RULING_WORDS.get(ruling, ruling)


# ------------------------------------------------------------------ values and generic fields


FIELD_LABELS = {
    "name": "tên", "title": "tên", "seats": "số cần bầu", "kind": "loại", "body": "cơ quan bầu", "born": "sinh ngày",
    "level": "cấp", "role": "vai trò", "username": "người dùng", "organisation": "tổ chức đảng",
    "present": "có mặt", "issued": "phiếu phát ra", "voted_on": "ngày bầu", "entry_mode": "cách nhập",
    "batches": "số tệp phiếu", "count": "số", "reason": "lý do", "base": "tổng số làm căn cứ",
    "convened": "triệu tập", "committee_convened": "ủy viên được triệu tập", "effective": "căn cứ",
    "place": "địa điểm", "start_date": "ngày khai mạc", "number": "lần thứ", "term": "nhiệm kỳ",
    "version": "phiên bản", "digest": "mã kết quả", "signer": "người ký", "file": "tệp", "pages": "số trang",
    "profile": "cấu hình máy quét", "source": "nguồn", "note": "ghi chú", "own": "tự đổi", "address": "địa chỉ",
    "failures": "số lần sai", "batch": "tệp", "sequence": "số thứ tự", "end_date": "ngày bế mạc",
    "locality": "địa danh ghi ngày", "presidium_signer": "người ký thay Đoàn Chủ tịch", "remote_addr": "địa chỉ máy",
    "scope": "phạm vi", "previous_version": "phiên bản trước", "choice": "chọn", "status": "trạng thái",
}
# Organisation levels (the same words as models.ORGANISATION_LEVEL_LABELS; a test keeps them equal).
LEVEL_WORDS = {"province": "Tỉnh (thành phố)", "district": "Huyện / đảng bộ cấp trên cơ sở", "grassroots": "Cơ sở",
               "cell": "Chi bộ"}
# Ids, keys and digests the words replace (the chain still holds them).
HIDDEN = {"round_id", "election_id", "candidate_id", "ballot_id", "member_id", "exclusion_id", "organisation_id",
          "parent_id", "ballot_digest", "ballot_digests", "key", "sha256", "scan_ids", "scan_id", "candidates",
          "code", "marks", "previous_digest", "replaced", "superseded_ballot_id", "checks", "kind_of_file"}
VALUE_WORDS: dict[str, Mapping[str, str]] = {
    "kind": {**{k.value: v for k, v in KIND_LABELS.items()}, **CONGRESS_KIND_LABELS},
    "body": {k.value: v for k, v in BODY_LABELS.items()},
    "role": USER_ROLE_LABELS, "entry_mode": ENTRY_MODE_LABELS, "source": {"import": "nhập từ tệp"},
    "scope": SCOPE_WORDS, "level": LEVEL_WORDS,
}


def value_words(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date_short(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(value_words(key, v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_words(k, v)}" for k, v in value.items())
    if key == "digest" and isinstance(value, str):
        return value[:16] + "…"
    return str(VALUE_WORDS.get(key, {}).get(str(value), value))


def fields_words(detail: Mapping[str, Any], skip: set[str] = frozenset()) -> list[str]:
    """Every field not hidden and not None, as "label: value" (an unknown key keeps its name)."""
    return [f"{FIELD_LABELS.get(key, key)}: {value_words(key, value)}" for key, value in detail.items()
            if key not in HIDDEN and key not in skip and value is not None and value != ""]


# ------------------------------------------------------------------ one sentence per action


def _round(detail: Mapping[str, Any], names: Names) -> str:
    round_id = detail.get("round_id")
    if round_id is None:
        return ""
    return names.rounds.get(round_id, f"vòng bầu số {round_id}")


def _election(detail: Mapping[str, Any], names: Names) -> str:
    election_id = detail.get("election_id")
    return names.elections.get(election_id, detail.get("title") or "") if election_id is not None else ""


def _position(detail: Mapping[str, Any]) -> str:
    where = f"lượt {detail['entry_pass']}" if detail.get("entry_pass") else ""
    if detail.get("batch") not in (None, 1):
        where += f", tệp {detail['batch']}"
    if detail.get("sequence") is not None:
        where += f", phiếu số {detail['sequence']}"
    return where.lstrip(", ")


def _ballot(detail, names) -> list[str]:
    parts = [_position(detail)] if _position(detail) else []
    return parts + [reading_words(detail.get("marks"), names.candidates_of_round(detail.get("round_id")))]


def _settle(detail, names) -> list[str]:
    candidates = names.candidates_of_round(detail.get("round_id"))
    parts = [_position(detail), "thống nhất " + SETTLE_WORDS.get(str(detail.get("choice")), str(detail.get("choice"))),
             "kết quả: " + reading_words(detail.get("marks"), candidates)]
    for key, value in detail.items():
        if key.startswith("pass_") and value is not None:
            parts.append(f"lượt {key[5:].upper()} đã nhập: " + reading_words(value, candidates))
    if detail.get("note"):
        parts.append(f"ghi chú: {detail['note']}")
    return parts


def _adjudicate(detail, names) -> list[str]:
    candidates = names.candidates_of_round(detail.get("round_id"))
    parts = [f"ảnh {detail.get('scan_id')}"]
    rows = detail.get("rows") or {}
    parts += [f"{candidates.get(code, code)}: {ruling_words(ruling)}" for code, ruling in rows.items()]
    if detail.get("ballot_ruling"):
        parts.append(ruling_words(detail["ballot_ruling"]))
    if detail.get("done"):
        parts.append("xong — phiếu được tính: " + reading_words(detail.get("marks"), candidates)
                     if detail.get("marks") is not None else "xong — không tính là phiếu")
    else:
        parts.append("còn dòng chờ phân xử")
    return parts


def _scan_read(detail, names) -> list[str]:
    status = str(detail.get("status"))
    parts = [f"ảnh {detail.get('scan_id')}: " + SCAN_STATUS_WORDS.get(status, status)]
    if detail.get("reason"):
        parts.append("lý do: " + reject_label(detail["reason"]))
    if detail.get("flags"):
        parts.append("dấu hiệu: " + ", ".join(flag_label(f) for f in detail["flags"]))
    return parts


def _candidates(detail, names) -> list[str]:
    election_names = names.candidates_of_round(detail.get("round_id"))
    codes = detail.get("candidates") or []
    parts = fields_words(detail, {"number"})
    if codes:
        parts.append("danh sách: " + ", ".join(_in_order(codes, election_names)))
    return parts


def _finalise(detail, names) -> list[str]:
    parts = [f"phiên bản {detail.get('version')}", f"{detail.get('counted')} phiếu được tính"]
    if detail.get("digest"):
        parts.append("mã kết quả " + value_words("digest", detail["digest"]))
    if detail.get("confirmed_by"):
        parts.append("xác nhận: " + value_words("confirmed_by", detail["confirmed_by"]))
    return parts


def _scan_list(detail, names) -> list[str]:
    ids = detail.get("scan_ids") or []
    parts = [f"{len(ids)} ảnh ({', '.join(str(i) for i in ids[:20])}{'…' if len(ids) > 20 else ''})"]
    if detail.get("ruling"):
        parts.append("kết luận: " + ruling_words(str(detail["ruling"])))
    return parts + fields_words(detail, {"ruling", "kind", "from_station"}) + (
        ["từ trạm quét"] if detail.get("from_station") else [])


def _scan_one(detail, names) -> list[str]:
    parts = [f"ảnh {detail.get('scan_id')}"]
    if detail.get("previous_reason"):
        parts.append("lý do trước: " + reject_label(detail["previous_reason"]))
    return parts + fields_words(detail, {"previous_reason"})


def _organisation(detail, names) -> list[str]:
    parts = fields_words(detail)
    parent = detail.get("parent_id")
    if parent is not None:
        parts.append("trực thuộc: " + names.organisations.get(parent, f"tổ chức số {parent}"))
    return parts


def _import(detail, names) -> list[str]:
    return fields_words(detail, {"candidates"}) + (
        [f"{len(detail['candidates'])} người ứng cử"] if detail.get("candidates") else [])


def _season_import(detail, names) -> list[str]:
    counted = [("organisations", "tổ chức đảng"), ("congresses", "đại hội"), ("elections", "cuộc bầu cử"),
               ("candidates", "người ứng cử")]
    return ([f"tệp: {detail['file']}"] if detail.get("file") else []) + [
        f"{detail[key]} {words} mới" for key, words in counted if detail.get(key)]


def _rechain(detail, names) -> list[str]:
    return [f"nhật ký cũ: {detail.get('legacy_entries', 0)} mục",
            "chuỗi cũ toàn vẹn: " + value_words("", bool(detail.get("legacy_chain_ok"))),
            f"{len(detail.get('ballot_digests') or [])} phiếu được ghi mã"]


def _demo(detail, names) -> list[str]:
    return [_position(detail), f"{detail.get('count')} phiếu"]


FORMATTERS: dict[str, Callable[[Mapping[str, Any], Names], list[str]]] = {
    "ballot.save": _ballot, "ballot.undo": _ballot, "ballot.settle": _settle, "demo.ballots": _demo,
    "scan.adjudicate": _adjudicate, "scan.read": _scan_read, "scan.upload": _scan_list,
    "scan.rule_rejected": _scan_list, "scan.reopen": _scan_one, "scan.requeue": _scan_one,
    "round.start_entry": _candidates, "round.open": _candidates, "round.finalise": _finalise,
    "organisation.create": _organisation, "organisation.update": _organisation,
    "election.create": _import, "season.import": _season_import, "audit.rechain": _rechain,
}


@dataclass(frozen=True)
class Described:
    label: str
    where: str  # the election and round it concerns ("" for the congress or the system)
    words: str


def describe_entry(action: str, detail: Mapping[str, Any] | None, names: Names) -> Described:
    """One entry in words: its action's label, the round or election it concerns, the detail."""
    detail = detail or {}
    where = _round(detail, names) or _election(detail, names)
    formatter = FORMATTERS.get(action, lambda d, n: fields_words(d))
    words = "; ".join(part for part in formatter(detail, names) if part)
    return Described(action_label(action), where, words)


__all__ = ["ACTION_LABELS", "Described", "Names", "action_label", "describe_entry", "reading_words", "ruling_words"]
