"""Vietnamese collation of candidate names (contract section 1; rules file section 11)."""

from datetime import date
import re
import unicodedata

import pytest

from kiemphieu.tally import (
    PERSON_NAME_MAX,
    Candidate,
    Election,
    InvalidName,
    Kind,
    clean_name,
    collation_key,
    comparison_key,
    normalize_name,
)


def sort_names(names):
    return sorted(names, key=collation_key)


def test_given_names_follow_the_29_letter_alphabet():
    given = ["Hạnh", "Đức", "Ánh", "Hải", "Dũng", "Châu", "Bình", "Hà"]
    ordered = sort_names([f"Nguyễn Văn {g}" for g in given])
    assert [n.split()[-1] for n in ordered] == ["Ánh", "Bình", "Châu", "Dũng", "Đức", "Hà", "Hải", "Hạnh"]


@pytest.mark.parametrize(
    "first, second",
    [
        ("Dung", "Đông"),  # d before đ, whatever follows
        ("Dũng", "Đa"),
        ("An", "Ăn"),  # a < ă < â
        ("Ăn", "Ân"),
        ("Âu", "Ba"),
        ("Co", "Cô"),  # o < ô < ơ
        ("Cô", "Cơ"),
        ("Cơ", "Cu"),
        ("Tu", "Tư"),  # u < ư
        ("Tư", "Tv"),
        ("Em", "Êm"),  # e < ê
    ],
)
def test_letter_variants_are_distinct_letters(first, second):
    assert collation_key(f"Lê Văn {first}") < collation_key(f"Lê Văn {second}")


def test_tones_order_level_huyen_hoi_nga_sac_nang():
    tones = ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]
    assert sort_names([f"Lê Thị {t}" for t in reversed(tones)]) == [f"Lê Thị {t}" for t in tones]


def test_letters_of_the_whole_word_decide_before_tones():
    # "Hà" (letters h-a) precedes "Hai" whatever the tones: letters are compared first.
    assert collation_key("Lê Hà") < collation_key("Lê Hai")
    assert collation_key("Lê Hạ") < collation_key("Lê Hai")


def test_family_name_then_middle_name_then_birth_date_break_ties():
    assert collation_key("Lê Văn An") < collation_key("Nguyễn Văn An")
    assert collation_key("Nguyễn Thị An") < collation_key("Nguyễn Văn An")
    older = collation_key("Nguyễn Văn An", date(1970, 1, 1))
    younger = collation_key("Nguyễn Văn An", date(1980, 1, 1))
    assert older < younger


def test_given_name_outranks_family_name():
    assert collation_key("Vũ Văn Anh") < collation_key("An Văn Bình")


def test_decomposed_input_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Thị   Hạnh ")
    assert normalize_name(decomposed) == "Nguyễn Thị Hạnh"
    assert Candidate("c1", decomposed).name == unicodedata.normalize("NFC", "Nguyễn Thị Hạnh")
    assert collation_key(decomposed) == collation_key("Nguyễn Thị Hạnh")


def test_election_puts_candidates_in_ballot_order_regardless_of_input_order():
    names = ["Trần Văn Hải", "Lê Thị Ánh", "Phạm Đức", "Nguyễn Văn Dũng"]
    candidates = [Candidate(f"c{i}", n) for i, n in enumerate(names)]
    forward = Election("t", Kind.COMMITTEE, 2, 10, tuple(candidates))
    backward = Election("t", Kind.COMMITTEE, 2, 10, tuple(reversed(candidates)))
    assert [c.name for c in forward.candidates] == ["Lê Thị Ánh", "Nguyễn Văn Dũng", "Phạm Đức", "Trần Văn Hải"]
    assert forward.candidates == backward.candidates


# ------------------------------------------------------------------ clean_name (issue 10, item 5)



@pytest.mark.parametrize("raw, why", [
    ("Nguyễn\u200b Văn Thử", "U+200B"),  # zero-width space
    ("Lê Th\u00adị Thu", "U+00AD"),  # soft hyphen
    ("Nguy\u0435n Văn An", "CYRILLIC"),  # a Cyrillic "е"
    ("Trần \u202eThị Bình", "U+202E"),  # right-to-left override
    ("Trần \u2066Thị\u2069 Bình", "U+2066"),  # bidi isolate
    ("Lê Văn C\u0301\u0301\u0301ường", "COMBINING"),  # stacked marks
    ("Lê\u200dVăn", "U+200D"),  # zero-width joiner
    ("\ufeffLê Văn Cường", "U+FEFF"),  # byte order mark
    ("Lê Văn\x07 Cường", "U+0007"),  # control character
    ("Ｌê Văn", "FULLWIDTH"),  # full-width look-alike
    ("Lê Văn Cường " * 5, "quá giới hạn"),
    ("Lê Văn 2", "chữ số"),
    ("Lê <b>Văn</b>", "“<”"),
])
def test_names_with_hidden_foreign_or_too_many_characters_are_refused(raw, why):
    with pytest.raises(InvalidName, match=re.escape(why)):
        clean_name(raw)


def test_clean_names_are_nfc_with_single_spaces():
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn\u00a0Thử\t")
    assert clean_name(decomposed) == "Nguyễn Văn Thử"
    assert unicodedata.is_normalized("NFC", clean_name(decomposed))
    assert clean_name("H'Hen Niê") == "H'Hen Niê" and clean_name("Y-Ngông Niê Kdăm") == "Y-Ngông Niê Kdăm"
    assert len(clean_name("Đ" * PERSON_NAME_MAX)) == PERSON_NAME_MAX


def test_titles_allow_digits_and_punctuation_but_not_hidden_characters():
    assert clean_name("Chi bộ Thôn 3 (xã Yên Lập)", kind="title") == "Chi bộ Thôn 3 (xã Yên Lập)"
    assert clean_name("2025 - 2030", kind="title") == "2025 - 2030"
    with pytest.raises(InvalidName, match=re.escape("U+200B")):
        clean_name("Đảng bộ\u200b xã", kind="title", label="Tên tổ chức đảng")
    assert clean_name("", kind="title", required=False) == ""
    with pytest.raises(InvalidName, match="không được để trống"):
        clean_name("  ", kind="title", label="Tên đại hội")


def test_comparison_key_ignores_invisible_characters_and_case():
    assert comparison_key("Lê\u200b Thị  Thu") == comparison_key("lê thị thu")
