"""The data rows of a text GCT: row ids, row width, stray lines, and every matrix cell as cmapPy will read it.

Rows come in batches: a large batch goes through `validators.gct.screen` first, which clears most rows at once.
Every other row is first tried whole at C speed; only a row that fails goes through the cell-by-cell checks that
say which cell is wrong and why.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable
from itertools import compress
from typing import Any

from validators.core.capped import CappedFindings
from validators.core.jsonread import NUMBER_NOT_REPRESENTABLE
from validators.core.model import Location, Rule, Severity
from validators.gct.header import MISSING_MARKERS, GctLayout, field_column, id_problem
from validators.gct.rules import (
    BAD_ID,
    DUPLICATE_ROW_ID,
    INFINITE_VALUE,
    MISSING_VALUES,
    NEG_666_IN_DATA,
    NON_NUMERIC,
    QUOTED_FIELD,
    RAGGED_ROW,
    STRAY_LINE,
)
from validators.gct.screen import SCREEN_FROM, screen

# A character no number is written with (letters stay: e, inf, nan; markers such as #N/A go the long way). Python's
# float() also takes "1_000", other scripts' digits and numbers padded with control characters; cmapPy reads some
# of those as numbers and refuses others, so none of them is a number here.
_NOT_NUMBER_TEXT = re.compile(r"[^\t 0-9A-Za-z+\-.]")
# What a literal needs for a double to read it as 0 although it is not: an exponent of -100 or below, or hundreds
# of digits. Rows with a zero and neither go the fast way.
_MAYBE_TINY = re.compile(r"[eE]-[0-9]{3}|[0-9.]{300}")
_INFINITY_SPELLINGS = ("inf", "infinity")


def read_number(cell: str) -> float | None:
    """The cell as cmapPy's float reading would have it, or None when it is not written as a number."""
    if _NOT_NUMBER_TEXT.search(cell):
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def unrepresentable(cell: str, value: float) -> str | None:
    """What a finite literal silently became (infinity, or 0 for a non-zero one), or None when read faithfully."""
    if math.isinf(value):
        spelled = cell.strip().lstrip("+-").lower() in _INFINITY_SPELLINGS
        return None if spelled else ("-infinity" if value < 0 else "infinity")
    mantissa = cell.lower().partition("e")[0]
    if value == 0.0 and any(digit in mantissa for digit in "123456789"):
        return "0.0"
    return None


def _data_cells(text: str, first: int) -> str:
    """The part of a row after its first `first` fields."""
    at = -1
    for _ in range(first):
        at = text.index("\t", at + 1)
    return text[at + 1 :]


class RowChecker:
    """Checks the data rows that follow the head."""

    def __init__(
        self, display: str, out: CappedFindings, screen_from: int = SCREEN_FROM, c_reader: bool = False
    ) -> None:
        self.display, self.out = display, out
        self.screen_from = screen_from  # characters in a batch from which the screen is used
        self.c_reader = c_reader  # whether the screen may hand rows to pandas' C reader

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def check(self, batches: Iterable[list[tuple[int, str]]], layout: GctLayout) -> int:
        """Check every data row, read in batches of lines; returns how many rows there were."""
        first_value = 2 if layout.version == "1.2" else 1 + layout.row_meta
        width = first_value + len(layout.samples)
        seen_ids: dict[str, int] = {}
        rows = 0
        missing = 0
        markers: set[str] = set()
        for batch in batches:
            screened = self._screen(batch, first_value, width, markers)
            for index, (number, text) in enumerate(batch):
                if not text.strip(" "):  # a line of tabs is a row of empty cells, which cmapPy refuses
                    where = self.at(number)
                    self.out.add(STRAY_LINE.finding(self.display, where, what="blank", severity=Severity.WARNING))
                    continue
                if text.startswith("#"):
                    self.out.add(STRAY_LINE.finding(self.display, self.at(number), what="comment"))
                    continue
                rows += 1
                known = screened[index] if screened else None
                if known is not None:  # the screen found nothing to say about the cells
                    self._row_id(number, text.partition("\t")[0], seen_ids)
                    missing += known
                    continue
                fields = text.split("\t")
                if len(fields) != width:
                    self.out.add(RAGGED_ROW.finding(self.display, self.at(number), found=len(fields), expected=width))
                    continue
                self._row_id(number, fields[0], seen_ids)
                cells = fields[first_value:]
                start = sum(map(len, fields[:first_value])) + first_value  # where the cells start in the line
                fast = self._fast_row(text, start, cells, markers)
                missing += fast if fast is not None else self._slow_row(number, fields, first_value, layout, markers)
        if missing:
            shown = ", ".join(sorted(markers))
            self.out.add(MISSING_VALUES.finding(self.display, Location(), count=missing, markers=shown))
        return rows

    def _screen(self, batch: list[tuple[int, str]], first: int, width: int, markers: set[str]) -> list[int | None]:
        """The screen's verdict per line of a batch large enough to be worth it (an empty list: not screened);
        only lines that are rows of the right width are screened."""
        if width <= first or sum(len(text) for _, text in batch) < self.screen_from:
            return []
        tabs = width - 1
        picked = [i for i, (_, text) in enumerate(batch) if text.count("\t") == tabs and not text.startswith("#")]
        verdicts: list[int | None] = [None] * len(batch)
        if picked:
            found, used = screen([_data_cells(batch[i][1], first) for i in picked], self.c_reader)
            markers.update(used)
            if found.count(None) * 2 > len(found):  # a file the screen mostly leaves alone: spare it the work
                self.screen_from = sys.maxsize
            for index, verdict in zip(picked, found, strict=True):
                verdicts[index] = verdict
        return verdicts

    def _row_id(self, number: int, row_id: str, seen_ids: dict[str, int]) -> None:
        problem = id_problem(row_id)
        if problem:
            self.out.add(BAD_ID.finding(self.display, self.at(number), what="row id", value=row_id, problem=problem))
        elif row_id in seen_ids:
            first_line = seen_ids[row_id]
            self.out.add(DUPLICATE_ROW_ID.finding(self.display, self.at(number), value=row_id, first_line=first_line))
        else:
            seen_ids[row_id] = number
            if len(row_id) > 1 and row_id[0] == row_id[-1] == '"':
                self.out.add(QUOTED_FIELD.finding(self.display, self.at(number), value=row_id))

    @staticmethod
    def _fast_row(text: str, start: int, cells: list[str], markers: set[str]) -> int | None:
        """The row's count of missing values when no cell needs a finding of its own (every cell a number, NaN
        counted as missing), checked at C speed; None sends the row to the cell-by-cell checks."""
        if _NOT_NUMBER_TEXT.search(text, start):
            return None
        try:
            values = list(map(float, cells))
        except ValueError:
            return None
        if "-666" in cells or (0.0 in values and _MAYBE_TINY.search(text, start)):
            return None
        if math.isfinite(sum(values)):  # one C-level pass: no NaN and no infinity (an overflow goes the long way)
            return 0
        if any(map(math.isinf, values)):
            return None
        missing = list(compress(cells, map(math.isnan, values)))  # the NaN cells, picked at C speed
        markers.update(missing)
        return len(missing)

    def _slow_row(self, number: int, fields: list[str], first: int, layout: GctLayout, markers: set[str]) -> int:
        missing = 0
        row_id = fields[0]
        column = field_column(fields, first)  # then advanced cell by cell: one pass over the row, not one per cell
        for offset, cell in enumerate(fields[first:]):
            sample = layout.samples[offset] if offset < len(layout.samples) else "?"
            cell_column, column = column, column + len(cell) + 1
            if cell in MISSING_MARKERS:
                missing += 1
                markers.add(cell)
                if cell == "-666":
                    self._add(NEG_666_IN_DATA, number, cell_column, row=row_id, sample=sample)
                continue
            value = read_number(cell)
            if value is None:
                self._add(NON_NUMERIC, number, cell_column, value=cell, row=row_id, sample=sample)
            elif (read_as := unrepresentable(cell, value)) is not None:
                literal = cell if len(cell) <= 40 else f"{cell[:20]}... ({len(cell)} characters)"
                self._add(NUMBER_NOT_REPRESENTABLE, number, cell_column, literal=literal, read_as=read_as)
            elif math.isinf(value):
                self._add(INFINITE_VALUE, number, cell_column, value=cell, row=row_id, sample=sample)
            elif math.isnan(value):
                missing += 1
                markers.add(cell)
        return missing

    def _add(self, rule: Rule, line: int, column: int, **params: Any) -> None:
        """Add a cell finding, or only count it once its code is past the cap: a matrix of text cells has millions."""
        if not self.out.count_only(rule.code):
            self.out.add(rule.finding(self.display, self.at(line, column), **params))
