"""Inputs that must end in a coded finding, never a hang: FIFOs and devices where files are expected (the
beginning of #14's corpus). Each run is a real `omix` process under a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SINGLE_CELL

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def omix(*args: str | Path) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "omix_ingest.cli", "validate", *map(str, args), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,  # a hang fails the test instead of the suite
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def codes(report: dict) -> dict[str, list[str]]:
    return {Path(f["path"]).name: sorted(x["code"] for x in f["findings"]) for f in report["files"]}


@pytest.mark.parametrize("name", ["GSE1_GPL1.json", "GSE1_GPL1.h5ad", "GSE1_GPL1.vcf", "GSE1_GPL1.gct"])
def test_a_fifo_named_like_a_dataset_file_is_a_finding_not_a_hang(tmp_path, name):
    os.mkfifo(tmp_path / name)
    code, report = omix(tmp_path / name, "--template", SINGLE_CELL)
    assert code == 1 and codes(report) == {name: ["OMX909"]}


def test_fifos_found_in_folders_are_findings(tmp_path):
    (tmp_path / "metadata").mkdir()
    (tmp_path / "data").mkdir()
    os.mkfifo(tmp_path / "metadata" / "GSE1_GPL1.json")
    os.mkfifo(tmp_path / "data" / "GSE1_GPL1.h5ad")
    code, report = omix("--metadata", tmp_path / "metadata", "--data", tmp_path / "data", "--template", SINGLE_CELL)
    assert code == 1
    assert codes(report) == {"GSE1_GPL1.json": ["OMX909"], "GSE1_GPL1.h5ad": ["OMX909"]}


def test_a_device_named_like_a_data_file_is_never_read(tmp_path):
    link = tmp_path / "GSE1_GPL1.vcf"
    link.symlink_to("/dev/zero")  # reading it would never end
    code, report = omix(link)
    assert code == 1 and codes(report) == {"GSE1_GPL1.vcf": ["OMX909"]}


@pytest.mark.parametrize("validation", [True, False], ids=["validated", "no-validation"])
def test_the_gate_refuses_a_fifo_without_blocking(tmp_path, validation):
    from .gate_helpers import ATLAS, make_dataset

    make_dataset(tmp_path, "GSE1_GPL1")
    (tmp_path / "metadata" / "GSE2_GPL1.json").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "metadata" / "GSE2_GPL1.json")
    (tmp_path / "data" / "GSE2_GPL1.gct").write_text((tmp_path / "data" / "GSE1_GPL1.gct").read_text())
    env = dict(os.environ, OMIX_DATA_DIR=str(tmp_path / "state"), OMIX_CONFIG_DIR=str(tmp_path / "config"))
    argv = ["add", "--atlas", ATLAS, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "omix_ingest.cli",
            *map(str, argv),
            *([] if validation else ["--no-validation"]),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    rows = {(r["dataset_id"], r["status"]) for r in json.loads(proc.stdout)["rows"]}
    assert proc.returncode == 1
    assert rows == {("GSE1_GPL1", "ingested"), ("GSE2_GPL1", "refused")}


def test_numbers_too_long_for_any_real_file_are_findings_not_stalls(tmp_path):
    gct = tmp_path / "GSE1_GPL1.gct"
    gct.write_text("#1.2\n" + "9" * 5000 + "\t1\nName\tDescription\tS1\nA\tna\t1\n", encoding="utf-8")
    code, report = omix(gct)
    assert code == 1 and codes(report) == {"GSE1_GPL1.gct": ["OMX402"]}


def test_a_vcf_with_huge_ploidy_many_alts_and_absurd_numbers_finishes(tmp_path):
    vcf = tmp_path / "GSE1_GPL1.vcf"
    alts, genotype = ",".join(["A"] * 3000), "/".join(["0"] * 100_000)
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        f"##contig=<ID=1,length={'9' * 5000}>\n"
        '##INFO=<ID=X,Number=12345678901,Type=Integer,Description="x">\n'
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n'
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="p">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        f"1\t5\t.\tC\t{alts}\t.\tPASS\tX=1\tGT:PL\t{genotype}:1,2\n",
        encoding="utf-8",
    )
    code, report = omix(vcf)
    found = codes(report)["GSE1_GPL1.vcf"]
    assert code == 1 and "OMX522" in found and "OMX990" not in found


def test_a_gzip_bomb_under_a_vcf_name_stops_at_the_line_limit(tmp_path):
    import gzip

    bomb = tmp_path / "GSE1_GPL1.vcf.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:  # ~70 KB on disk, 80 MB of one line inside
        handle.write(b"##fileformat=VCFv4.2\n")
        for _ in range(80):
            handle.write(b"0" * (1 << 20))
    code, report = omix(bomb)
    assert code == 1 and "OMX916" in codes(report)["GSE1_GPL1.vcf.gz"]


def test_a_gct_without_line_breaks_stops_at_the_line_limit(tmp_path):
    gct = tmp_path / "GSE1_GPL1.gct"
    with gct.open("wb") as handle:
        handle.write(b"#1.2\n")
        for _ in range(80):
            handle.write(b"1\t" * (1 << 19))
    code, report = omix(gct)
    assert code == 1 and "OMX916" in codes(report)["GSE1_GPL1.gct"]


@pytest.mark.parametrize(("literal", "read_as"), [("1e-400", "0.0"), ("1e400", "infinity"), ("-2.5E+309", "-infinity")])
def test_a_number_no_double_can_hold_is_a_finding_not_a_silent_zero(tmp_path, literal, read_as):
    path = tmp_path / "GSE1_GPL1.json"
    path.write_text(f'{{"dataset_id": "GSE1_GPL1",\n "total_num_cells": {literal}}}', encoding="utf-8")
    code, report = omix("--template", SINGLE_CELL, path)
    (finding,) = report["files"][0]["findings"]
    assert code == 1 and finding["code"] == "OMX917" and (finding["line"], finding["column"]) == (2, 21)
    assert finding["message"].endswith(f"it would be read as {read_as}")


def test_zeros_written_long_are_still_zero(tmp_path):
    path = tmp_path / "GSE1_GPL1.json"
    path.write_text('{"dataset_id": "GSE1_GPL1", "total_num_cells": 0.0e-999}', encoding="utf-8")
    _, report = omix("--template", SINGLE_CELL, "--select", "OMX9", path)
    assert report["files"][0]["findings"] == []


@pytest.mark.parametrize("hidden", ["\x00", "\x1b", "\u200b", "\u202e"])
def test_gct_ids_with_control_characters_are_findings(tmp_path, hidden):
    gct = tmp_path / "GSE1_GPL1.gct"
    gct.write_text(f"#1.2\n2\t1\nName\tDescription\tS{hidden}1\nG{hidden}1\tna\t1\nG2\tna\t2\n", encoding="utf-8")
    code, report = omix(gct)
    assert code == 1 and codes(report) == {"GSE1_GPL1.gct": ["OMX409", "OMX409"]}


def test_a_folder_tree_deeper_than_the_recursion_limit_is_walked(tmp_path):
    """os.walk recurses once per level on Python 3.11; the planner's walk does not, so 1,500 levels are fine."""
    top = tmp_path / "deep"
    levels = [top]
    try:
        top.mkdir()
        for _ in range(1500):  # one level at a time: pathlib's and os's own makedirs recurse too
            levels.append(levels[-1] / "d")
            levels[-1].mkdir()
        (levels[-1] / "GSE1_GPL1.json").write_text('{"dataset_id": "GSE1_GPL1"}', encoding="utf-8")
        (top / "GSE2_GPL1.json").write_text('{"dataset_id": "GSE2_GPL1"}', encoding="utf-8")
        code, report = omix("--template", SINGLE_CELL, "--select", "OMX103", top)
    finally:  # bottom up, whatever was made: shutil.rmtree (pytest's clean-up) recurses once per level as well
        for level in reversed(levels):
            for child in level.glob("*.json"):
                child.unlink()
            if level.exists():
                level.rmdir()
    assert code == 1 and sorted(Path(f["path"]).name for f in report["files"]) == ["GSE1_GPL1.json", "GSE2_GPL1.json"]


def test_the_walk_keeps_os_walk_order_and_pruning(tmp_path):
    import os

    from omix_ingest.run.plan import walk_top_down

    for rel in ("b/x", "a/y/z", "a/.hidden", "c"):
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / "f.json").write_text("{}", encoding="utf-8")
    errors: list[OSError] = []

    def ours_pruned() -> list[str]:
        seen = []
        for top, dirs, names in walk_top_down(tmp_path, errors.append):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            seen.append((top, sorted(names)))
        return seen

    def theirs_pruned() -> list[str]:
        seen = []
        for top, dirs, names in os.walk(tmp_path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            seen.append((top, sorted(names)))
        return seen

    assert ours_pruned() == theirs_pruned() and errors == []
