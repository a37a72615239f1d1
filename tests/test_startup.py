"""Start-up stays light: the CLI imports no heavy library until a command needs it (metadata validation of 10,000
files end to end depends on it; see bench/bench_metadata.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("requests", "numpy", "pandas", "h5py", "pysam", "anndata", "boto3", "jsonschema", "pandera", "scipy")


def test_cli_start_up_imports_no_heavy_library():
    code = (
        "import sys, json; import omix_ingest.cli.main; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(proc.stdout) == []
