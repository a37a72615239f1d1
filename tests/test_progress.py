"""The progress bar: drawn on a terminal for long runs, never under CI or pre-commit, never for short runs, and
never in what the command prints on stdout."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from omix_ingest.run import progress

from .conftest import SINGLE_CELL, good_doc, write_json


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i in range(progress.MIN_FILES + 20):
        write_json(tmp_path / "meta" / f"GSE{i}.json", good_doc(f"GSE{i}"))
    return tmp_path / "meta"


def run_on_a_terminal(args: list[str], env: dict[str, str], out: Path) -> tuple[int, str, str]:
    """Run omix with stderr on a pseudo-terminal (as a person's shell has it) and stdout to a file."""
    leader, follower = pty.openpty()
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "omix_ingest.cli", *args], stdout=stdout, stderr=follower, env=env
        )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=120)
    os.close(leader)
    return code, out.read_text(encoding="utf-8"), seen.decode("utf-8", "replace")


def test_a_long_run_on_a_terminal_shows_a_bar_on_stderr_only(folder):
    env = {k: v for k, v in os.environ.items() if k not in progress.QUIET_ENV}
    args = ["validate", "--template", str(SINGLE_CELL), "--format", "json", "-j", "1", str(folder)]
    code, out, terminal = run_on_a_terminal(args, env, folder.parent / "out.json")
    assert code == 0
    assert "checking files" in terminal and f"/{progress.MIN_FILES + 20}" in terminal
    assert json.loads(out)["stats"]["files"] == progress.MIN_FILES + 20  # stdout holds the report alone


@pytest.mark.parametrize("quiet", [{"CI": "true"}, {"PRE_COMMIT": "1"}])
def test_ci_and_pre_commit_get_no_bar(folder, quiet):
    env = {**{k: v for k, v in os.environ.items() if k not in progress.QUIET_ENV}, **quiet}
    args = ["validate", "--template", str(SINGLE_CELL), str(folder)]
    code, out, terminal = run_on_a_terminal(args, env, folder.parent / "out.txt")
    assert code == 0 and "checking files" not in terminal and out.startswith("passed")


def test_short_runs_and_redirected_stderr_get_no_bar(monkeypatch):
    for name in progress.QUIET_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert progress.wanted(progress.MIN_FILES) and not progress.wanted(progress.MIN_FILES - 1)
    assert not progress.wanted(10_000, enabled=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not progress.wanted(10_000)
