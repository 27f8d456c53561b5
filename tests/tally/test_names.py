"""Vietnamese collation of candidate names (contract section 1; rules file section 11)."""

from datetime import date
import unicodedata

import pytest

from kiemphieu.tally import Candidate, Election, Kind, collation_key, normalize_name


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
