"""Building dataset folders for gate tests: realistic metadata plus a small GCT that agrees with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import FIXTURES, good_doc, write_json

ATLAS = "example-single-cell"
TWO_SAMPLE_GCT = "#1.2\n2\t2\nName\tDescription\tS1\tS2\nTP53\tna\t1\t2\nEGFR\tna\t3\t4\n"
GCT = (FIXTURES / "data" / "positive" / "GSE300001_v12.gct").read_text(encoding="utf-8")  # 3 samples


def bulk_doc(name: str, **changes: Any) -> dict[str, Any]:
    doc = good_doc(name)
    doc.update(kw_data_type="Transcriptomics", total_num_samples=3)
    doc.pop("total_num_cells")
    doc.update(changes)
    return doc


def make_dataset(root: Path, name: str, *, gct: str = GCT, index: dict[str, Any] | None = None, **changes: Any) -> None:
    """Files `name.json` and `name.gct`; `changes` edit the metadata (dataset_id included)."""
    doc = bulk_doc(name, **changes)
    if index is not None:
        doc["__index__"]["validation_check"]["dataset"].update(index)
    write_json(root / "metadata" / f"{name}.json", doc)
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / f"{name}.gct").write_text(gct, encoding="utf-8")


def folders(root: Path) -> dict[str, str]:
    return {"metadata": str(root / "metadata"), "data": str(root / "data")}


def statuses(frame: Any) -> dict[str, str]:
    """dataset_id → status (the same for both files of a dataset, which the gate guarantees)."""
    seen: dict[str, set[str]] = {}
    for row in frame.itertuples(index=False):
        seen.setdefault(row.dataset_id, set()).add(row.status)
    assert all(len(s) == 1 for s in seen.values()), f"a dataset went in half: {seen}"
    return {k: next(iter(v)) for k, v in seen.items()}


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validate_as_the_gate(run_cli: Any, root: Path, report: Path, *extra: object) -> Any:
    """`omix validate --format json -o REPORT` over a dataset folder pair, configured as the gate validates (the
    atlas's templates and rule pack, each file's own scope): a report signed with the local key."""
    return run_cli(
        "validate",
        "--atlas",
        ATLAS,
        "--scope",
        "file",
        "--metadata",
        root / "metadata",
        "--data",
        root / "data",
        "--format",
        "json",
        "-o",
        report,
        *extra,
    )
