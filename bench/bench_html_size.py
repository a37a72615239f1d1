"""Size of the HTML report for 10,000 files, next to the JSON report (which the old HTML report embedded whole)
and the Markdown report, measured on the same report.

The report is made by validating real fixtures once and repeating their file reports under new dataset ids, so
the findings, facts and messages are what the validators write:
  * examples: fixtures/examples (7 datasets, metadata + h5ad/GCT/VCF; 3 broken), repeated to N files;
  * repeated: every metadata file has the 7 findings of GSE100053_many_problems (a batch made by one broken
    script), each paired with a clean h5ad: many repeated findings, the case grouping is for.
Prints bytes per file and per finding, the ratio to the JSON report, the gzip size, and the render time.

Usage: python bench/bench_html_size.py [--files N]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omix_ingest.api import validate_datasets  # noqa: E402
from omix_ingest.report.model import FileReport, Report  # noqa: E402
from omix_ingest.report.reporters.html import HtmlReporter  # noqa: E402
from omix_ingest.report.reporters.json_report import JsonReporter  # noqa: E402
from omix_ingest.report.reporters.markdown import MarkdownReporter  # noqa: E402

TEMPLATE = ROOT / "fixtures" / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json"
EXAMPLES = ROOT / "fixtures" / "examples"
MANY = ROOT / "fixtures" / "metadata" / "negative" / "GSE100053_many_problems.json"
CLEAN_H5AD = EXAMPLES / "data" / "GSE140819_GPL24676.h5ad"


def renamed(file: FileReport, old: str, new: str) -> FileReport:
    """`file` as if its dataset were called `new`: path, findings and facts follow."""
    path = file.path.replace(old, new)
    facts = dict(file.facts)
    if "dataset_id" in facts:
        facts["dataset_id"] = new
    return replace(file, path=path, facts=facts, findings=tuple(replace(f, file=path) for f in file.findings))


def repeated(template: list[tuple[str, list[FileReport]]], files: int, base: Report) -> Report:
    """Datasets from `template` (dataset id, its file reports), cycled under fresh ids until `files` files."""
    out: list[FileReport] = []
    n = 0
    while len(out) < files:
        old, reports = template[n % len(template)]
        new = f"GSE{300000 + n}_GPL{old.rsplit('_GPL', 1)[-1] if '_GPL' in old else '0'}"
        out += [renamed(r, old, new) for r in reports]
        n += 1
    return replace(base, files=tuple(out[:files]))


def by_dataset(report: Report) -> list[tuple[str, list[FileReport]]]:
    from validators.core.naming import dataset_id_of

    groups: dict[str, list[FileReport]] = {}
    for file in report.files:
        groups.setdefault(dataset_id_of(Path(file.path).name), []).append(file)
    return list(groups.items())


def scenario_examples(files: int) -> Report:
    base = validate_datasets(TEMPLATE, {"metadata": EXAMPLES / "metadata", "data": EXAMPLES / "data"}, jobs=1)
    return repeated(by_dataset(base), files, base)


def scenario_repeated(files: int, work: Path) -> Report:
    (work / "metadata").mkdir(parents=True, exist_ok=True)
    (work / "data").mkdir(exist_ok=True)
    dataset = "GSE100053_GPL570"
    (work / "metadata" / f"{dataset}.json").write_bytes(
        MANY.read_bytes().replace(b"GSE100053_many_problems", dataset.encode())
    )
    (work / "data" / f"{dataset}.h5ad").write_bytes(CLEAN_H5AD.read_bytes())
    base = validate_datasets(TEMPLATE, {"metadata": work / "metadata", "data": work / "data"}, jobs=1)
    return repeated(by_dataset(base), files, base)


def measure(name: str, report: Report) -> None:
    findings = sum(len(f.findings) for f in report.files)
    started = time.perf_counter()
    page = HtmlReporter().render(report).encode()
    seconds = time.perf_counter() - started
    json_size = len(JsonReporter().render(report).encode())
    markdown_size = len(MarkdownReporter().render(report).encode())
    packed = len(gzip.compress(page, 6))
    print(
        f"{name:<9} {len(report.files):>6} files {findings:>6} findings | html {len(page) / 1e6:6.2f} MB "
        f"({len(page) / len(report.files):5.0f} B/file, {len(page) / max(findings, 1):5.0f} B/finding), "
        f"gzip {packed / 1e6:5.2f} MB | json {json_size / 1e6:6.2f} MB (html/json {len(page) / json_size:4.2f}) | "
        f"markdown {markdown_size / 1e6:5.2f} MB | render {seconds:4.1f} s"
    )


def marginal(report_for: Callable[[int], Report], small: int, large: int) -> None:
    """Bytes each extra file (with its findings) adds: the slope, not the average."""
    sizes = [len(HtmlReporter().render(report_for(n)).encode()) for n in (small, large)]
    print(f"  marginal: {(sizes[1] - sizes[0]) / (large - small):.0f} B per extra file ({small} -> {large} files)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omix-html-bench-") as tmp:
        examples = scenario_examples(args.files)
        measure("examples", examples)
        marginal(lambda n: replace(examples, files=examples.files[:n]), args.files // 2, args.files)
        many = scenario_repeated(args.files, Path(tmp))
        measure("repeated", many)
        marginal(lambda n: replace(many, files=many.files[:n]), args.files // 2, args.files)


if __name__ == "__main__":
    main()
