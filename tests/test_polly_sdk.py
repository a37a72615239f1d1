"""The real, unmodified polly-python 2.5.0 SDK, in its own virtual environment, against the emulator: template,
add, update, move and delete must complete, with the datasets really appearing and disappearing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omix_ingest.polly.emulator import EmulatorServer

from .conftest import ROOT, SINGLE_CELL, write_json
from .gate_helpers import bulk_doc, make_dataset

# Built by the test on first use, in an ignored folder inside the repository (never a link to elsewhere).
SDK_VENV = ROOT / ".test-envs" / "polly-python-2.5.0"
SDK_REQUIREMENTS = ["polly-python==2.5.0", "pandas==2.0.3"]  # the versions polly-wire.md was recorded with
TOKEN = "sdk-token-0000"


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    python = SDK_VENV / "bin" / "python"
    marker = SDK_VENV / "installed.txt"
    if not marker.exists() or marker.read_text() != " ".join(SDK_REQUIREMENTS):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SDK_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *SDK_REQUIREMENTS], check=True, timeout=900)
        marker.write_text(" ".join(SDK_REQUIREMENTS))
    return python


def test_unmodified_sdk_completes_every_ingestion_call(sdk_python, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", TOKEN)
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1")
    write_json(tmp_path / "update" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    write_json(tmp_path / "update" / "GSE2_GPL1.json", bulk_doc("GSE2_GPL1"))
    schema = json.loads(SINGLE_CELL.read_text(encoding="utf-8"))
    with EmulatorServer(token=TOKEN) as server:
        server.add_repo("1669887230485", "tenant_oa", {"files": schema})
        server.add_repo("1700000000001", "tenant_b", {"files": schema})
        proc = subprocess.run(
            [
                str(sdk_python),
                str(Path(__file__).parent / "sdk" / "driver.py"),
                server.url,
                server.s3_url,
                "1669887230485",
                "1700000000001",
                str(tmp_path / "data"),
                str(tmp_path / "metadata"),
                str(tmp_path / "update"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = {name: step["trace"] for name, step in steps.items() if not step["ok"]}
    assert not failed, failed

    template = steps["template"]["value"]
    assert template["organism"] == [] and template["__index__"]["row_metadata"] is False

    added = steps["add"]["value"]
    assert {r["File Name"] for r in added} == {"combined_metadata.json", "GSE1_GPL1.gct", "GSE2_GPL1.gct"}
    assert sorted(steps["add"]["state"]["1669887230485"]["files"]) == ["GSE1_GPL1.gct", "GSE2_GPL1.gct"]

    after_update = steps["update"]["state"]["1669887230485"]["files"]
    assert after_update["GSE1_GPL1.gct"]["metadata"]["description"] == "Revised"

    moved = steps["move"]["state"]
    assert sorted(moved["1700000000001"]["files"]) == ["GSE1_GPL1.gct"]
    assert sorted(moved["1669887230485"]["files"]) == ["GSE2_GPL1.gct"]

    assert steps["delete"]["state"]["1669887230485"]["files"] == {}
