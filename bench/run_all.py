"""Every peer comparison in one run: runs each benchmark in a fresh process, collects its figures, prints one
table of measured ratios next to the issue's targets (met, or missed by how much), and saves the figures, the
machine, the versions and the exact commands as JSON under bench/results/.

polly-validator 0.0.2 is measured in the same run by bench_metadata.py, offline, in a venv of its own with
vocabularies seeded from the offline ontologies (bench/polly_validator_env.py); only when that venv cannot be
built is its figure the reference measured before (~110 files/s), and the table then says "reference, not run".

Usage: python bench/run_all.py [--quick]   (--quick: smaller inputs, for a smoke run; not the figures to quote)
"""

from __future__ import annotations

from typing import Any

from suite import Row, Table, by, command_line, verdict

FULL = {
    "metadata": ["bench_metadata.py", "--files", "10000", "--repeat", "3"],
    "metadata-warnings": ["bench_metadata.py", "--files", "10000", "--repeat", "3", "--warnings"],
    "diagnosis": ["bench_diagnosis.py"],
    "ontology": ["bench_ontology.py", "--files", "10000", "--repeat", "3"],
    "gct": ["bench_gct.py", "--rows", "20000", "--cols", "1000"],
    "vcf": ["bench_vcf.py", "--records", "1000000"],
    "h5ad": ["bench_h5ad.py", "--cells", "500000"],
    "gate": ["bench_gate.py", "--datasets", "1000"],
    "startup": ["bench_startup.py", "--repeat", "21"],
}
QUICK = {
    "metadata": ["bench_metadata.py", "--files", "1000", "--repeat", "1"],
    "metadata-warnings": ["bench_metadata.py", "--files", "1000", "--repeat", "1", "--warnings"],
    "diagnosis": ["bench_diagnosis.py", "--repeat", "1"],
    "ontology": ["bench_ontology.py", "--files", "1000", "--repeat", "1"],
    "gct": ["bench_gct.py", "--rows", "2000", "--cols", "200"],
    "vcf": ["bench_vcf.py", "--records", "100000"],
    "h5ad": ["bench_h5ad.py", "--cells", "20000", "--genes", "5000"],
    "gate": ["bench_gate.py", "--datasets", "100"],
    "startup": ["bench_startup.py", "--repeat", "5"],
}
VERSIONS = ("omix-ingest", "anndata", "h5py", "pysam", "cmapPy", "pandas", "jsonschema", "jsonschema-rs", "dask")


def _metadata_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for f in by(figures, "metadata"):
        vs_polly = f["omix_files_per_s"] / f["polly_validator_files_per_s"]
        vs_rs = f["omix_files_per_s"] / f["jsonschema_rs_files_per_s"]
        how = (
            f"measured in this run, {f['polly_validator_files']:,} files"
            if f.get("polly_validator_measured")
            else "reference, not run"
        )
        rows.append(
            (
                f"metadata {f['case']}: vs polly-validator ({how})",
                f"{f['omix_files_per_s']:,.0f} vs {f['polly_validator_files_per_s']:,.0f} files/s = {vs_polly:.0f}x",
                ">= 100x",
                verdict(vs_polly, 100),
            )
        )
        rows.append((f"metadata {f['case']}: vs jsonschema-rs (floor)", f"{vs_rs:.2f}x", "floor", "-"))
    return rows


def _gct_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for f in by(figures, "gct"):
        speed = f["cmapPy_seconds"] / f["omix_seconds"]
        rows.append(
            (f"GCT {f['rows']}x{f['cols']} {f['case']}: vs cmapPy.parse", f"{speed:.2f}x", ">= 4x", verdict(speed, 4))
        )
        rows.append(
            (
                f"GCT {f['case']}: omix peak RSS",
                f"{f['omix_peak_mib']:.0f} MiB",
                "<= 150 MiB",
                verdict(f["omix_peak_mib"], 150, higher_is_better=False),
            )
        )
        rows.append(
            (
                f"GCT {f['case']}: vs pandas.read_csv (floor)",
                f"{f['pandas_seconds'] / f['omix_seconds']:.2f}x",
                "floor",
                "-",
            )
        )
    return rows


def _vcf_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for f in by(figures, "vcf"):
        share = f["pysam_seconds"] / f["omix_seconds"]
        rows.append(
            (f"VCF {f['case']}: speed vs pysam touching every field", f"{share:.0%}", ">= 50%", verdict(share, 0.5))
        )
        if f.get("bcftools_seconds"):
            floor = f["bcftools_seconds"] / f["omix_seconds"]
            rows.append((f"VCF {f['case']}: vs bcftools view (floor)", f"{floor:.2f}x", "floor", "-"))
    return rows


def _h5ad_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    found = by(figures, "h5ad")
    for f in found:
        ratio = f["omix_seconds"] / f["anndata_seconds"]
        rows.append(
            (
                f"h5ad {f['case']}: time vs anndata.read_h5ad",
                f"{ratio:.2f}x",
                "<= 2x",
                verdict(ratio, 2, higher_is_better=False),
            )
        )
        if f.get("cellxgene_seconds"):
            speed = f["cellxgene_seconds"] / f["omix_seconds"]
            memory = f["cellxgene_peak_mib"] / f["omix_peak_mib"]
            rows.append(
                (
                    f"h5ad {f['case']}: vs cellxgene-schema validate",
                    f"{speed:.1f}x faster, {memory:.1f}x less memory",
                    "reported",
                    "-",
                )
            )
    if len(found) >= 2:
        growth = found[-1]["omix_peak_mib"] / found[0]["omix_peak_mib"]
        cells = found[-1]["cells"] / found[0]["cells"]
        rows.append(
            (
                f"h5ad peak RSS growth for {cells:.0f}x the cells",
                f"{growth:.2f}x",
                "flat (<= 1.25x)",
                verdict(growth, 1.25, higher_is_better=False),
            )
        )
    return rows


def _other_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for f in by(figures, "gate"):
        overhead = f["add_seconds"] - f["validate_seconds"]
        rows.append(
            (
                f"gate overhead, {f['case']}",
                f"{overhead:.2f} s ({overhead / f['validate_seconds']:.0%} of validation)",
                "reported",
                "-",
            )
        )
    for f in by(figures, "ontology"):
        share = f["on_files_per_s"] / f["off_files_per_s"]
        rows.append(("ontology checks: throughput vs off", f"{share:.0%}", ">= 80%", verdict(share, 0.8)))
        rows.append(
            (
                "ontology checks: warm 20-file run",
                f"{f['warm_20_on_seconds']:.3f} s",
                "< 0.5 s",
                verdict(f["warm_20_on_seconds"], 0.5, higher_is_better=False),
            )
        )
    for f in by(figures, "startup"):
        seconds = f["20_files_seconds"]
        rows.append(
            (
                "pre-commit run on 20 metadata files (median)",
                f"{seconds:.3f} s",
                "< 0.3 s",
                verdict(seconds, 0.3, higher_is_better=False),
            )
        )
    diagnosis = by(figures, "diagnosis")
    if diagnosis:
        per = [f["seconds_per_n"] for f in diagnosis if f["case"].startswith("findings")]
        if len(per) >= 2:
            rows.append(
                ("diagnosis: cost per finding, largest vs smallest", f"{per[-1] / per[0]:.2f}x", "flat (linear)", "-")
            )
    return rows


TABLES: list[Table] = [
    _metadata_rows,
    _gct_rows,
    _vcf_rows,
    _h5ad_rows,
    _other_rows,
]


def main() -> None:
    command_line("peers", FULL, QUICK, TABLES, VERSIONS)


if __name__ == "__main__":
    main()
