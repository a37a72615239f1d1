"""Start-up stays light: the CLI imports no heavy library until a command needs it (metadata validation of 10,000
files end to end depends on it; see bench/bench_metadata.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("requests", "numpy", "pandas", "h5py", "pysam", "anndata", "boto3", "jsonschema", "pandera", "scipy")


def test_cli_start_up_imports_no_heavy_library():
    code = (
        "import sys, json; import omix_ingest.cli.main, omix_ingest.cli.validate_cmd; "
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


def test_a_metadata_only_hook_run_loads_no_data_file_library(tmp_path):
    """The pre-commit hook on staged metadata files (one of them broken, so the detailed diagnosis runs too) never
    imports the libraries that only h5ad, GCTX and VCF files need, nor those of the Polly backend."""
    from .conftest import METADATA, SINGLE_CELL

    staged = [METADATA / "positive" / "GSE200001_full.json", METADATA / "negative" / "GSE100001_trailing_comma.json"]
    not_needed = ("h5py", "pysam", "anndata", "pandas", "numpy", "pandera", "requests", "boto3", "rich")
    code = (
        "import sys, json; from omix_ingest.cli.main import main; "
        f"code = main(['validate', '--hook', '--template', {str(SINGLE_CELL)!r}, '-q', "
        f"'--format', 'json', '-o', 'report.json', *{[str(p) for p in staged]!r}]); "
        f"print(json.dumps([code, sorted(m for m in {not_needed!r} if m in sys.modules)]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120, cwd=tmp_path
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [1, []]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["stats"]["files_failed"] == 1  # the broken file was checked, not skipped


def test_the_console_script_resumes_garbage_collection_once_the_command_is_loaded(tmp_path):
    """Collection is paused only while code loads: the command runs (and a usage error ends) with it on."""
    from .conftest import METADATA, SINGLE_CELL

    target = METADATA / "positive" / "GSE200001_full.json"
    code = (
        "import gc, json; from omix_ingest.cli import main as cli; "
        "cli._pause_collector(); "
        f"code = cli.main(['validate', '--template', {str(SINGLE_CELL)!r}, '-q', {str(target)!r}]); "
        "ran = [code, gc.isenabled(), gc.get_freeze_count() > 0]; "
        "cli._pause_collector(); code = cli.main(['no-such-command']); "
        "print(json.dumps([ran, [code, gc.isenabled()]]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120, cwd=tmp_path
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [[0, True, True], [2, True]]


def test_calling_main_leaves_the_callers_collector_setting_alone(run_cli):
    import gc

    gc.disable()
    try:
        assert run_cli("--version").code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
