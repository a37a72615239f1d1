"""The hostile corpus (fixtures/hostile): every case, run as a real `omix validate` process under the runner's time
budget and address-space cap, must reach the ending it declares: a coded finding, one clear usage line, or (only
where the case says why) a clean pass. A hang, a kill, a traceback, OMX990, stray output or stray files fail."""

from __future__ import annotations

import json

import pytest

from fixtures.hostile.families import all_cases
from fixtures.hostile.generate import build, manifest
from fixtures.hostile.model import Case, Expect
from fixtures.hostile.runner import CORPUS, run_case

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_hostile_input_reaches_its_declared_ending(case, tmp_path):
    outcome = run_case(case, tmp_path)
    assert outcome.ok, f"{case.name} ({case.why}): ended {outcome.ending}: {outcome.detail}"


def test_the_committed_corpus_is_what_the_generator_writes(tmp_path):
    assert json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8")) == manifest(CASES)
    for case in CASES:
        if case.live:
            continue
        fresh = build(case, tmp_path)
        committed = CORPUS / case.name
        fresh_files = {p.relative_to(fresh): p.read_bytes() for p in fresh.rglob("*") if p.is_file()}
        committed_files = {p.relative_to(committed): p.read_bytes() for p in committed.rglob("*") if p.is_file()}
        assert fresh_files == committed_files, f"{case.name}: run python -m fixtures.hostile.generate"
        assert (tmp_path / f"{case.name}.args.json").read_text() == (CORPUS / f"{case.name}.args.json").read_text()


def test_the_runner_calls_a_broken_input_that_passes_a_defect(tmp_path):
    good = next(case for case in CASES if case.name == "metadata/latin1-encoded")

    def valid(folder):
        args = good.build(folder)
        path = next(folder.iterdir())
        text = path.read_bytes().decode("latin-1")
        path.write_text(text, encoding="utf-8")
        return args

    outcome = run_case(Case("metadata/claims-broken", valid, Expect.FINDING, "valid, said broken", live=True), tmp_path)
    assert (outcome.ending, outcome.ok) == ("clean", False)


def test_the_runner_stops_a_run_past_its_budget(tmp_path):
    fifo = next(case for case in CASES if case.name == "folders/fifo-named-json")
    outcome = run_case(fifo, tmp_path, budget=0.01)
    assert (outcome.ending, outcome.ok) == ("hang", False)
