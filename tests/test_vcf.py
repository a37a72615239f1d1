"""VCF specifics: htslib's own output never reaches the terminal; facts for pairing."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from validators.core.context import Fact, ValidationContext
from validators.vcf.validator import VcfValidator

from .test_data_fixtures import DATA


def test_htslib_output_is_captured_not_printed():
    proc = subprocess.run(
        [sys.executable, "-m", "omix_ingest.cli", "validate", str(DATA / "negative")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert "[W::" not in proc.stdout.replace("htslib: [W::", "") and "[E::" not in proc.stdout.replace(
        "htslib: [E::", ""
    )
    assert "OMX517" in proc.stdout  # what htslib said is in the report, as findings


def test_sample_count_fact():
    facts = [
        f
        for f in VcfValidator().validate(DATA / "positive" / "GSE400001_calls.vcf", ValidationContext())
        if isinstance(f, Fact)
    ]
    assert {f.name: f.value for f in facts} == {"format": "vcf", "n_samples": 2}


def line_pass_findings(text: str, *, fast: bool) -> list[tuple[str, str]]:
    import io

    from validators.core.capped import CappedFindings
    from validators.vcf.validator import _LinePass

    out = CappedFindings(cap=1000)
    checker = _LinePass("f.vcf", out)
    if not fast:  # every record through the detailed checks
        checker.records._info_pattern = lambda key, n_alt: None  # type: ignore[method-assign]
        checker.records._sample_pattern = lambda text, n_alt: None  # type: ignore[method-assign]
    checker.run(io.BytesIO(text.encode()))
    return sorted((f.code, f.message) for f in out)


HEADER = (DATA / "positive" / "GSE400001_calls.vcf").read_text(encoding="utf-8").split("chr1\t14370")[0]
VALUES = st.sampled_from(["0", "1", "2", ".", "-3", "+4", "1.5", "nan", "NaN", "inf", "x", "", "1e3", ".5", "A"])
GENOTYPES = st.sampled_from(["0/0", "0|1", "1/2", "./.", "0/3", ".", "1", "0/1/2", "a/b", "0:1"])


@settings(max_examples=300, deadline=None)
@given(
    alt=st.sampled_from(["A", "A,C", "<DEL>", ".", "A,C,G"]),
    dp=st.lists(VALUES, min_size=1, max_size=3),
    af=st.lists(VALUES, min_size=1, max_size=4),
    gt=st.lists(GENOTYPES, min_size=2, max_size=2),
    sample_dp=st.lists(VALUES, min_size=2, max_size=2),
    pl=st.lists(st.lists(VALUES, min_size=1, max_size=7), min_size=2, max_size=2),
    fmt=st.sampled_from(["GT:DP:PL", "GT:DP", "GT", "DP:GT", "GT:XX"]),
)
def test_fast_paths_agree_with_detailed_checks(alt, dp, af, gt, sample_dp, pl, fmt):
    def column(i: int) -> str:
        values = {"GT": gt[i], "DP": sample_dp[i], "PL": ",".join(pl[i]), "XX": "1"}
        return ":".join(values[k] for k in fmt.split(":"))

    record = f"chr1\t100\t.\tG\t{alt}\t10\tPASS\tDP={','.join(dp)};AF={','.join(af)}\t{fmt}\t{column(0)}\t{column(1)}\n"
    text = HEADER + record
    assert line_pass_findings(text, fast=True) == line_pass_findings(text, fast=False)


def test_index_older_than_the_data_is_reported(tmp_path):
    import os
    import shutil

    data = tmp_path / "GSE1_GPL1.vcf.gz"
    shutil.copyfile(DATA / "positive" / "GSE400002_calls.vcf.gz", data)
    shutil.copyfile(DATA / "positive" / "GSE400002_calls.vcf.gz.tbi", tmp_path / "GSE1_GPL1.vcf.gz.tbi")
    assert line_codes(data) == []
    index_time = (tmp_path / "GSE1_GPL1.vcf.gz.tbi").stat().st_mtime
    os.utime(data, (index_time + 60, index_time + 60))
    assert line_codes(data) == ["OMX520"]


def line_codes(path):
    from validators.core.model import Finding

    return [f.code for f in VcfValidator().validate(path, ValidationContext()) if isinstance(f, Finding)]
