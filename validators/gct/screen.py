"""A batch of data rows screened at once, so that a large matrix is not read cell by cell in Python.

Most cells are plain decimal numbers, and whether a cell is one can be told from its characters and their
neighbours: the batch is mapped to a few character classes (`bytes.translate`) and searched for the pairs and
triples that no plain number holds, all at C speed. The few cells with letters (missing-value markers, exponents)
are judged one by one, or, when there are many, their rows are read by pandas' C reader
(`validators.gct.doubles`). A row comes out of the screen with its count of missing values only when the exact
checks of `validators.gct.rows` would give it no finding; a row with anything the screen cannot judge exactly (a
byte outside numbers and cmapPy's markers, an empty cell, a run of 149 digits, an exponent of three digits, a
-666) goes to the exact checks, which say what is wrong. The screen makes no finding itself, so every finding
(code, line, column, message) is the exact checks' own.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

import numpy as np

from validators.gct.doubles import read_rows
from validators.gct.header import MISSING_MARKERS

# Lines are checked in batches of about this many characters (memory stays bounded: a few times this); a batch
# of fewer than SCREEN_FROM characters is checked the exact way.
BATCH_CHARS = 300_000  # a batch and what the screen makes of it stay in the processor's cache
SCREEN_FROM = 250_000
# Rows with many letters go to pandas' C reader in files of at least this many bytes (below, loading pandas takes
# longer than the exact checks of those rows).
C_READER_FROM = 16 * 1024 * 1024

# The classes, one byte each: a digit, a dot, a sign, a tab or line end, a letter of an exponent or of one of
# cmapPy's markers, and anything else (a control character, a space, other text, non-ASCII).
_DIGIT, _DOT, _SIGN, _SEP, _LETTER, _OTHER = range(6)
_CLASS = bytearray([_OTHER] * 256)
for _byte in set("".join(MISSING_MARKERS).encode()) | set(b"eE"):
    _CLASS[_byte] = _LETTER
for _byte in b"0123456789":
    _CLASS[_byte] = _DIGIT
_CLASS[ord(".")], _CLASS[ord("+")], _CLASS[ord("-")] = _DOT, _SIGN, _SIGN
_CLASS[ord("\t")] = _CLASS[ord("\n")] = _SEP
_CLASSES = bytes(_CLASS)
_NOT_DOTS = bytes(sorted(set(range(256)) - set(b".\t\n")))


def _pair(a: int, b: int) -> int:
    return a * 6 + b


# What no plain number holds (a cell is preceded and followed by a separator here), as pairs and triples of
# classes: an empty cell, a sign not at the start or not before a digit or dot, a dot with no digit beside it.
# Two dots in a cell are found with everything else taken out, and a run of 149 digits directly (a cell of at
# most 298 characters without an exponent is a finite double, not 0 unless written as 0). A pattern with a letter
# does not count: a cell with letters is judged whole.
_BAD_PAIRS = ((_SEP, _SEP), (_DIGIT, _SIGN), (_DOT, _SIGN), (_SIGN, _SIGN), (_SIGN, _SEP))
_BAD_PAIR_BYTES = tuple(bytes([_pair(a, b)]) for a, b in _BAD_PAIRS)
_BAD_TRIPLE_BYTES = tuple(bytes([_pair(_pair(first, _DOT), _SEP)]) for first in (_SEP, _SIGN))
_OTHER_BYTE, _LETTER_BYTE, _SEP_BYTE = bytes([_OTHER]), bytes([_LETTER]), bytes([_SEP])
_DIGIT_RUN = bytes([_DIGIT]) * 149

_MISSING = MISSING_MARKERS - {"-666"}  # -666 has a warning of its own: its rows go to the exact checks
# With no run of 149 digits and at most two exponent digits, a number is finite and not 0 unless written as 0.
_EXPONENT_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]{1,2}")
# Past this many letters a row, on average, the batch's rows with letters go to the C reader (or the exact checks).
_LETTERS_PER_ROW = 12


def screen(parts: list[str], c_reader: bool = True) -> tuple[list[int | None], set[str]]:
    """Per row, given as its data cells (the text after the fields before them; all with as many tabs): the count
    of its missing values, or None for a row the exact checks must see; and the markers of the rows counted.
    A batch with many letters is left to the exact checks without `c_reader` or when most are exponents."""
    data = ("\t" + "\n".join(parts) + "\n").encode("utf-8")  # the tab in front: every cell follows a separator
    sizes = (len(p) + 1 for p in parts) if data.isascii() else (len(p.encode("utf-8")) + 1 for p in parts)
    ends = list(accumulate(sizes, initial=1))  # row i is data[ends[i]:ends[i + 1]], its line end included
    classes = data.translate(_CLASSES)
    letters = classes.count(_LETTER_BYTE)
    many_letters = letters > len(parts) * _LETTERS_PER_ROW
    # Numbers with exponents the exact checks read as fast as the C reader (they are numbers to float()); it is
    # cells of markers (NA, #N/A) that the exact checks take one at a time.
    if many_letters and (not c_reader or (data.count(b"e") + data.count(b"E")) * 2 > letters):
        return [None] * len(parts), set()
    counts: list[int | None] = [0] * len(parts)
    if not _plain(data, classes):
        for row in range(len(parts)):
            begin, end = ends[row], ends[row + 1]
            if not _plain(data[begin:end], classes[begin - 1 : end]):  # with the separator before the row
                counts[row] = None
    if not letters:
        return counts, set()
    if not many_letters:
        return counts, _judge_cells(data, classes, ends, counts)
    lettered = [
        row
        for row in range(len(parts))
        if counts[row] is not None and classes.find(_LETTER_BYTE, ends[row], ends[row + 1]) >= 0
    ]
    rows = [data[ends[row] : ends[row + 1]] for row in range(len(parts))]
    return counts, read_rows(rows, counts, lettered)


def _plain(text: bytes, classes: bytes) -> bool:
    """Whether `text` (whose `classes` may have a separator more in front) holds nothing but plain numbers and
    cells with letters: the pairs and triples of classes are found with memchr, one byte each."""
    if _OTHER_BYTE in classes or _DIGIT_RUN in classes or b"-666" in text:
        return False
    if b".." in text.translate(None, _NOT_DOTS):
        return False
    codes = np.frombuffer(classes, np.uint8)
    found = bytearray(len(codes) - 1)  # numpy writes the codes of the pairs into it, memchr searches it in place
    pairs = np.frombuffer(found, np.uint8)
    np.multiply(codes[:-1], 6, out=pairs)
    pairs += codes[1:]
    if any(code in found for code in _BAD_PAIR_BYTES):
        return False
    triples = pairs[:-1]
    triples *= 6
    triples += codes[2:]
    return not any(code in found for code in _BAD_TRIPLE_BYTES)  # its last byte is the last pair, none is bad


def _judge_cells(data: bytes, classes: bytes, ends: list[int], counts: list[int | None]) -> set[str]:
    """Judge the cells with letters one by one: a marker is counted, a number with a short exponent passes, and
    anything else sends its row to the exact checks. Returns the markers of the rows still counted."""
    used: dict[int, list[str]] = {}
    at = classes.find(_LETTER_BYTE)
    while at >= 0:
        begin, end = classes.rfind(_SEP_BYTE, 0, at) + 1, classes.find(_SEP_BYTE, at)
        row = bisect_right(ends, begin) - 1
        count = counts[row]
        if count is not None:
            text = data[begin:end].decode("ascii")  # the row has no byte of another class, so it is ASCII
            if text in _MISSING:
                counts[row] = count + 1
                used.setdefault(row, []).append(text)
            elif not _EXPONENT_NUMBER.fullmatch(text):
                counts[row] = None
        at = classes.find(_LETTER_BYTE, end)
    return {text for row, texts in used.items() if counts[row] is not None for text in texts}
