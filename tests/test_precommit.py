"""The pre-commit hook as a user installs it: `pre-commit try-repo` builds the hook from this repository's
committed `.pre-commit-hooks.yaml` and runs it on a project that sets its template in `[tool.omix]`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import METADATA, ROOT, SINGLE_CELL

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def run(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_fails_broken_metadata_and_passes_good_metadata(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    shutil.copyfile(SINGLE_CELL, project / "schema.json")
    shutil.copyfile(
        METADATA / "negative" / "GSE100017_string_for_integer.json", project / "GSE100017_string_for_integer.json"
    )
    shutil.copyfile(METADATA / "positive" / "GSE200001_full.json", project / "GSE200001_full.json")
    (project / "pyproject.toml").write_text('[tool.omix]\ntemplate = "schema.json"\n', encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    home = tmp_path / "pre-commit-home"

    bad = run(
        "try-repo", str(ROOT), "omix-validate", "--files", "GSE100017_string_for_integer.json", cwd=project, home=home
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "OMX106" in bad.stdout and "Failed" in bad.stdout

    good = run("try-repo", str(ROOT), "omix-validate", "--files", "GSE200001_full.json", cwd=project, home=home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def _project(tmp_path: Path) -> Path:
    """A curator's repository: config, template, lock file, a good dataset pair, a pair whose counts disagree,
    and a broken metadata file; 20 files in all so that pre-commit would split them without require_serial."""
    import json

    from .conftest import FIXTURES

    project = tmp_path / "project"
    (project / "datasets").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    shutil.copyfile(SINGLE_CELL, project / "schema.json")
    (project / "pyproject.toml").write_text('[tool.omix]\ntemplate = "schema.json"\n', encoding="utf-8")
    (project / "omix.lock.json").write_text(json.dumps({"version": 1, "atlases": {}}), encoding="utf-8")
    good = json.loads((METADATA / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))
    h5ad = FIXTURES / "data" / "positive" / "GSE500001_sparse.h5ad"  # 50 cells
    for name, cells in (("GSE1_GPL1", 50), ("GSE2_GPL1", 999)):
        doc = dict(good, dataset_id=name, total_num_cells=cells)
        (project / "datasets" / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        shutil.copyfile(h5ad, project / "datasets" / f"{name}.h5ad")
    for number in range(3, 19):
        doc = dict(good, dataset_id=f"GSE{number}_GPL1")
        (project / "datasets" / f"GSE{number}_GPL1.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    return project


def test_the_hook_checks_datasets_only_pairs_them_and_prints_one_summary(tmp_path):
    project = _project(tmp_path)
    home = tmp_path / "pre-commit-home"
    result = run("try-repo", str(ROOT), "omix-validate", "--all-files", cwd=project, home=home)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert out.count("files checked") == 1  # one process, one summary
    assert "20 files checked, 1 failing" in out  # 18 metadata + 2 h5ad files; the schema and lock file left out
    assert "OMX610" in out and "GSE2_GPL1" in out  # 999 cells claimed for a 50-cell h5ad
    assert "OMX104" not in out  # the lock file is not validated as a dataset
    assert "2 skipped (not dataset files)" in out


def test_the_data_hook_and_the_metadata_hook_each_check_their_kind(tmp_path):
    project = _project(tmp_path)
    home = tmp_path / "pre-commit-home"
    data = run("try-repo", str(ROOT), "omix-validate-data", "--all-files", "--verbose", cwd=project, home=home)
    assert data.returncode == 0 and "2 files checked, 0 failing" in data.stdout, data.stdout + data.stderr
    metadata = run("try-repo", str(ROOT), "omix-validate-metadata", "--all-files", "--verbose", cwd=project, home=home)
    assert metadata.returncode == 0, metadata.stdout + metadata.stderr  # alone, GSE2's metadata is fine
    assert "18 files checked, 0 failing" in metadata.stdout and "2 skipped" in metadata.stdout
