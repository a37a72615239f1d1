"""Numbers a JSON text spells but a reader cannot hold faithfully (OMX917): 1e400 and 1e-400, which doubles turn
into infinity and 0, and whole numbers past the doubles' range. The strict reader (jsonread) parses with these
hooks and reports what they noticed, at the literal's line and column."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable

from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import line_column

NUMBER_NOT_REPRESENTABLE = Rule(
    "OMX917",
    "number-not-representable",
    Severity.ERROR,
    "Number too large or too small to be read faithfully",
    "{literal} is beyond what a double can hold: it would be read as {read_as}",
    "A double holds about 1e-308 to 1e308. Beyond that, parsers silently turn the number into infinity or 0, so "
    "what the atlas stores is not what the file says (1e-400 passes as 0). Whole numbers are read exactly at any "
    "width up to that range; one past it (more than 309 digits) is infinity to a double and too long for many "
    "readers. Write the number within range, or as text if it is an identifier.",
    bad='{"total_num_cells": 1e-400}',
    good='{"total_num_cells": 0}',
)


def float_reader(lossy: list[str]) -> Callable[[str], float]:
    """float(), remembering literals a double cannot hold: overflow to infinity, or underflow to zero of a
    number whose digits are not all zero."""

    def read(literal: str) -> float:
        number = float(literal)
        mantissa = literal.lower().split("e", 1)[0]
        if math.isinf(number) or (number == 0.0 and any(c in "123456789" for c in mantissa)):
            lossy.append(literal)
        return number

    return read


# A whole number is read exactly at any width (see the positive fixture GSE200003_wide_integer), but not past
# the doubles' range (about 1.8e308, so 309 digits), where a double-based reader meets infinity, as with 1e400;
# Python's int() itself refuses more than 4,300 digits, to bound the time a conversion takes.
_DOUBLE_DIGITS = 309


def int_reader(lossy: list[str]) -> Callable[[str], int]:
    """int(), remembering literals past the doubles' range (and never converting a very long one)."""

    def read(literal: str) -> int:
        digits = len(literal) - literal.startswith("-")
        if digits > _DOUBLE_DIGITS:
            lossy.append(literal)
            return 0  # never used: a lossy document is not returned
        number = int(literal)
        if digits == _DOUBLE_DIGITS and abs(number) > sys.float_info.max:
            lossy.append(literal)
        return number

    return read


def _shortened(literal: str) -> str:
    return literal if len(literal) <= 40 else f"{literal[:20]}... ({len(literal)} characters)"


def unrepresentable(text: str, display: str, lossy: list[str]) -> list[Finding]:
    """OMX917 for the first few distinct literals the readers noticed, each at its first place in the text."""
    findings = []
    for literal in list(dict.fromkeys(lossy))[:5]:
        match = re.search(rf"(?<![0-9.eE+-]){re.escape(literal)}(?![0-9])", text)
        line, column = line_column(text, match.start()) if match else (None, None)
        read_as = repr(float(literal)).replace("inf", "infinity")
        findings.append(
            NUMBER_NOT_REPRESENTABLE.finding(
                display, Location(line=line, column=column), literal=_shortened(literal), read_as=read_as
            )
        )
    return findings
