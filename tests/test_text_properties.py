"""Property tests of the text validators (GCT, VCF) on generated and mutated files: they never raise, every finding
they locate points inside the input, a file built to be valid passes, and breaking one required element of a valid
file fails with that element's code. The generators of tests/test_reader_agreement.py give the odd files; the
valid ones are built here, where every choice stays within what the formats allow."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.hostile.families.vcf import bgzf
from validators.core.context import ValidationContext
from validators.core.model import Finding, Severity
from validators.gct.text import GctValidator
from validators.vcf.validator import MAX_ERRORS, VcfValidator

from .conftest import FIXTURES
from .test_reader_agreement import gct_text, vcf_text

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Validator = GctValidator | VcfValidator


def findings(validator: Validator, name: str, content: bytes) -> list[Finding]:
    """Everything the validator reports on `content` written as `name`; an exception fails the property."""
    with tempfile.TemporaryDirectory(prefix="omix-text-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return [f for f in validator.validate(path, ValidationContext()) if isinstance(f, Finding)]


def errors(found: list[Finding]) -> set[str]:
    return {f.code for f in found if f.severity >= Severity.ERROR}


def assert_located_inside(content: bytes, found: list[Finding]) -> None:
    """A finding's line is a line of the file and its column a character of that line (or just past its end)."""
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for finding in found:
        line, column = finding.location.line, finding.location.column
        if line is None:
            assert column is None, finding
            continue
        assert 1 <= line <= len(lines), f"{finding.code} at line {line} of {len(lines)}: {finding.message}"
        if column is not None:
            text = lines[line - 1].removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").removesuffix("\r")
            assert 1 <= column <= len(text) + 1, f"{finding.code} at column {column} of {len(text)}: {text[:80]!r}"


# ------------------------------------------------------------------------------------------------ mutations

PIECES = st.sampled_from(
    [
        *(b"\t", b"\n", b"\r\n", b"\r", b"\x00", b"#", b" ", b'"', b"=", b";", b",", b":", b"<", b">", b"##"),
        *(b"-666", b"NaN", b"inf", b"1e400", b"\xef\xbb\xbf", b"\xe9", b"9" * 400),
        *("\u0663".encode(), "\uff11".encode()),
    ]
)


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    """A generated text with a few edits: bytes cut, inserted, a line repeated or dropped, the file cut short."""
    data = draw(texts).encode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "repeat-line", "drop-line", "truncate"]))
        if edit == "insert":
            data = data[:where] + draw(PIECES) + data[where:]
        elif edit == "delete":
            data = data[:where] + data[where + draw(st.integers(1, 8)) :]
        elif edit == "truncate":
            data = data[:where]
        else:
            lines = data.split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines[index:index + 1] = [lines[index]] * (2 if edit == "repeat-line" else 0)  # fmt: skip
            data = b"\n".join(lines)
    return data


# ------------------------------------------------------------------------------------------- valid GCT files

IDS = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12).filter(
    lambda s: s.lower() not in ("na", "nan", "none", "null")
)
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["NaN", "NA", "nan", "0", "-0.0", "1e-300", "2.5E+10"]),
)


@st.composite
def valid_gct(draw: st.DrawFn) -> str:
    rows, cols = draw(st.integers(0, 5)), draw(st.integers(1, 4))
    row_ids = draw(st.lists(IDS, min_size=rows, max_size=rows, unique=True))
    samples = draw(st.lists(IDS, min_size=cols, max_size=cols, unique=True))
    if draw(st.booleans()):
        lines = ["#1.2", f"{rows}\t{cols}", "\t".join(["Name", "Description", *samples])]
        lines += ["\t".join([r, "na", *(draw(NUMBERS) for _ in samples)]) for r in row_ids]
    else:
        fields = draw(st.lists(IDS, max_size=2, unique=True))
        meta = draw(st.lists(IDS, max_size=2, unique=True))
        lines = ["#1.3", f"{rows}\t{cols}\t{len(fields)}\t{len(meta)}", "\t".join(["id", *fields, *samples])]
        lines += ["\t".join([m, *(["-666"] * len(fields)), *(draw(IDS) for _ in samples)]) for m in meta]
        lines += ["\t".join([r, *(draw(IDS) for _ in fields), *(draw(NUMBERS) for _ in samples)]) for r in row_ids]
    return "\n".join(lines) + "\n"


@PROPERTY
@given(valid_gct())
def test_a_gct_built_valid_passes(text: str):
    content = text.encode("utf-8")
    found = findings(GctValidator(), "GSE1_GPL1.gct", content)
    assert not errors(found), f"{sorted(errors(found))} on a valid file:\n{text}"


def _line(text: str, index: int, change: Callable[[str], str]) -> str:
    lines = text.split("\n")
    lines[index] = change(lines[index])
    return "\n".join(lines)


GCT_BREAKS: dict[str, tuple[str, Callable[[str], str]]] = {
    "version": ("OMX401", lambda t: _line(t, 0, lambda _: "#2.0")),
    "dimensions": ("OMX402", lambda t: _line(t, 1, lambda line: line.replace("\t", " ", 1))),
    "header": ("OMX403", lambda t: _line(t, 2, lambda line: "ID" + line.partition("\t")[1] + line.partition("\t")[2])),
    "row count": ("OMX404", lambda t: _line(t, 1, lambda line: "1" + line)),  # 10 or more rows declared, at most 5
    "sample id": ("OMX407", lambda t: _line(t, 2, lambda line: line + "\t" + line.rsplit("\t", 1)[1])),
}  # fmt: skip


@PROPERTY
@given(valid_gct(), st.sampled_from(sorted(GCT_BREAKS)))
def test_breaking_one_required_gct_element_fails_with_its_code(text: str, part: str):
    code, breaks = GCT_BREAKS[part]
    content = breaks(text).encode("utf-8")
    found = findings(GctValidator(), "GSE1_GPL1.gct", content)
    assert code in errors(found), f"breaking the {part} gave {sorted(errors(found))}:\n{content.decode()}"
    assert_located_inside(content, found)


# ------------------------------------------------------------------------------------------- valid VCF files

BASES = "ACGT"
VCF_HEAD = (
    "##fileformat=VCFv4.3\n"
    "##contig=<ID=chr1,length=1000000>\n"
    "##contig=<ID=chr2,length=1000000>\n"
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n'
    '##FILTER=<ID=q10,Description="Quality below 10">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
)


@st.composite
def valid_vcf(draw: st.DrawFn) -> str:
    samples = draw(st.lists(IDS, max_size=3, unique=True))
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"] + (
        ["FORMAT", *samples] if samples else []
    )
    lines = [VCF_HEAD + "\t".join(columns)]
    for chrom in draw(st.sampled_from([["chr1"], ["chr2"], ["chr1", "chr2"]])):
        positions = sorted(draw(st.sets(st.integers(1, 1_000_000), min_size=1, max_size=3)))
        for position in positions:
            ref = draw(st.text(BASES, min_size=1, max_size=3))
            alts = draw(st.lists(st.text(BASES, min_size=1, max_size=3).filter(lambda a, r=ref: a != r),
                                 max_size=2, unique=True))  # fmt: skip
            alt = ",".join(alts) or "."
            qual = draw(st.sampled_from([".", "0", "29", "99.5"]))
            info = [f"DP={draw(st.integers(0, 2**31 - 1))}"]
            if alts:
                info.append("AF=" + ",".join(draw(st.sampled_from(["0.5", "1e-3", "."])) for _ in alts))
            fields = [chrom, str(position), ".", ref, alt, qual, draw(st.sampled_from(["PASS", "q10", "."])),
                      ";".join(info)]  # fmt: skip
            if samples:
                allele = st.integers(0, len(alts)).map(str) | st.just(".")
                fields.append("GT:DP")
                for _ in samples:
                    genotype = draw(allele) + draw(st.sampled_from(["/", "|"])) + draw(allele)
                    fields.append(f"{genotype}:{draw(st.integers(0, 500))}")
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


@PROPERTY
@given(valid_vcf())
def test_a_vcf_built_valid_passes(text: str):
    found = findings(VcfValidator(), "GSE1_GPL1.vcf", text.encode("utf-8"))
    assert not errors(found), f"{sorted(errors(found))} on a valid file:\n{text}"


def _records_swapped(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    body = [line for line in lines if not line.startswith("#")]
    first = body[0].split("\t")
    later = "\t".join([first[0], str(int(first[1]) + 1), *first[2:]])
    return "\n".join([*lines[: -len(body)], later, *body]) + "\n"  # a record before one it must follow


def _first_record(text: str, column: int, change: Callable[[str], str]) -> str:
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    fields = lines[index].split("\t")
    fields[column] = change(fields[column])
    lines[index] = "\t".join(fields)
    return "\n".join(lines)


VCF_BREAKS: dict[str, tuple[str, Callable[[str], str]]] = {
    "fileformat line": ("OMX501", lambda t: t.split("\n", 1)[1]),
    "#CHROM line": ("OMX502", lambda t: t.replace("#CHROM\tPOS\tID", "#CHROM POS ID")),
    "record order": ("OMX512", _records_swapped),
    "POS": ("OMX508", lambda t: _first_record(t, 1, lambda pos: f"-{pos}")),
    "REF": ("OMX509", lambda t: _first_record(t, 3, lambda ref: f"{ref}U")),
    "DP range": ("OMX506", lambda t: _first_record(t, 7, lambda info: info.replace("DP=", "DP=9999999999", 1))),
    "INFO definition": ("OMX522", lambda t: t.replace('Description="Depth">', 'Description="Depth>', 1)),
}


@PROPERTY
@given(valid_vcf(), st.sampled_from(sorted(VCF_BREAKS)))
def test_breaking_one_required_vcf_element_fails_with_its_code(text: str, part: str):
    code, breaks = VCF_BREAKS[part]
    content = breaks(text).encode("utf-8")
    found = findings(VcfValidator(), "GSE1_GPL1.vcf", content)
    assert code in errors(found), f"breaking the {part} gave {sorted(errors(found))}:\n{content.decode()}"
    assert_located_inside(content, found)


@PROPERTY
@given(valid_vcf().filter(lambda t: "\tGT:DP\t" in t))
def test_a_genotype_after_other_format_keys_is_omx528(text: str):
    moved = text.replace("\tGT:DP\t", "\tDP:GT\t")
    assert "OMX528" in errors(findings(VcfValidator(), "GSE1_GPL1.vcf", moved.encode("utf-8")))


# ------------------------------------------------------------------------------- mutated files


@PROPERTY
@given(mutated(st.one_of(gct_text(), valid_gct())))
def test_gct_checks_never_raise_and_locate_inside_the_file(content: bytes):
    assert_located_inside(content, findings(GctValidator(), "GSE1_GPL1.gct", content))


@PROPERTY
@given(mutated(st.one_of(vcf_text(), valid_vcf())))
def test_vcf_checks_never_raise_and_locate_inside_the_file(content: bytes):
    assert_located_inside(content, findings(VcfValidator(), "GSE1_GPL1.vcf", content))


# ------------------------------------------------------------------------------ containers, by example

GOOD_BGZF = FIXTURES / "data" / "positive" / "GSE400002_calls.vcf.gz"


def test_an_index_of_another_file_is_omx529(tmp_path: Path):
    text = GOOD_BGZF.with_name("GSE400001_calls.vcf").read_text(encoding="utf-8").replace("chr1", "chrX")
    path = tmp_path / "GSE1_GPL1.vcf.gz"
    path.write_bytes(bgzf(text.encode("utf-8")))
    (tmp_path / "GSE1_GPL1.vcf.gz.tbi").write_bytes(GOOD_BGZF.with_name(GOOD_BGZF.name + ".tbi").read_bytes())
    found = [f for f in VcfValidator().validate(path, ValidationContext()) if isinstance(f, Finding)]
    assert [f.code for f in found if f.code == "OMX529"] == ["OMX529"]
    assert "chrX" in next(f.message for f in found if f.code == "OMX529")


def test_the_index_made_for_the_file_is_accepted(tmp_path: Path):
    for source in (GOOD_BGZF, GOOD_BGZF.with_name(GOOD_BGZF.name + ".tbi")):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    found = VcfValidator().validate(tmp_path / GOOD_BGZF.name, ValidationContext())
    assert [f for f in found if isinstance(f, Finding)] == []


def test_reading_stops_after_too_many_errors_with_omx530(tmp_path: Path):
    record = "chr1\t100\t.\tA\tG\t50\tPASS\t.\n"
    path = tmp_path / "GSE1_GPL1.vcf"
    path.write_text(VCF_HEAD + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + record * (MAX_ERRORS + 10_000))
    found = [f for f in VcfValidator().validate(path, ValidationContext()) if isinstance(f, Finding)]
    stop = next(f for f in found if f.code == "OMX530")
    assert stop.location.line is not None and stop.location.line < MAX_ERRORS + 10_000
    assert {"OMX514"} <= errors(found)
