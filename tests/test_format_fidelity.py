"""Verdicts that agree with the format specifications and with the readers Polly uses: optional things are at most
warnings, files nothing can check are findings, empty files are findings (the fixtures cover the rest)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import FIXTURES

VCF = (FIXTURES / "data" / "positive" / "GSE400001_calls.vcf").read_text(encoding="utf-8")


def codes(run_cli, *paths: Path) -> tuple[int, list[tuple[str, str]]]:
    result = run_cli("validate", *paths, "--format", "json")
    report = result.json()
    return result.code, sorted((x["code"], x["severity"]) for f in report["files"] for x in f["findings"])


def test_a_bgzipped_vcf_without_an_index_passes_with_an_info(run_cli, tmp_path):
    import pysam

    plain = tmp_path / "calls.vcf"
    plain.write_text(VCF, encoding="utf-8")
    pysam.tabix_compress(str(plain), str(tmp_path / "calls.vcf.bgz"))
    code, found = codes(run_cli, tmp_path / "calls.vcf.bgz")
    assert code == 0 and found == [("OMX517", "info")]


@pytest.mark.parametrize("name", ["empty.gct", "empty.vcf", "empty.h5ad", "empty.gctx"])
def test_an_empty_file_is_a_finding_in_every_format(run_cli, tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    code, found = codes(run_cli, tmp_path / name)
    assert code == 1 and ("OMX904", "error") in found


def _archive(kind: str, payload: bytes) -> bytes:
    if kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("calls.vcf", payload)
        return buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("calls.vcf")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


UNCLAIMED = {
    "calls.vcf.bz2": (lambda b: bz2.compress(b), "bzip2-compressed"),
    "calls.vcf.xz": (lambda b: lzma.compress(b), "xz-compressed"),
    "calls.vcf.z": (lambda b: gzip.compress(b), "gzip-compressed"),
    "calls.vcf.zip": (lambda b: _archive("zip", b), "a zip archive"),
    "calls.tar": (lambda b: _archive("tar", b), "a tar archive"),
    "calls.vcf40": (lambda b: b, "VCF text under the name 'calls.vcf40'; name it .vcf"),
    "expression.gct.gz": (lambda b: gzip.compress(b"#1.2\n1\t1\n"), "gzip-compressed"),
    "notes.txt": (lambda b: b"just some words\n", "an unknown kind of file"),
}


@pytest.mark.parametrize("name", sorted(UNCLAIMED))
def test_a_named_file_no_validator_checks_is_a_finding_and_cannot_pass(run_cli, tmp_path, name):
    make, says = UNCLAIMED[name]
    (tmp_path / name).write_bytes(make(VCF.encode()))
    result = run_cli("validate", tmp_path / name, "--format", "json")
    report = result.json()
    [finding] = [x for f in report["files"] for x in f["findings"]]
    assert result.code == 1 and finding["code"] == "OMX914" and says in finding["message"]
    assert report["stats"]["skipped"] == 0


def test_files_no_validator_checks_in_a_data_folder_are_findings(run_cli, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "GSE1_GPL1.vcf.bz2").write_bytes(bz2.compress(VCF.encode()))  # Polly refuses the name
    (tmp_path / "data" / "GSE2_GPL1.csv").write_text("gene,S1\nA,1\n", encoding="utf-8")  # Polly takes it as is
    result = run_cli("validate", "--data", tmp_path / "data", "--format", "json")
    found = {Path(f["path"]).name: [(x["code"], x["severity"]) for x in f["findings"]] for f in result.json()["files"]}
    assert result.code == 1
    assert found["GSE1_GPL1.vcf.bz2"] == [("OMX604", "error")]
    assert found["GSE2_GPL1.csv"] == [("OMX914", "warning")]


def test_unclaimed_files_met_in_a_plain_folder_are_only_counted(run_cli, tmp_path):
    (tmp_path / "README.md").write_text("notes\n", encoding="utf-8")
    result = run_cli("validate", tmp_path, "--format", "json")
    assert result.code == 0 and result.json()["stats"]["skipped"] == 1


def test_upper_case_extensions_are_checked_not_skipped(run_cli, tmp_path):
    (tmp_path / "CALLS.VCF").write_text(VCF, encoding="utf-8")
    code, found = codes(run_cli, tmp_path / "CALLS.VCF")
    assert code == 0 and found == []


def test_reserved_keys_take_their_defined_types(run_cli, tmp_path):
    bad = VCF.replace("DP=13", "DP=13;AN=four")  # AN is a reserved Integer, declared or not
    (tmp_path / "calls.vcf").write_text(bad, encoding="utf-8")
    code, found = codes(run_cli, tmp_path / "calls.vcf")
    assert code == 1 and ("OMX506", "error") in found and ("OMX505", "warning") not in found


def test_a_rule_pack_can_raise_a_spec_optional_rule_to_an_error(run_cli, tmp_path):
    (tmp_path / "calls.vcf").write_text(VCF.replace("chr2\t1230237", "chr3\t1230237"), encoding="utf-8")
    assert codes(run_cli, tmp_path / "calls.vcf") == (0, [("OMX504", "warning")])
    pack = tmp_path / "strict.yaml"
    pack.write_text("name: strict\nseverities:\n  OMX504: error\n", encoding="utf-8")
    result = run_cli("validate", tmp_path / "calls.vcf", "--rules", pack, "--format", "json")
    assert result.code == 1
    assert [x["severity"] for f in result.json()["files"] for x in f["findings"]] == ["error"]


def test_a_rule_pack_severity_must_name_a_code_and_a_severity(run_cli, tmp_path):
    pack = tmp_path / "bad.yaml"
    pack.write_text("name: bad\nseverities:\n  OMX504: fatal\n", encoding="utf-8")
    result = run_cli("validate", FIXTURES / "data" / "positive" / "GSE400001_calls.vcf", "--rules", pack)
    assert result.code == 2 and "severities.OMX504" in result.err


def test_the_report_json_of_a_vcf_with_a_finding_is_well_formed(run_cli, tmp_path):
    (tmp_path / "calls.vcf").write_text(VCF.replace("rs6054257", ";rs6054257"), encoding="utf-8")
    result = run_cli("validate", tmp_path / "calls.vcf", "--format", "json")
    assert json.loads(result.out)["files"][0]["findings"][0]["code"] == "OMX525"


# ------------------------------------------------------------------------ agreement with the readers, fixture-wide

DATA_FILES = sorted(p for p in (FIXTURES / "data").rglob("*") if p.is_file() and p.suffix not in (".py", ".json"))


def _errors(path: Path) -> list[str]:
    from validators.core.model import Severity

    from .test_data_fixtures import findings_of

    return [f.code for f in findings_of(path) if f.severity >= Severity.ERROR]


@pytest.mark.parametrize("path", [p for p in DATA_FILES if p.suffix == ".h5ad"], ids=lambda p: p.name)
def test_every_h5ad_that_passes_loads_with_anndata(path: Path):
    import warnings

    import anndata

    if _errors(path):
        return  # refused here; whether anndata reads it does not matter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anndata.read_h5ad(path)


@pytest.mark.parametrize(
    "path", [p for p in DATA_FILES if ".vcf" in p.name and not p.name.endswith((".tbi", ".csi"))], ids=lambda p: p.name
)
def test_every_vcf_that_passes_is_read_to_the_end_by_pysam(path: Path):
    import pysam

    if _errors(path):
        return
    with pysam.VariantFile(str(path)) as variants:
        assert sum(1 for _ in variants) > 0


def test_no_fixture_anywhere_crashes_a_validator(run_cli):
    """OMX990 means a validator raised: it must not happen on any file the project ships."""
    report = run_cli(
        "validate",
        FIXTURES / "data",
        "--template",
        FIXTURES / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json",
        "--format",
        "json",
    ).json()
    metadata = run_cli(
        "validate",
        FIXTURES / "metadata",
        FIXTURES / "examples",
        "--template",
        FIXTURES / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json",
        "--format",
        "json",
    ).json()
    crashed = [
        f["path"] for r in (report, metadata) for f in r["files"] for x in f["findings"] if x["code"] == "OMX990"
    ]
    assert report["stats"]["files"] > 100 and crashed == []
