"""VCF specifics: htslib's own output never reaches the terminal; facts for pairing."""

from __future__ import annotations

import subprocess
import sys

from validators.context import Fact, ValidationContext
from validators.vcf import VcfValidator

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
