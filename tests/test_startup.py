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


def test_validate_loads_neither_the_gate_nor_the_atlas_store_nor_the_polly_client(tmp_path):
    """Commands load on first use: a pre-commit run of `omix validate` does not pay for `omix add`."""
    from .conftest import FIXTURES

    target = FIXTURES / "data" / "positive" / "GSE300001_v12.gct"
    code = (
        "import sys, json; from omix_ingest.cli.main import main; "
        f"code = main(['validate', {str(target)!r}, '-q']); "
        "unwanted = ('omix_ingest.gate.ingestion', 'omix_ingest.atlas.store', 'omix_ingest.polly.client'); "
        "print(json.dumps([code, sorted(m for m in unwanted if m in sys.modules)]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [0, []]
