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


# ------------------------------------------------------------------ accepting a name

# A person's full name at the ballot's full type size fills one A5 row at about 50
# characters (longer names shrink every name of the list); titles wrap but must stay short.
PERSON_NAME_MAX = 50
TITLE_MAX = 200
TEXT_MAX = 300

# Besides letters and spaces: a person's name may hold a hyphen, an apostrophe (H'Hen Niê,
# Y-Ngông) and a full stop; titles and notes also digits and ordinary punctuation.
_PERSON_MARKS = frozenset("-'.’")
_TITLE_MARKS = _PERSON_MARKS | frozenset("0123456789,;:()/&\"“”–—+%№#")


class InvalidName(ValueError):
    """A name the app refuses; ``str()`` is a Vietnamese sentence naming the character."""


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    try:
        return f"{code} {unicodedata.name(char)}"
    except ValueError:
        return code


def _is_latin_letter(char: str) -> bool:
    """Latin letters, Vietnamese included: Basic Latin to Latin Extended-B and Latin Extended
    Additional (the precomposed Vietnamese letters). No IPA, small capitals, full-width or
    mathematical look-alikes, and no other script (a Cyrillic "е" looks like "e")."""
    if not unicodedata.category(char).startswith("L"):
        return False
    code = ord(char)
    if not (code < 0x0250 or 0x1E00 <= code <= 0x1EFF):
        return False
    return unicodedata.name(char, "").startswith("LATIN ")


def clean_name(value: str, *, label: str = "Họ và tên", kind: str = "person", required: bool = True) -> str:
    """The one normaliser for every name the app accepts (people, organisations, titles).

    NFC; every run of white space becomes one space; refused: control, format, zero-width,
    bidirectional and private-use characters, combining marks left over after NFC (stacked
    accents), letters outside the Latin script (Vietnamese included), characters other than
    letters, spaces and the kind's punctuation, and names longer than the kind's limit.
    ``kind``: "person" (candidates, committee, users), "title" (organisations, congresses,
    elections), "text" (reasons, places, notes: longer, same characters as titles), "file"
    (the engine's input files, cli.md: the safety rules of a title, any name a file may carry).
    """
    limit = {"person": PERSON_NAME_MAX, "title": TITLE_MAX, "text": TEXT_MAX, "file": TEXT_MAX}[kind]
    marks = _PERSON_MARKS if kind == "person" else _TITLE_MARKS
    text = normalize_name(value or "")
    if not text:
        if required:
            raise InvalidName(f"{label} không được để trống.")
        return ""
    for char in text:
        category = unicodedata.category(char)
        if char == " " or char in marks or _is_latin_letter(char):
            continue
        if category[0] == "C" or category in ("Zl", "Zp"):
            raise InvalidName(f"{label} có ký tự ẩn hoặc ký tự điều khiển ({_describe(char)}): hãy xóa và gõ lại.")
        if category[0] == "M":
            raise InvalidName(f"{label} có dấu thanh hoặc dấu phụ không gắn được vào chữ ({_describe(char)}).")
        if category[0] == "L":
            raise InvalidName(f"{label} có chữ “{char}” không thuộc bảng chữ cái tiếng Việt/La-tinh "
                              f"({_describe(char)}).")
        if kind == "person" and category == "Nd":
            raise InvalidName(f"{label} “{text}” có chữ số.")
        if kind == "file" and category[0] in "NPSZ" and ord(char) < 0x2100:
            continue  # digits and punctuation of the Latin blocks: an input file may use them
        raise InvalidName(f"{label} có ký tự “{char}” không được dùng ({_describe(char)}).")
    if len(text) > limit:
        raise InvalidName(f"{label} dài {len(text)} ký tự, quá giới hạn {limit} ký tự.")
    return text


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


def comparison_key(name: str) -> str:
    """How two names are compared for "the same person": NFC, invisible characters dropped,
    single spaces, case-folded (so a name stored before ``clean_name`` existed still matches)."""
    visible = "".join(c for c in unicodedata.normalize("NFC", name or "") if unicodedata.category(c)[0] != "C")
    return normalize_name(visible).casefold()


def same_name_key(full_name: str) -> str:
    """How two names are compared for "the same full name" (``comparison_key``)."""
    return comparison_key(full_name)


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


def search_fold(text: str) -> str:
    """For search boxes: no case, no tone marks or letter marks ('Đảng' -> 'dang')."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).casefold().split())
