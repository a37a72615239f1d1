"""The repository must work from a fresh clone on a new machine: git may track no symlink (it would dangle there),
no submodule, and no file whose path leaves the repository."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import ROOT

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"


def _tracked_entries() -> list[tuple[str, str]]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode(
        "utf-8", "surrogateescape"
    )
    entries = []
    for record in out.split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            entries.append((meta.split()[0], path))
    return entries


def test_git_tracks_no_symlink_or_submodule():
    bad = [(mode, path) for mode, path in _tracked_entries() if mode in (SYMLINK_MODE, GITLINK_MODE)]
    assert bad == [], f"git tracks links that dangle on a fresh clone: {bad}"


def test_no_tracked_path_points_outside_the_repository():
    root = ROOT.resolve()
    outside = []
    for _, path in _tracked_entries():
        target = (ROOT / path).resolve()
        if not target.is_relative_to(root):
            outside.append(path)
    assert outside == []


def test_test_environments_live_in_an_ignored_folder():
    check = subprocess.run(
        ["git", "check-ignore", "-q", ".test-envs/polly-python-2.5.0/bin/python"], cwd=ROOT, check=False
    )
    assert check.returncode == 0, ".test-envs/ must be ignored by git"
