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
