"""Diagnosis cost as findings and document size grow: it must be linear, not findings x document size.

Two series, each through the metadata validator (read, parse, check, locate every finding, cap repeats):
  * findings: a metadata file whose `tissue` holds N "nan" items (N findings of one code before the cap);
  * size: documents of about 1 KB, 100 KB and 1 MB (a long `description` array) with a few findings each.
For each it prints seconds and seconds per item; a linear cost keeps the per-item figure flat. Before the
pointer index, 1,000 "nan" items took 1.5 s, 10,000 took 90 s and 100,000 more than 10 minutes.

Usage: python bench/bench_diagnosis.py [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import record  # noqa: E402

TEMPLATE = ROOT / "fixtures" / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json"
BASE = json.loads((ROOT / "fixtures" / "metadata" / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))


def _time(path: Path, repeat: int) -> tuple[float, int]:
    from validators.core.model import Finding
    from validators.core.rulepack import load_rule_pack
    from validators.core.template import load_template
    from validators.metadata.validator import MetadataValidator
    from validators.registry import validation_context

    template = load_template(json.loads(TEMPLATE.read_text(encoding="utf-8")), name=TEMPLATE.name)
    pack = load_rule_pack(ROOT / "rules" / "packs" / "polly-default.yaml")
    times, count = [], 0
    for _ in range(repeat):
        ctx = validation_context(template, pack)
        start = time.perf_counter()
        found = [f for f in MetadataValidator().validate(path, ctx) if isinstance(f, Finding)]
        times.append(time.perf_counter() - start)
        count = len(found)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="omix-bench-diagnosis-"))
    rows = []
    for items in (1_000, 10_000, 100_000):
        doc = dict(BASE, dataset_id="GSE1_GPL1", tissue=["nan"] * items)
        path = folder / "GSE1_GPL1.json"
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        seconds, shown = _time(path, args.repeat)
        rows.append(("nan items", items, path.stat().st_size, seconds, seconds / items, shown))
    for target in (1_000, 100_000, 1_000_000):
        doc = dict(BASE, dataset_id="GSE1_GPL1", tissue=["nan", "liver "], total_num_samples="12")
        filler = max(0, (target - len(json.dumps(doc))) // 14)
        doc["description"] = ["a long text"] * filler
        path = folder / "GSE1_GPL1.json"
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        size = path.stat().st_size
        seconds, shown = _time(path, args.repeat)
        rows.append(("document bytes", size, size, seconds, seconds / size, shown))
    print(f"{'series':<15} {'n':>9} {'bytes':>10} {'seconds':>9} {'s per n':>10} {'findings shown':>15}")
    for series, n, size, seconds, per, shown in rows:
        record("diagnosis", f"{series} {n}", n=n, bytes=size, seconds=seconds, seconds_per_n=per)
        print(f"{series:<15} {n:>9} {size:>10} {seconds:>9.4f} {per:>10.2e} {shown:>15}")


if __name__ == "__main__":
    main()
