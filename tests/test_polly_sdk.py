"""The real, unmodified polly-python SDKs (2.5.0, and 0.3.2 whose docs this project follows), each in its own
virtual environment, against the emulator: template, add, update, move and delete must complete, with the
datasets really appearing and disappearing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omix_ingest.polly.emulator import EmulatorServer

from .conftest import ROOT, SINGLE_CELL, write_json
from .gate_helpers import bulk_doc, make_dataset

# Built by the tests on first use, in ignored folders inside the repository (never a link to elsewhere).
ENVS = ROOT / ".test-envs"
TOKEN = "sdk-token-0000"
# 0.3.2 pins requests 2.25.1, pandas 1.x and packages with no build for Python 3.11; the SDK and its own packages
# go in unmodified and without their pins, the libraries they import at versions that run on 3.11.
SDK_0_3_2_PACKAGES = ["polly-python==0.3.2", "polly-validator==0.0.2", "elucidatacmapPy==3.3.4"]
SDK_0_3_2_PACKAGES += ["elucidatacloudpathlib==0.6.6", "datapane==0.16.7"]
SDK_0_3_2_LIBRARIES = [
    "altair==6.3.0",
    "appdirs==1.4.4",
    "beautifulsoup4",
    "boltons",
    "boto3==1.44.8",
    "botocore==1.44.8",
    "cheroot",
    "click",
    "click-spinner",
    "cryptography",
    "dacite",
    "Deprecated",
    "dominate",
    "dulwich",
    "furl",
    "h5py",
    "importlib_resources",
    "Jinja2",
    "joblib",
    "lxml",
    "micawber",
    "mixpanel==4.10.0",
    "multimethod",
    "numpy==1.26.4",
    "pandas==2.0.3",
    "plotly",
    "posthog",
    "pronto",
    "pyarrow==16.1.0",
    "pydantic==1.10.27",
    "python-jose",
    "PyYAML",
    "rapidfuzz",
    "requests==2.31.0",
    "requests-toolbelt",
    "retrying",
    "rst2txt",
    "six",
    "tabulate",
    "tqdm",
]
SDKS = {
    "2.5.0": ([], ["polly-python==2.5.0", "pandas==2.0.3"]),  # the versions polly-wire.md was recorded with
    "0.3.2": (SDK_0_3_2_PACKAGES, SDK_0_3_2_LIBRARIES),
}


def _sdk_env(version: str) -> Path:
    """The SDK's virtual environment, built once (again when its recipe changes)."""
    venv = ENVS / f"polly-python-{version}"
    python = venv / "bin" / "python"
    unpinned, pinned = SDKS[version]
    recipe = " ".join([*unpinned, "|", *pinned])
    marker = venv / "installed.txt"
    if not marker.exists() or marker.read_text() != recipe:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if unpinned:
            subprocess.run([*pip, "--no-deps", *unpinned], check=True, timeout=900)
        subprocess.run([*pip, *pinned], check=True, timeout=900)
        marker.write_text(recipe)
    return python


@pytest.fixture(scope="module", params=sorted(SDKS), ids=lambda v: f"polly-python-{v}")
def sdk_python(request) -> Path:
    return _sdk_env(request.param)


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
