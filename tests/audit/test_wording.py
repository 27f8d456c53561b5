"""The audit log in words (kiemphieu.audit.wording): pure formatting, no database."""

from kiemphieu.audit.wording import (ACTION_LABELS, LEVEL_WORDS, Names, action_label, describe_entry, reading_words,
                                     ruling_words)

NAMES = {"c01": "Nguyễn Văn An", "c02": "Trần Thị Bình", "c03": "Lê Văn Cường"}
ROUND = Names(rounds={7: "Bầu Ban Chấp hành — vòng 1"}, candidates={7: NAMES})


def test_a_strike_reading_is_the_struck_names_in_ballot_order():
    assert reading_words({"struck": ["c03", "c01"]}, NAMES) == "gạch: Nguyễn Văn An, Lê Văn Cường"
    assert reading_words({"struck": []}, NAMES) == "không gạch tên nào"


def test_a_boxes_reading_groups_the_names_by_box():
    marks = {"boxes": {"c01": "agree", "c02": "disagree", "c03": "agree"}}
    assert reading_words(marks, NAMES) == "đồng ý: Nguyễn Văn An, Lê Văn Cường; không đồng ý: Trần Thị Bình"
    # A box left empty is said so (a candidate missing from the marks is an empty box).
    assert reading_words({"boxes": {"c01": "agree"}}, NAMES) == \
        "đồng ý: Nguyễn Văn An; để trống: Trần Thị Bình, Lê Văn Cường"


def test_invalid_absent_and_unknown_codes_read_as_words():
    assert reading_words({"invalid": "no_stamp"}, NAMES).startswith("không hợp lệ: ")
    assert "no_stamp" not in reading_words({"invalid": "no_stamp"}, NAMES)
    assert reading_words({"absent": True}, NAMES) == "không có phiếu ở vị trí này"
    assert reading_words({"struck": ["c09"]}, NAMES) == "gạch: c09"  # never hidden


def test_a_saved_ballot_in_words_names_its_round_position_and_reading():
    described = describe_entry("ballot.save", {"round_id": 7, "entry_pass": "B", "batch": 2, "sequence": 14,
                                               "ballot_id": 99, "key": "abc", "marks": {"struck": ["c02"]}}, ROUND)
    assert described.label == "Nhập phiếu"
    assert described.where == "Bầu Ban Chấp hành — vòng 1"
    assert described.words == "lượt B, tệp 2, phiếu số 14; gạch: Trần Thị Bình"


def test_an_adjudication_names_each_ruled_candidate():
    described = describe_entry("scan.adjudicate", {"round_id": 7, "scan_id": 5, "rows": {"c01": "kept"},
                                                   "done": True, "marks": {"struck": []}}, ROUND)
    assert described.words == "ảnh 5; Nguyễn Văn An: giữ lại; xong — phiếu được tính: không gạch tên nào"
    assert ruling_words("invalid:no_stamp").startswith("cả lá phiếu không hợp lệ: ")


def test_set_up_details_read_as_vietnamese_fields_without_ids():
    described = describe_entry("candidate.add", {"election_id": 3, "candidate_id": 11, "code": "c04",
                                                 "name": "Phạm Thị Dung", "born": "1975-03-02"},
                               Names(elections={3: "Bầu Ban Chấp hành"}))
    assert described.where == "Bầu Ban Chấp hành"
    assert described.words == "tên: Phạm Thị Dung; sinh ngày: 02/03/1975"
    election = describe_entry("election.create", {"election_id": 3, "kind": "committee", "title": "Bầu BCH",
                                                  "seats": 9, "body": "congress"}, Names())
    assert "loại: Ban Chấp hành" in election.words and "số cần bầu: 9" in election.words
    assert "committee" not in election.words
    password = describe_entry("user.password", {"username": "lan", "own": True}, Names())
    assert password.words == "người dùng: lan; tự đổi: có"


def test_finalisation_and_round_lists_read_as_names():
    opened = describe_entry("round.open", {"round_id": 7, "number": 2, "seats": 1, "candidates": ["c03", "c01"]}, ROUND)
    assert opened.words == "số cần bầu: 1; danh sách: Nguyễn Văn An, Lê Văn Cường"
    final = describe_entry("round.finalise", {"round_id": 7, "version": 1, "digest": "ab" * 32, "counted": 40,
                                              "confirmed_by": ["Lê Thị Thu"], "checks": []}, ROUND)
    assert final.words == "phiên bản 1; 40 phiếu được tính; mã kết quả abababababababab…; xác nhận: Lê Thị Thu"


def test_every_label_is_vietnamese_words_and_an_unknown_action_shows_its_code():
    assert all(label and label != code and "." not in label for code, label in ACTION_LABELS.items())
    assert action_label("future.thing") == "future.thing"
    described = describe_entry("future.thing", {"note": "Lê Thị"}, Names())
    assert described.label == "future.thing" and described.words == "ghi chú: Lê Thị"


def test_a_name_with_its_full_name_and_the_system():
    names = Names(users={"lan": "Lê Thị Lan"})
    assert names.person("lan") == "Lê Thị Lan (lan)"
    assert names.person("") == "hệ thống"
    assert names.person("binh") == "binh"


def test_organisation_levels_and_imports_read_as_words():
    from kiemphieu.models import ORGANISATION_LEVEL_LABELS

    assert LEVEL_WORDS == {level.value: label for level, label in ORGANISATION_LEVEL_LABELS.items()}
    created = describe_entry("organisation.create", {"organisation_id": 4, "name": "Đảng bộ xã Hưng Long",
                                                     "level": "grassroots", "parent_id": 2},
                             Names(organisations={2: "Đảng bộ huyện Yên Lập"}))
    assert created.words == "tên: Đảng bộ xã Hưng Long; cấp: Cơ sở; trực thuộc: Đảng bộ huyện Yên Lập"
    imported = describe_entry("season.import", {"file": "danh-sach.xlsx", "organisations": 0, "congresses": 2,
                                                "elections": 5, "candidates": 40}, Names())
    assert imported.words == "tệp: danh-sach.xlsx; 2 đại hội mới; 5 cuộc bầu cử mới; 40 người ứng cử mới"


def test_a_settled_difference_shows_both_passes_and_the_result_as_names():
    described = describe_entry("ballot.settle", {
        "round_id": 7, "batch": 1, "sequence": 4, "choice": "B", "marks": {"struck": ["c02"]}, "ballot_id": 12,
        "note": "", "replaced": None, "pass_a": {"struck": ["c01"]}, "pass_b": {"struck": ["c02"]}}, ROUND)
    assert described.label == "Thống nhất phiếu nhập lệch"
    assert described.words == ("phiếu số 4; thống nhất theo lượt B; kết quả: gạch: Trần Thị Bình; "
                               "lượt A đã nhập: gạch: Nguyễn Văn An; lượt B đã nhập: gạch: Trần Thị Bình")


def test_a_machine_reading_names_its_status_reason_and_flags_in_vietnamese():
    from kiemphieu.scanning.reasons import flag_label, reject_label

    described = describe_entry("scan.read", {"round_id": 7, "scan_id": 3, "status": "rejected",
                                             "reason": "qr_unreadable", "flags": ["no_stamp"]}, ROUND)
    assert described.label == "Máy đọc phiếu"
    assert described.words == (f"ảnh 3: bị từ chối; lý do: {reject_label('qr_unreadable')}; "
                               f"dấu hiệu: {flag_label('no_stamp')}")
    assert "qr_unreadable" not in described.words and "no_stamp" not in described.words
