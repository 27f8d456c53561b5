"""Vietnamese names: NFC normalisation and the ballot's A-B-C order.

Candidates are ordered by given name (the last word), then family name (the first word),
then middle name(s), then date of birth. Letters follow the 29-letter alphabet
(a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y); tone marks only break ties
between words whose letters are equal.
"""

from __future__ import annotations

import unicodedata
from datetime import date

# f, j, w, z are not Vietnamese letters but occur in names of other origins; they take
# their Latin places so such names still sort predictably.
ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}

# Combining marks that make a different letter (ă â ê ô ơ ư) versus those that are tones.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = {_BREVE, _CIRCUMFLEX, _HORN}
# Tone order: level, huyền, hỏi, ngã, sắc, nặng (Unicode's Vietnamese tailoring).
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def normalize_name(name: str) -> str:
    """NFC with single spaces, as every stored and printed name must be."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def _char_key(char: str) -> tuple[int, int, int]:
    """(letter rank, tone rank, case) for one precomposed character."""
    lower = char.lower()
    decomposed = unicodedata.normalize("NFD", lower)
    base, marks = decomposed[0], decomposed[1:]
    letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _LETTER_MARKS))
    tone = max((_TONE_RANK.get(m, 0) for m in marks), default=0)
    rank = _LETTER_RANK.get(letter)
    if rank is None:  # digits, hyphens, foreign letters: after every letter, by code point
        rank = len(ALPHABET) + ord(letter)
    return rank, tone, 0 if char == lower else 1


def word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Letters of the whole word first, then its tones, then case."""
    keys = [_char_key(c) for c in normalize_name(word)]
    return tuple(k[0] for k in keys), tuple(k[1] for k in keys), tuple(k[2] for k in keys)


def split_name(full_name: str) -> tuple[str, str, str]:
    """(family, middle, given) from 'Family Middle... Given'."""
    words = normalize_name(full_name).split(" ")
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def collation_key(full_name: str, born: date | None = None) -> tuple:
    """Sort key: given name, family name, middle name, date of birth (unknown last)."""
    family, middle, given = split_name(full_name)
    middle_key = tuple(word_key(w) for w in middle.split(" ") if w)
    return (
        word_key(given),
        word_key(family),
        middle_key,
        (0, born.toordinal()) if born else (1, 0),
    )


def same_name_key(full_name: str) -> str:
    """How two names are compared for "the same full name": NFC, single spaces, case-folded."""
    return normalize_name(full_name).casefold()


def namesake_note(born: date, others: list[date | None]) -> str:
    """"sinh năm 1972", or the full date when another namesake was born the same year."""
    if any(other is not None and other.year == born.year for other in others):
        return f"sinh ngày {born.day:02d}/{born.month:02d}/{born.year}"
    return f"sinh năm {born.year}"


def display_names(candidates) -> dict[str, str]:
    """Candidate id -> the name shown to a person, for one round's list of (id, name, born).

    Only where two candidates of the list share a full name does each carry what tells them
    apart, in the Party's way: "Nguyễn Văn Dũng (sinh năm 1972)" (the full date when they
    were born the same year). Every other name is shown as it is. Every page and document
    that shows a candidate's name to a person goes through this one function.
    """
    people = [(cid, normalize_name(name), born) for cid, name, born in candidates]
    groups: dict[str, list[tuple[str, str, date | None]]] = {}
    for person in people:
        groups.setdefault(same_name_key(person[1]), []).append(person)
    shown = {}
    for cid, name, born in people:
        group = groups[same_name_key(name)]
        if len(group) > 1 and born is not None:
            others = [b for other, _, b in group if other != cid]
            name = f"{name} ({namesake_note(born, others)})"
        shown[cid] = name
    return shown


def indistinguishable_namesakes(candidates) -> list[str]:
    """Full names shared by candidates of one list that a birth date does not tell apart
    (one of them has none, or two have the same): such a list cannot be printed or read."""
    groups: dict[str, list[tuple[str, date | None]]] = {}
    for _cid, name, born in candidates:
        groups.setdefault(same_name_key(name), []).append((normalize_name(name), born))
    bad = []
    for group in groups.values():
        borns = [b for _, b in group]
        if len(group) > 1 and (None in borns or len(set(borns)) < len(borns)):
            bad.append(group[0][0])
    return bad
