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
