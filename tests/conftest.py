from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from omix_ingest.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TEMPLATES = FIXTURES / "templates"
SINGLE_CELL = TEMPLATES / "single_cell_rnaseq_omixatlas.files.schema.json"
METADATA = FIXTURES / "metadata"
# Ontology indexes take half a minute to build and never change for one package version: every test (and both
# xdist workers, which take turns through a lock) shares one set in an ignored folder of the checkout.
ONTOLOGY_CACHE = ROOT / ".test-envs" / "ontologies"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path):
    """Run `omix ARGS` in-process from an empty working folder (no stray config) and capture its output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*args: str | Path) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def write_json(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def good_doc(dataset_id: str) -> dict:
    """A valid single-cell dataset document (the positive fixture), re-labelled."""
    doc = json.loads((METADATA / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))
    doc["dataset_id"] = dataset_id
    return doc


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory, monkeypatch):
    """Keep the signing key, the local atlas and caches out of the real user folders."""
    home = tmp_path_factory.mktemp("omix-home")
    monkeypatch.setenv("OMIX_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("OMIX_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("OMIX_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("OMIX_ONTOLOGY_DIR", str(ONTOLOGY_CACHE))
    monkeypatch.delenv("OMIX_DOCS_URL", raising=False)  # reports link to the default docs site unless a test says
    return home


# ---------------------------------------------------------------------------------------- the Polly emulator

POLLY_TOKEN = "tok-4242-very-secret-value"
FILES_SCHEMA = json.loads(SINGLE_CELL.read_text(encoding="utf-8"))
H5AD_SCHEMA = json.loads((TEMPLATES / "single_cell_rnaseq_omixatlas.h5ad_metadata.schema.json").read_text())
_repo_ids = itertools.count(1_700_000_000_100)


def new_repo_id() -> str:
    return str(next(_repo_ids))


@pytest.fixture(scope="module")
def emulator():
    """The Polly API emulator and its S3 server on loopback ports, one per test module."""
    from omix_ingest.polly.emulator import EmulatorServer

    with EmulatorServer(token=POLLY_TOKEN) as server:
        yield server


@pytest.fixture
def repo(emulator, monkeypatch):
    """A fresh atlas (repo id, name) on the emulator for each test; faults disarmed."""
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    with emulator.state.lock:
        emulator.state.faults.clear()
    repo_id = new_repo_id()
    emulator.add_repo(repo_id, f"atlas_{repo_id}", {"files": FILES_SCHEMA, "h5ad_metadata": H5AD_SCHEMA})
    return repo_id


@pytest.fixture
def polly(emulator, repo):
    """The Python API against the emulator."""
    from omix_ingest import OmixAtlas

    with OmixAtlas(backend="polly", base_url=emulator.url, s3_endpoint=emulator.s3_url) as client:
        client.backend.client.timeout = (4.0, 4.0)  # short, so that "slow" faults (6 s) are past it
        yield client
