"""A large BGZF VCF split over the workers of a LocalCluster (three worker processes) writes the report a local run
writes: the same findings in the same order, the same caps and counts. The split threshold is lowered through
OMIX_SPLIT_MIN_BYTES, and the executor's stats say the file really went out as several part tasks."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pysam
import pytest
from distributed import LocalCluster

from omix_ingest.run import split
from validators.vcf.part import PartResult, check_part, merge_parts, split_points
from validators.vcf.rules import DUPLICATE_RECORD, GENOTYPE_ALLELE, QUAL, UNDECLARED_CONTIG, UNSORTED

WORKERS = 3
HEADER = [
    "##fileformat=VCFv4.2",
    *(f"##contig=<ID={c},length=10000000>" for c in ("chr1", "chr2", "chr3")),  # chrX is not declared
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">',
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2",
]


def _records(seed: int = 7, per_contig: int = 6000) -> list[str]:
    """Sorted records on four contigs; bad QUAL in about 1 in 250 (far past the cap of 20), a wrong DP type in 1
    in 500, and a duplicate record every 1,000 lines."""
    rng = random.Random(seed)
    lines = []
    for chrom in ("chr1", "chr2", "chr3", "chrX"):
        pos = 0
        for _ in range(per_contig):
            pos += rng.randint(1, 50)
            qual = "-1" if rng.random() < 0.004 else "50"
            depth = "xx" if rng.random() < 0.002 else f"{rng.randint(10, 99)}"
            lines.append(f"{chrom}\t{pos}\t.\tA\tG\t{qual}\tPASS\tDP={depth}\tGT\t0/1\t0/0")
            if len(lines) % 1000 == 0:
                lines.append(lines[-1])
    return lines


def _write(folder: Path, name: str, records: list[str], *, index: bool = True) -> Path:
    plain = folder / name
    plain.write_text("\n".join([*HEADER, *records]) + "\n", encoding="utf-8")
    if index:
        return Path(pysam.tabix_index(str(plain), preset="vcf", force=True))
    pysam.tabix_compress(str(plain), f"{plain}.gz", force=True)
    plain.unlink()
    return Path(f"{plain}.gz")


def _parts(path: Path) -> list[PartResult]:
    """The parts the executor makes of `path` on WORKERS single-threaded workers."""
    plan = split.plan_splits([(path, (0,))], [split.VcfValidator()], str(path.parent), WORKERS)
    return [check_part(path, str(path), start, stop) for start, stop in plan[0].bounds]


def _seams(path: Path) -> list[int]:
    """The first line of each part after the first (the first part's lines count the header)."""
    lines = [part.lines for part in _parts(path) if not part.empty]
    return [sum(lines[:n]) + 1 for n in range(1, len(lines))]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module", autouse=True)
def small_threshold() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(split.SPLIT_ENV, "20000")
        yield


@pytest.fixture(scope="module")
def sorted_vcf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The records, with a genotype index past the alleles on the last line of each part and the first of the
    next: findings on both sides of every seam."""
    folder = tmp_path_factory.mktemp("sorted")
    records = _records()
    seams = _seams(_write(folder, "calls.vcf", records))
    for seam in seams:
        for line in (seam - 1, seam):
            at = line - len(HEADER) - 1
            records[at] = records[at].replace("\t0/1\t", "\t0/3\t")  # the same length: the blocks do not move
    path = _write(folder, "calls.vcf", records)
    assert _seams(path) == seams and len(seams) >= 3
    return path


def _comparable(out: str) -> bytes:
    report = json.loads(out)
    del report["created"], report["signature"]
    return orjson.dumps(report, option=orjson.OPT_INDENT_2)


def _dask_equals_local(run_cli: Callable[..., object], scheduler: str, path: Path) -> dict[str, object]:
    local = run_cli("validate", path, "--format", "json")
    remote = run_cli("validate", path, "--format", "json", "--scheduler", scheduler)
    assert local.code == remote.code == 1, remote.err  # type: ignore[attr-defined]
    assert _comparable(remote.out) == _comparable(local.out)  # type: ignore[attr-defined]
    [report] = json.loads(remote.out)["files"]  # type: ignore[attr-defined]
    return report  # type: ignore[no-any-return]


def test_a_split_vcf_reports_what_one_pass_reports(run_cli, scheduler, sorted_vcf):
    report = _dask_equals_local(run_cli, scheduler, sorted_vcf)
    assert split.last_stats.files_split == 1 and split.last_stats.part_tasks >= 4
    assert split.last_stats.validated_whole == {}
    by_code: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        by_code.setdefault(finding["code"], []).append(finding)
    qual = by_code[QUAL.code]
    [closing] = [f for f in qual if f["line"] is None]
    assert closing["params"]["total"] > 60 and len(qual) == 21  # capped after the merge: 20 and the count
    genotypes = [f["line"] for f in by_code[GENOTYPE_ALLELE.code]]
    seams = _seams(sorted_vcf)
    assert genotypes == sorted([s - 1 for s in seams] + seams)  # each found once, by the part that owns it
    duplicates = [f["line"] for f in by_code[DUPLICATE_RECORD.code] if f["line"]]
    assert max(duplicates) > seams[1]  # found in several parts
    assert len(by_code[UNDECLARED_CONTIG.code]) == 1  # chrX undeclared: once, though its records are in several parts


def test_a_seam_in_unsorted_records_sends_the_file_back_whole(run_cli, scheduler, tmp_path):
    """A record after a seam whose sorting depends on records before the seam: the merge cannot be exact, so the
    file is validated in one task, with the same report."""
    records = _records()
    probe = _write(tmp_path, "probe.vcf", records, index=False)
    seam = _seams(probe)[1]
    at = seam - len(HEADER) - 1
    chrom, pos, rest = records[at - 2].split("\t", 2)
    records[at - 2] = f"{chrom}\t{int(pos) + 5000}\t{rest}"  # higher than the two lines of the seam that follow
    path = _write(tmp_path, "unsorted.vcf", records, index=False)
    report = _dask_equals_local(run_cli, scheduler, path)
    assert UNSORTED.code in {f["code"] for f in report["findings"]}
    assert split.last_stats.part_tasks >= 4 and list(split.last_stats.validated_whole) == [str(path)]


def _interleaved(records: list[str]) -> list[str]:
    return [*records, records[5]]  # a chr1 record after chrX: the contig is met in the first and the last part


def _not_utf8(records: list[str]) -> list[str]:
    at = len(records) * 3 // 4
    return [*records[:at], records[at].replace("\t.\t", "\t\udcff\t", 1), *records[at + 1 :]]


@pytest.mark.parametrize("change", [_interleaved, _not_utf8], ids=["interleaved", "not utf-8"])
def test_what_parts_cannot_merge_exactly_is_validated_whole(run_cli, scheduler, tmp_path, change):
    plain = tmp_path / "calls.vcf"
    text = "\n".join([*HEADER, *change(_records())]) + "\n"
    plain.write_bytes(text.encode("utf-8", "surrogateescape"))
    pysam.tabix_compress(str(plain), f"{plain}.gz", force=True)
    path = Path(f"{plain}.gz")
    _dask_equals_local(run_cli, scheduler, path)
    assert split.last_stats.part_tasks >= 4 and list(split.last_stats.validated_whole) == [str(path)]


def test_small_files_and_the_local_executor_are_not_split(run_cli, scheduler, sorted_vcf, monkeypatch):
    monkeypatch.setenv(split.SPLIT_ENV, str(sorted_vcf.stat().st_size + 1))
    _dask_equals_local(run_cli, scheduler, sorted_vcf)
    assert split.last_stats.files_split == 0 and split.last_stats.part_tasks == 0


def test_plain_and_gzip_vcfs_have_no_split_points(tmp_path):
    plain = tmp_path / "calls.vcf"
    plain.write_text("\n".join([*HEADER, *_records()]) + "\n", encoding="utf-8")
    assert split_points(plain, 4) is None
    gzipped = tmp_path / "calls.vcf.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    assert split_points(gzipped, 4) is None


def test_the_merge_shifts_lines_caps_after_merging_and_checks_seams(sorted_vcf):
    parts = _parts(sorted_vcf)
    merged = merge_parts(str(sorted_vcf), parts)
    assert not isinstance(merged, str)
    assert sum(p.counts.get(QUAL.code, 0) for p in parts) == merged.findings.counts[QUAL.code]
    kept = [f for f in merged.findings.kept if f.code == QUAL.code]
    assert len(kept) == 20 and [f.location.line for f in kept] == sorted(f.location.line or 0 for f in kept)
    assert merged.chroms == ["chr1", "chr2", "chr3", "chrX"]
    genotypes = [f.location.line for f in merged.findings.kept if f.code == GENOTYPE_ALLELE.code]
    assert next(f.location.line for f in parts[1].kept if f.code == GENOTYPE_ALLELE.code) == 1  # the seam line
    assert parts[0].lines + 1 in genotypes and parts[0].lines in genotypes  # shifted past the first part's lines
    broken = [parts[0], PartResult(lines=1, start=("chr1", 1), end=("chr1", 2), chroms=["chr1"]), *parts[1:]]
    assert isinstance(merge_parts(str(sorted_vcf), broken), str)  # a seam whose state does not follow
    foreign = PartResult(lines=1, start=parts[-1].end, end=("chr1", 10**9), chroms=[parts[-1].chroms[-1], "chr1"])
    assert merge_parts(str(sorted_vcf), [*parts, foreign]) == "a contig appears in two parts"


def _h5ad(path: Path) -> Path:
    """4,000 cells x 200 genes: a CSR X with NaN in three rows and unsorted indices in two, far apart, and a dense
    counts layer with negative values in rows of several blocks."""
    import anndata
    import h5py
    import numpy as np
    import pandas as pd
    import scipy.sparse

    rng = np.random.default_rng(3)
    counts = rng.poisson(0.3, (4000, 200)).astype(np.float32)
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(4000)])
    var = pd.DataFrame(index=[f"gene{i}" for i in range(200)])
    matrix = scipy.sparse.csr_matrix(counts)
    anndata.AnnData(X=matrix, obs=obs, var=var, layers={"counts": counts.copy()}).write_h5ad(path)
    with h5py.File(path, "r+") as handle:
        indptr = handle["X/indptr"][:]
        data, indices = handle["X/data"], handle["X/indices"]
        for row in NAN_ROWS:
            data[indptr[row]] = np.nan
        for row in UNSORTED_ROWS:
            first, second = indices[indptr[row] : indptr[row] + 2]
            indices[indptr[row] : indptr[row] + 2] = [second, first]
        layer = handle["layers/counts"]
        for row in NEGATIVE_ROWS:
            layer[row, 0] = -1
    return path


NAN_ROWS, UNSORTED_ROWS, NEGATIVE_ROWS = (10, 1500, 3990), (100, 3000), (5, 1200, 2100, 3333)


def test_a_split_h5ad_reports_what_one_pass_reports(run_cli, scheduler, tmp_path):
    from validators.h5ad.rules import COUNTS, NON_FINITE, SPARSE_UNSORTED

    path = _h5ad(tmp_path / "cells.h5ad")
    report = _dask_equals_local(run_cli, scheduler, path)
    assert split.last_stats.files_split == 1 and split.last_stats.part_tasks == 2 * 2 * WORKERS  # X and the layer
    found = {(f["code"], f["pointer"]): f["params"] for f in report["findings"]}
    assert found[(NON_FINITE.code, "X")]["nan"] == len(NAN_ROWS)
    assert found[(SPARSE_UNSORTED.code, "X/indices")]["count"] == len(UNSORTED_ROWS)
    assert found[(COUNTS.code, "layers/counts")]["negative"] == len(NEGATIVE_ROWS)


def test_row_block_tallies_add_up_to_the_whole_matrix(tmp_path):
    import h5py

    from validators.h5ad.blocks import plan_blocks, tally_block
    from validators.h5ad.tally import Tally, sparse_tally

    path = _h5ad(tmp_path / "cells.h5ad")
    blocks = [b for b in plan_blocks(path, 5, min_bytes=1) if b.path == "X"]
    assert len(blocks) == 5 and blocks[0].start == 0 and blocks[-1].stop == 4000
    total = Tally()
    for block in blocks:
        total += tally_block(path, block)
    with h5py.File(path, "r") as handle:
        x = handle["X"]
        whole = sparse_tally(x["data"], x["indices"], x["indptr"], 200, 0, 4000, counts=True)
    assert total == whole and whole.unsorted == len(UNSORTED_ROWS) and whole.stats.nan == len(NAN_ROWS)
