"""What an INFO or FORMAT value may be under its header definition (Number, Type), as plain tests and as regexes.

The regexes are the line pass's fast path: a value they accept has no finding, so the detailed checks in
`validators.vcf.records` only run on what they reject. Both live here so that they stay in agreement.
"""

from __future__ import annotations

import re

# The VCF Float grammar (4.3 section 1.3): decimal or exponent notation, or INF, INFINITY, NAN in any case. ASCII
# digits only: Python's float() also takes "1_000", other scripts' digits and " 1", which are not VCF numbers.
_FLOAT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf(?:inity)?|nan)"
_FLOAT_TEST = re.compile(_FLOAT)
_INTEGER = re.compile(r"[+-]?[0-9]+")
# VCF Integers are 32-bit and signed, the lowest eight values reserved (4.3 section 1.3): htslib reads anything
# outside as missing, without a word.
INTEGER_MIN, INTEGER_MAX = -(2**31) + 8, 2**31 - 1
# VCF Floats are 32-bit: a finite literal past FLOAT32_MAX is stored as infinity by htslib, without a word.
FLOAT32_MAX = 3.4028234663852886e38
# Floats that are always in range: up to 28 digits and an exponent up to +9; the rest go to the exact check.
_FAST_FLOAT = r"[+-]?(?:[0-9]{1,28}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?:-[0-9]{1,3}|\+?[0-9]))?|[+-]?(?i:inf(?:inity)?|nan)"
_SCALAR = {
    "Integer": r"[+-]?[0-9]{1,9}",  # always in range; longer ones go to the exact check
    "Float": _FAST_FLOAT,
    "Character": r"[^,]",
    "String": r"[^,]*",
}


def is_float(text: str) -> bool:
    return bool(_FLOAT_TEST.fullmatch(text))


def ascii_digits(text: str) -> bool:
    """A non-negative integer in ASCII digits: str.isdigit also takes superscripts (which int() refuses) and other
    scripts' digits (which int() reads), neither of which is a VCF number."""
    return text.isascii() and text.isdigit()


def type_ok(value: str, type_: str) -> bool:
    if value == ".":
        return True
    if type_ == "Integer":
        return bool(_INTEGER.fullmatch(value)) and len(value) <= 11 and INTEGER_MIN <= int(value) <= INTEGER_MAX
    if type_ == "Float":  # infinity and NaN spelled out (each holds an "n", no number does) are Floats
        return is_float(value) and (abs(float(value)) <= FLOAT32_MAX or "n" in value.lower())
    if type_ == "Character":
        return len(value) == 1
    return True


# More values than a line holds (a line is at most 64 MiB, a value and its comma at least two bytes): a Number=G
# count past this (combinations of alleles, astronomically many for a high ploidy) is met by no record.
MAX_VALUES = 32 * 1024 * 1024
MAX_FAST_COUNT = 10_000  # a fixed count past this gets no compiled accept test


def genotype_count(n_alt: int, ploidy: int) -> int:
    """The Number=G count, C(n_alt + ploidy, ploidy), or MAX_VALUES + 1 once it is past what any line holds:
    built one factor at a time, so a ploidy of 100,000 over 3,000 alleles stops after a few steps."""
    total, count = n_alt + ploidy, 1
    for step in range(1, min(n_alt, ploidy) + 1):
        count = count * (total - step + 1) // step
        if count > MAX_VALUES:
            return MAX_VALUES + 1
    return count


def expected_count(number: str, n_alt: int, ploidy: int | None) -> int | None:
    """How many values Number allows for a record, or None when any count is fine."""
    if ascii_digits(number):
        return int(number) if len(number) <= 9 else None  # an 11-digit Number is no count a record can meet
    if number == "A":
        return n_alt
    if number == "R":
        return n_alt + 1
    if number == "G" and ploidy is not None:
        return genotype_count(n_alt, ploidy)
    return None


def value_pattern(definition: tuple[str, str], n_alt: int, ploidy: int | None) -> str | None:
    """A regex accepting exactly the values the definition allows for this record, or None (no fast path)."""
    count, type_ = definition
    scalar = _SCALAR.get(type_)
    if scalar is None:
        return None
    item = f"(?:{scalar}|\\.)"
    expected = expected_count(count, n_alt, ploidy)
    if expected is None:
        return None if count == "G" else f"{item}(?:,{item})*"
    if expected == 0 or expected > MAX_FAST_COUNT:
        return None
    return f"\\.|{item}" + (f"(?:,{item}){{{expected - 1}}}" if expected > 1 else "")


def info_pattern(definition: tuple[str, str] | None, n_alt: int) -> re.Pattern[str] | None:
    """The accept test for one INFO key's value, or None (undeclared, a Flag, or no fast path)."""
    pattern = value_pattern(definition, n_alt, None) if definition and definition[1] != "Flag" else None
    return re.compile(pattern) if pattern else None


def sample_pattern(format_text: str, formats: dict[str, tuple[str, str]], n_alt: int) -> re.Pattern[str] | None:
    """One regex for a whole sample column under this FORMAT (diploid for Number=G; trailing fields may be
    dropped, as the spec allows), or None when some key has no fast path."""
    parts = []
    for key in format_text.split(":"):
        definition = formats.get(key)
        if key == "GT" and n_alt <= 9:
            allele = f"(?:\\.|[0-{n_alt}])"
            parts.append(f"[/|]?{allele}(?:[/|]{allele})*")
        elif definition is None or key == "GT":
            parts = []
            break
        else:
            pattern = value_pattern(definition, n_alt, 2)
            if pattern is None:
                parts = []
                break
            parts.append(f"(?:{pattern})")
    if not parts:
        return None
    body = parts[-1]
    for part in reversed(parts[:-1]):
        body = f"{part}(?::{body})?"
    return re.compile(body)
