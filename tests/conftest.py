from __future__ import annotations

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
    return home
