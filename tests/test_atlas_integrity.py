"""The local atlas stays whole under SIGKILL with concurrent writers, and under a full disk.

A smaller run of bench/bench_kill9.py (the same driver, so the test and the figures check the same invariants):
eight runs with two and three real `omix` writers on one atlas, each killed at a random moment or at one of the
commit path's injected points (every point once), then the state as left, `omix status` against the atlas, the
state once recovered, and a re-run that finishes the job. The disk-full case needs a small filesystem (tmpfs or a
loop mount, so root); CI runs as root.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


def _bench() -> ModuleType:
    path = ROOT / "bench" / "bench_kill9.py"
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location("bench_kill9", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_kill9"] = module  # dataclasses look their module up while the class is made
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))


bench = _bench()
ROWS = 400  # small data files: the windows that matter are in the commit path, not in the copying


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return bench.Inputs.generate(tmp_path_factory.mktemp("kill9-inputs"), rows=ROWS)


def test_injected_points_are_the_ones_the_driver_sweeps():
    from omix_ingest.atlas.faults import POINTS

    # Runs 1, 2, 5, 6 and 9 are the first five injected runs: each point once, in order.
    injected = [r for r in range(12) if r % 4 in (1, 2)][: len(POINTS)]
    assert injected == [1, 2, 5, 6, 9]


@pytest.mark.parametrize(("writers", "runs"), [(2, (1, 2, 5, 6)), (3, (0, 3, 9, 4))])
def test_killed_writers_leave_every_dataset_fully_in_or_out(tmp_path, inputs, writers, runs):
    tally = bench.kill_series(tmp_path, inputs, writers, runs, seed=3)
    assert tally.failures == []
    assert tally.datasets_half == 0 and tally.datasets_duplicated == 0
    assert tally.status_disagreements == 0 and tally.rerun_failures == 0
    # Not every run ends in a kill: a random one may come after the end, and an injected point is never reached
    # by a writer whose racing partner committed the same datasets first. Half of them must be killed.
    assert tally.runs == len(runs) and tally.kills >= len(runs) // 2
    assert tally.datasets_in + tally.datasets_out > 0


@pytest.mark.skipif(os.geteuid() != 0, reason="a small filesystem needs root to mount (CI runs as root)")
def test_full_disk_refuses_whole_datasets_and_the_atlas_recovers(tmp_path, inputs):
    outcome = bench.disk_full_scenario(tmp_path, Path(inputs.root), sweep_kib=(0, 24, 64, 256))
    if outcome["method"].startswith("none"):
        pytest.skip("this machine mounts neither tmpfs nor a loop device")
    assert outcome["failures"] == []
    assert outcome["half"] == 0 and outcome["duplicated"] == 0
    assert outcome["datasets_before_full"] >= 1
    endings = outcome["endings"]
    assert endings.get("refused-disk-full", 0) + endings.get("error-disk-full", 0) >= 2  # the disk did fill
    assert outcome["refused_then_added"] >= 2  # and once space was freed, what was refused went in
