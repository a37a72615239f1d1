"""The batch screen of GCT data rows (validators/gct/screen.py, doubles.py) changes nothing but speed: on generated
and mutated files, every finding (code, severity, line, column, message, parameters, and their order) is the same
with the screen on every batch as with the exact row checks alone."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding
from validators.gct.screen import SCREEN_FROM
from validators.gct.text import GctValidator

from .test_reader_agreement import gct_text
from .test_text_properties import mutated, valid_gct

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCREENED, EXACT = GctValidator(screen_from=0, c_reader_from=0), GctValidator(screen_from=10**18)
SCREENED_ONLY = GctValidator(screen_from=0, c_reader_from=10**18)  # rows with many letters: the exact checks

Outcome = list[tuple[object, ...]]


def outcome(validator: GctValidator, path: Path) -> Outcome:
    """Everything the validator says, in order, with every field of every finding."""
    said: Outcome = []
    for item in validator.validate(path, ValidationContext()):
        if isinstance(item, Finding):
            where = item.location
            said.append((item.code, item.severity, where.line, where.column, item.message, repr(item.params)))
        elif isinstance(item, Fact):
            said.append(("fact", repr(item)))
    return said


def assert_same(content: bytes) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="omix-screen-") as folder:
        path = Path(folder) / "GSE1_GPL1.gct"
        path.write_bytes(content)
        screened, exact, alone = outcome(SCREENED, path), outcome(EXACT, path), outcome(SCREENED_ONLY, path)
    assert screened == exact == alone, f"screened and exact checks differ on:\n{content[:2000]!r}"
    return exact


# Cells a plain-number screen could get wrong: every spelling near a number, a marker, an infinity or a NaN, values
# a double cannot hold, odd whitespace and characters, and short random strings over the characters of numbers.
ODD_CELLS = [
    *("1", "-2.5", "+4", "1.", ".5", "-.5", "+.5", ".", "-", "+", "-.", "1..2", "1.2.3", "+-1", "--1", "1-", "1-2"),
    *("0", "-0", "00012", "0.000", "1e5", "1E5", "1e+05", "1.5e-05", ".5e1", "1.e2", "e5", "1e", "1e+", "1ee5"),
    *("1e99", "1e-99", "1e100", "1e308", "1e309", "1e-400", "-1e400", "9" * 310, "0." + "0" * 400 + "1", "1" * 149),
    *("0" * 149 + "1", "1" * 148, "0." + "0" * 148 + "1e-99", "5" * 148 + "e99", "1e0005", "1e-0005"),
    *("NaN", "NA", "nan", "-nan", "-NaN", "NAN", "Nan", "+NaN", "nAn", "N/A", "#N/A", "#N/A!", "#NA", "NULL"),
    *("null", "None", "none", "na", "#VALUE!", "-666", "-666.0", "+666", "-6660", "6-666", "-666e0", "--666"),
    *("inf", "-inf", "+inf", "Inf", "INF", "infinity", "-Infinity", "nane", "NaNe1", "1NaN", "NA1", "e"),
    *("", " ", " 1", "1 ", "1\x0b", "\x0c1", "1\r", "\x00", "\u0661", "\uff11", "1_0", '"1"', "'1'", "0x10"),
    *("1,5", "#", "1#", "é", "\u200b1", "\xa01", "1\x85"),
]
CELLS = st.one_of(
    st.sampled_from(ODD_CELLS),
    st.text("0123456789.+-eE", min_size=1, max_size=6),
    st.text("0123456789.-eENaA/#!", min_size=1, max_size=4),
    st.floats(allow_nan=False).map(repr),
)
COMMON_CELLS = st.one_of(st.floats(-1e6, 1e6).map(lambda v: f"{v:.4f}"), st.just("NaN"), st.just("1.5e-05"))
ROW_IDS = st.sampled_from(["TP53", "EGFR", "MYC", "", " KRAS", "na", '"ID"', "GENE1e100", "A.B", "-1", "E\r1", "é"])


@st.composite
def matrices(draw: st.DrawFn) -> bytes:
    """A GCT whose data rows mostly have the declared width and whose cells are mostly odd."""
    cols = draw(st.integers(1, 14))
    samples = [f"S{i}" for i in range(cols)]
    version = draw(st.sampled_from(["1.2", "1.3"]))
    meta = draw(st.integers(0, 2)) if version == "1.3" else 0
    heads = ["Name", "Description"] if version == "1.2" else ["id", *(f"m{i}" for i in range(meta))]
    cells = draw(st.sampled_from([CELLS, COMMON_CELLS, st.one_of(COMMON_CELLS, CELLS)]))
    lines = []
    for index in range(draw(st.integers(1, 12))):
        row = [draw(st.one_of(st.just(f"G{index}"), ROW_IDS)), *("na" for _ in heads[1:])]
        width = draw(st.sampled_from([cols] * 6 + [cols + 1, cols - 1]))
        lines.append("\t".join(row + [draw(cells) for _ in range(width)]))
        if draw(st.integers(0, 15)) == 0:
            lines.append(draw(st.sampled_from(["", "# note", "\t" * (len(heads) + cols - 1), "   "])))
    dims = f"{len(lines)}\t{cols}" + (f"\t{meta}\t0" if version == "1.3" else "")
    text = "\n".join([f"#{version}", dims, "\t".join(heads + samples), *lines]) + "\n"
    return text.encode("utf-8")


@PROPERTY
@given(matrices())
def test_screened_and_exact_checks_agree_on_odd_cells(content: bytes):
    assert_same(content)


@PROPERTY
@given(mutated(st.one_of(gct_text(), valid_gct())))
def test_screened_and_exact_checks_agree_on_mutated_files(content: bytes):
    assert_same(content)


def test_a_large_file_is_screened_by_default_and_reports_what_the_exact_checks_report():
    """Past SCREEN_FROM characters the default validator screens; its findings stay the exact ones, in order,
    including a decoding error that ends the file in the middle of a batch."""
    matrix = [[f"{(r * 7 + c) % 1000 / 7:.4f}" for c in range(50)] for r in range(4000)]
    for row, cell in ((10, "NA"), (20, "1e999"), (30, "-666"), (40, ""), (50, "5.5.5"), (60, " 6"), (70, "1e-5")):
        matrix[row][3] = cell
    rows = ["\t".join([f"G{r}", "na", *cells]) for r, cells in enumerate(matrix)]
    body = "\n".join(rows).encode()
    assert len(body) > SCREEN_FROM
    head = "#1.2\n4000\t50\n" + "\t".join(["Name", "Description", *(f"S{c}" for c in range(50))]) + "\n"
    content = head.encode() + body + b"\n"
    codes = [said[0] for said in assert_same(content)]
    assert codes.count("OMX410") == 2 and "OMX917" in codes and "OMX411" in codes and "OMX412" in codes
    broken = head.encode() + body.replace(b"\nG3000\t", b"\nG3000\xff\t") + b"\n"
    codes = [said[0] for said in assert_same(broken)]
    assert codes.index("OMX410") < codes.index("OMX902")  # the rows before the bad byte are checked first


def test_rows_full_of_exponents_and_markers_are_read_by_the_c_reader_alike():
    """Past a few cells with letters a row, rows go to pandas' C reader: same findings as the exact checks."""
    cells = ["1.5e-05", "NA", "-2E+03", "NaN", "#N/A", "1e5", "nan", "3.25E-1"]
    rows = ["\t".join([f"G{r}", "na", *(cells[(r + c) % len(cells)] for c in range(40))]) for r in range(200)]
    assert all("\t1.5e-05\t" in row for row in rows)
    for row, cell in ((7, "1e500"), (9, "NAN"), (11, "inf"), (13, "1e5e5")):
        rows[row] = rows[row].replace("\t1.5e-05\t", f"\t{cell}\t", 1)
    head = "#1.2\n200\t40\n" + "\t".join(["Name", "Description", *(f"S{c}" for c in range(40))]) + "\n"
    codes = [said[0] for said in assert_same((head + "\n".join(rows) + "\n").encode())]
    assert {"OMX917", "OMX413", "OMX410", "OMX412"} <= set(codes)
