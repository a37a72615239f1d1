"""Where a benchmark leaves its figures for `bench/run_all.py`: one JSON line per measurement, appended to the
file $OMIX_BENCH_RESULTS names (nothing when it is not set, as when a benchmark is run on its own)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def record(bench: str, case: str, **figures: Any) -> None:
    target = os.environ.get("OMIX_BENCH_RESULTS")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"bench": bench, "case": case, **figures}) + "\n")
