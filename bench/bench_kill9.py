"""The local atlas under SIGKILL, concurrent writers and a full disk: integrity after every run.

Each run starts one, two or three real `omix add` / `omix update` processes on the same fresh atlas (two of them on
the same datasets, racing) and kills one or more with SIGKILL: at a random moment, or at a named point of the
commit path (`OMIX_CRASH_AT`, omix_ingest/atlas/faults.py), the points taken in turn. Then, with no writer left:
  * the state as the kill left it: SQLite's integrity check, every referenced object present with its sha256,
    nothing but complete objects in `objects/`, no dataset twice, and every dataset fully in (a row whose files are
    exactly a pair some writer submitted) or fully out (no row);
  * `omix status` (a real process, which is also the first to open the atlas again): no run left "running", a
    killed run shown as interrupted with what of it is in the atlas, a finished run's events equal to the rows it
    committed; afterwards no orphan object, staging area or stray file;
  * a re-run of each killed command finishes the job (exit 0, or add's "already in the atlas" for datasets the
    racing writer stored), and the atlas is still sound.
The disk-full case puts the data directory on a 2 MiB tmpfs (a loop-mounted ext4 image if tmpfs cannot be mounted;
where neither can, as without root, it is skipped and says so: a per-file RLIMIT_FSIZE is not a full disk) and
ingests until the disk is full, then at a sweep of free-space levels; the dataset
that does not fit must be refused with a clear message, nothing half in, the others intact, and the atlas usable
once space is freed.

Usage: python bench/bench_kill9.py [--runs 50] [--writers 1,2,3] [--seed N] [--no-disk-full]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

from omix_ingest.atlas.faults import CRASH_ENV, POINTS  # noqa: E402
from omix_ingest.atlas.integrity import problems, referenced_objects, stored_objects  # noqa: E402

ATLAS = "example-single-cell"
BASE = json.loads((ROOT / "fixtures" / "metadata" / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))
COMMAND = [sys.executable, "-m", "omix_ingest.cli"]
ALREADY_IN = "already in the atlas"
# Ontology indexes take a minute to build: shared by every run (the test suite's set, where it exists).
ONTOLOGIES = Path(os.environ.get("OMIX_ONTOLOGY_DIR", ROOT / ".test-envs" / "ontologies"))
SHARED, OWN, DATASETS, ROWS = "GSE", "GSM", 6, 3000


# ------------------------------------------------------------------------------------------------- inputs


def write_version(folder: Path, prefix: str, version: int, count: int = DATASETS, rows: int = ROWS) -> None:
    """`count` datasets `<prefix><i>_GPL1`: version 1 is what `add` brings, later ones change metadata and data."""
    (folder / "metadata").mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        dataset_id = f"{prefix}{i}_GPL1"
        doc = dict(BASE, dataset_id=dataset_id, kw_data_type="Transcriptomics", total_num_samples=3)
        doc.pop("total_num_cells")
        doc["description"] = f"{BASE.get('description', '')} (version {version})"
        (folder / "metadata" / f"{dataset_id}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        body = "".join(f"{prefix}{i}G{j}\tna\t{(j + version) % 7}.5\t{j % 5}\t{j % 3}\n" for j in range(rows))
        gct = f"#1.2\n{rows}\t3\nName\tDescription\tS1\tS2\tS3\n{body}"
        (folder / "data" / f"{dataset_id}.gct").write_text(gct, encoding="utf-8")


def pairs(folder: Path) -> dict[str, tuple[str, str]]:
    """dataset_id → (metadata sha256, data sha256) of a version folder: what fully in means."""
    out = {}
    for meta in sorted((folder / "metadata").iterdir()):
        dataset_id = meta.stem
        data = folder / "data" / f"{dataset_id}.gct"
        out[dataset_id] = (hashlib.sha256(meta.read_bytes()).hexdigest(), hashlib.sha256(data.read_bytes()).hexdigest())
    return out


@dataclass
class Inputs:
    root: Path
    folders: dict[str, Path] = field(default_factory=dict)  # "GSE/1" → folder
    submitted: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # dataset_id → every pair submitted

    @classmethod
    def generate(cls, root: Path, versions: int = 4, rows: int = ROWS) -> Inputs:
        inputs = cls(root)
        for prefix in (SHARED, OWN):
            for version in range(1, versions + 1):
                folder = root / f"{prefix}-v{version}"
                write_version(folder, prefix, version, rows=rows)
                inputs.folders[f"{prefix}/{version}"] = folder
                for dataset_id, pair in pairs(folder).items():
                    inputs.submitted.setdefault(dataset_id, set()).add(pair)
        return inputs


# ------------------------------------------------------------------------------------------------ one run


def environment(work: Path, crash: str | None = None, data: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, OMIX_DATA_DIR=str(data or work / "atlas"), OMIX_CONFIG_DIR=str(work / "config"))
    env.update(OMIX_CACHE_DIR=str(work / "cache"), OMIX_ONTOLOGY_DIR=str(ONTOLOGIES), NO_COLOR="1")
    env.pop(CRASH_ENV, None)
    if crash:
        env[CRASH_ENV] = crash
    return env


def omix_args(mode: str, folder: Path) -> list[str]:
    return [mode, "--atlas", ATLAS, "--metadata", str(folder / "metadata"), "--data", str(folder / "data")]


def run_omix(
    work: Path, args: list[str], timeout: float = 300, data: Path | None = None
) -> subprocess.CompletedProcess[str]:
    jobs = ["-j", "1"] if args[0] in ("add", "update") else []
    return subprocess.run(
        [*COMMAND, *args, "--format", "json", *jobs],
        env=environment(work, data=data),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Writer:
    mode: str
    folder: Path
    prefix: str
    crash: str | None = None  # an injected point
    kill_after: float | None = None  # seconds
    process: subprocess.Popen[str] | None = None
    killed: bool = False
    out: str = ""

    def args(self) -> list[str]:
        return omix_args(self.mode, self.folder)


def plan_writers(inputs: Inputs, count: int, run: int, rng: random.Random, span: float) -> list[Writer]:
    """Writers 1 and 2 work on the same datasets (a race), writer 3 on its own. Even runs add, odd runs update
    what a setup run added. One writer in each run is the victim: a random kill, or an injected point in turn;
    in random-kill runs every other writer is killed at a random moment too, with even odds."""
    mode = "add" if run % 2 == 0 else "update"
    specs = [(SHARED, 1 if mode == "add" else 2), (SHARED, 1 if mode == "add" else 3), (OWN, 1 if mode == "add" else 2)]
    writers = [Writer(mode, inputs.folders[f"{p}/{v}"], p) for p, v in specs[:count]]
    victim = rng.randrange(count)
    if run % 4 in (1, 2):  # half the runs, adds and updates alike; the points taken in turn
        point = POINTS[((run // 4) * 2 + run % 4 - 1) % len(POINTS)]
        nth = {"partial": rng.randint(1, DATASETS), "staged": rng.randint(1, 2 * DATASETS)}.get(point, 1)
        writers[victim].crash = f"{point}:{nth}"
    else:
        for i, writer in enumerate(writers):
            if i == victim or rng.random() < 0.5:
                writer.kill_after = rng.uniform(0.0, span)
    return writers


@dataclass
class Tally:
    runs: int = 0
    killed_runs: int = 0
    kills: int = 0
    integrity_failures: int = 0
    datasets_in: int = 0
    datasets_out: int = 0
    datasets_half: int = 0
    datasets_duplicated: int = 0
    status_disagreements: int = 0
    rerun_failures: int = 0
    orphans_before_recovery: int = 0
    abandoned_areas_before_recovery: int = 0
    points_hit: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def execute(work: Path, writers: list[Writer]) -> None:
    start = time.monotonic()
    for writer in writers:
        writer.process = subprocess.Popen(
            [*COMMAND, *writer.args(), "--format", "json", "-j", "1"],
            env=environment(work, writer.crash),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    pending = sorted((w for w in writers if w.kill_after is not None), key=lambda w: w.kill_after or 0.0)
    for writer in pending:
        assert writer.process is not None and writer.kill_after is not None
        time.sleep(max(0.0, start + writer.kill_after - time.monotonic()))
        if writer.process.poll() is None:
            writer.process.send_signal(signal.SIGKILL)
    for writer in writers:
        assert writer.process is not None
        writer.out, _ = writer.process.communicate(timeout=300)
        writer.killed = writer.process.returncode == -signal.SIGKILL


def classify(root: Path, inputs: Inputs, ids: set[str], tally: Tally, label: str) -> None:
    """Each dataset fully in (a submitted pair, files checked by `problems`) or fully out; none twice."""
    db = sqlite3.connect(root / "atlas.sqlite3", timeout=120)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'dataset_versions'").fetchone():
            tally.datasets_out += len(ids)  # killed while the database was being created
            return
        rows = db.execute("SELECT dataset_id, metadata_sha256, data_sha256 FROM datasets WHERE atlas = ?", (ATLAS,))
        seen = Counter[str]()
        for dataset_id, meta, data in rows:
            seen[dataset_id] += 1
            if (meta, data) in inputs.submitted.get(dataset_id, set()):
                tally.datasets_in += 1
            else:
                tally.datasets_half += 1
                tally.failures.append(f"{label}: {dataset_id} is in with files no writer submitted together")
        tally.datasets_duplicated += sum(n - 1 for n in seen.values() if n > 1)
        tally.datasets_out += len(ids - set(seen))
        objects, _ = stored_objects(root / "objects")
        tally.orphans_before_recovery += len(set(objects) - referenced_objects(db))
    finally:
        db.close()
    staging = root / "staging"
    tally.abandoned_areas_before_recovery += len(list(staging.glob("*.lock"))) if staging.is_dir() else 0


def committed_by_run(root: Path) -> dict[int, set[str]]:
    db = sqlite3.connect(root / "atlas.sqlite3", timeout=120)
    try:
        found: dict[int, set[str]] = {}
        for run_id, dataset_id in db.execute("SELECT run_id, dataset_id FROM dataset_versions"):
            found.setdefault(run_id, set()).add(dataset_id)
        return found
    finally:
        db.close()


def ingested_rows(out: str) -> set[str]:
    return {r["dataset_id"] for r in json.loads(out)["rows"] if r["status"] == "ingested"}


def check_status(work: Path, writers: list[Writer], tally: Tally, label: str) -> None:
    """`omix status` agrees with the atlas: killed runs interrupted, finished runs' events = their commits."""
    shown = run_omix(work, ["status", "--limit", "50"])
    if shown.returncode != 0:
        tally.failures.append(f"{label}: omix status exited {shown.returncode}: {shown.stderr.strip()[-300:]}")
        tally.status_disagreements += 1
        return
    committed = committed_by_run(work / "atlas")
    pids = {w.process.pid: w for w in writers if w.process is not None}
    for run in json.loads(shown.stdout):
        writer = pids.get(run["pid"])
        ids = committed.get(run["id"], set())
        wrong = None
        if run["status"] == "running":
            wrong = "is still shown as running"
        elif writer is not None and run["status"] == "interrupted":
            expected = f"after committing {len(ids)} " if ids else "before committing"
            if not writer.killed or expected not in (run["summary"] or ""):
                wrong = f"shows interrupted: {run['summary']!r} ({len(ids)} committed, killed: {writer.killed})"
        elif writer is not None:  # finished (a kill may still have come after its end was recorded)
            events = {e["dataset_id"] for e in run["events"] if e["status"] == "ingested"}
            reported = events if writer.killed else ingested_rows(writer.out)
            if not events == reported == ids:
                wrong = f"events {sorted(events)}, output {sorted(reported)}, committed {sorted(ids)}"
        if wrong:
            tally.status_disagreements += 1
            tally.failures.append(f"{label}: run {run['id']} ({run['action']}) {wrong}")


def rerun(work: Path, inputs: Inputs, writers: list[Writer], tally: Tally, label: str) -> None:
    """Each killed command again, unkilled: it finishes the job."""
    for writer in (w for w in writers if w.killed):
        done = run_omix(work, writer.args())
        body = json.loads(done.stdout) if done.stdout.strip() else {"rows": []}
        refused = [r for r in body["rows"] if r["status"] != "ingested" and r["status"] != "unchanged"]
        if done.returncode not in (0, 1) or any(ALREADY_IN not in r["reason"] for r in refused):
            tally.rerun_failures += 1
            tally.failures.append(f"{label}: re-run of {writer.mode} exited {done.returncode}: {refused[:2]}")
            continue
        want = pairs(writer.folder)
        db = sqlite3.connect(work / "atlas" / "atlas.sqlite3", timeout=120)
        try:
            have = {
                r[0]: (r[1], r[2]) for r in db.execute("SELECT dataset_id, metadata_sha256, data_sha256 FROM datasets")
            }
        finally:
            db.close()
        if any(have.get(dataset_id) != pair for dataset_id, pair in want.items()):
            tally.rerun_failures += 1
            tally.failures.append(f"{label}: after the re-run of {writer.mode} its datasets are not all in as given")


def one_run(base: Path, inputs: Inputs, count: int, run: int, rng: random.Random, span: float, tally: Tally) -> None:
    work = base / f"w{count}-r{run}"
    label = f"writers={count} run={run}"
    writers = plan_writers(inputs, count, run, rng, span)
    if writers[0].mode == "update":
        for prefix in (SHARED, OWN):
            setup = run_omix(work, omix_args("add", inputs.folders[f"{prefix}/1"]))
            if setup.returncode != 0:
                raise SystemExit(f"{label}: setup add failed: {setup.stderr[-500:]}")
    execute(work, writers)
    tally.runs += 1
    kills = sum(w.killed for w in writers)
    tally.kills += kills
    tally.killed_runs += kills > 0
    tally.points_hit.update(w.crash.split(":")[0] for w in writers if w.killed and w.crash)
    before = len(tally.failures)
    root = work / "atlas"
    if (root / "atlas.sqlite3").exists():
        tally.failures += [f"{label} (as killed): {p}" for p in problems(root, settled=False)]
        ids = {d for w in writers for d in pairs(w.folder)}
        classify(root, inputs, ids, tally, label)
        check_status(work, writers, tally, label)
        tally.failures += [f"{label} (recovered): {p}" for p in problems(root)]
        rerun(work, inputs, writers, tally, label)
        tally.failures += [f"{label} (after re-run): {p}" for p in problems(root)]
    tally.integrity_failures += len(tally.failures) > before
    shutil.rmtree(work, ignore_errors=True)


def calibrate(base: Path, inputs: Inputs, count: int) -> float:
    """How long `count` unkilled writers take: random kills land anywhere from start to a little past that."""
    work = base / f"calibrate-{count}"
    writers = [Writer("add", inputs.folders[f"{p}/1"], p) for p in (SHARED, SHARED, OWN)[:count]]
    start = time.monotonic()
    execute(work, writers)
    shutil.rmtree(work, ignore_errors=True)
    return (time.monotonic() - start) * 1.2


def kill_series(base: Path, inputs: Inputs, count: int, runs: Iterable[int], seed: int) -> Tally:
    """The runs numbered `runs` (the number picks add or update and the kill, see `plan_writers`)."""
    rng = random.Random(seed * 10 + count)
    span = calibrate(base, inputs, count)
    tally = Tally()
    for run in runs:
        one_run(base, inputs, count, run, rng, span, tally)
    return tally


# ------------------------------------------------------------------------------------------------ disk full

FILL_ROWS, SWEEP_ROWS = 9000, 2000
SWEEP_KIB = (0, 4, 8, 12, 16, 24, 32, 40, 48, 64, 96, 128)
RESERVE_KIB = 1024
DISK_WORDS = ("full", "No space left")


@contextlib.contextmanager
def small_filesystem(folder: Path, kib: int = 2048) -> Iterator[str]:
    """A filesystem of `kib` KiB at `folder`: tmpfs, else a loop-mounted ext4 image; "none" when neither mounts."""
    folder.mkdir(parents=True)
    mounted = None
    if os.geteuid() == 0:
        tmpfs = ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder)]
        if subprocess.run(tmpfs, capture_output=True, check=False).returncode == 0:
            mounted = "tmpfs"
        else:
            image = folder.parent / "small.img"
            with image.open("wb") as handle:
                handle.truncate(kib * 1024)
            made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, check=False)
            loop = ["mount", "-o", "loop", str(image), str(folder)]
            if made.returncode == 0 and subprocess.run(loop, capture_output=True, check=False).returncode == 0:
                mounted = "loop-mounted ext4 image"
    try:
        yield mounted or "none"
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def fill_to(filler: Path, free_kib: int) -> None:
    """Leave about `free_kib` KiB free on the filesystem holding `filler`."""
    filler.unlink(missing_ok=True)
    spare = shutil.disk_usage(filler.parent).free - free_kib * 1024
    with filler.open("wb") as handle:
        while spare > 0:
            try:
                handle.write(b"\0" * min(spare, 1 << 16))
            except OSError:
                break
            spare -= 1 << 16


def ending(done: subprocess.CompletedProcess[str]) -> str:
    """ingested / refused-disk-full / error-disk-full, or what else happened (a defect)."""
    if done.returncode == 0:
        return "ingested"
    if done.returncode == 1 and done.stdout.strip():
        reasons = {r["reason"] for r in json.loads(done.stdout)["rows"]}
        return "refused-disk-full" if all(any(w in r for w in DISK_WORDS) for r in reasons) else f"refused: {reasons}"
    last = done.stderr.strip().splitlines()[-1:] or [""]
    if done.returncode == 2 and last[0].startswith("omix: error:") and any(w in last[0] for w in DISK_WORDS):
        return "error-disk-full"
    return f"exit {done.returncode}: {done.stderr.strip()[-300:]}"


def disk_full_scenario(base: Path, inputs_root: Path, sweep_kib: tuple[int, ...] = SWEEP_KIB) -> dict[str, Any]:
    """Ingest into a 2 MiB atlas until the disk is full, then at a sweep of free-space levels; free the space
    and ingest what was refused. Each step ends fully in or fully out, with a message that names the full disk."""
    failures: list[str] = []
    endings: Counter[str] = Counter()
    small = base / "small"
    with small_filesystem(small) as method:
        if method == "none":
            return {"method": "none: no tmpfs or loop mount here (needs root)", "failures": []}
        data = small / "atlas"
        tally = Tally()
        refused: list[Path] = []
        filled = 0
        reserve = small / "reserve"  # freed once the disk has filled: the space the sweep and the re-adds use
        reserve.write_bytes(b"\0" * RESERVE_KIB * 1024)
        for i in range(30):
            folder = inputs_root / f"fill-{i}"
            write_version(folder, f"GSF{i}x", 1, count=1, rows=FILL_ROWS)
            done = run_omix(base, omix_args("add", folder), data=data)
            endings[ending(done)] += 1
            if done.returncode != 0:
                refused.append(folder)
                break
            filled += 1
        status_when_full = run_omix(base, ["status"], data=data).returncode
        reserve.unlink()
        filler = small / "filler"
        sweep: list[str] = []
        for j, free in enumerate(sweep_kib):
            folder = inputs_root / f"sweep-{j}"
            write_version(folder, f"GSW{j}x", 1, count=1, rows=SWEEP_ROWS)
            fill_to(filler, free)
            done = run_omix(base, omix_args("add", folder), data=data)
            endings[ending(done)] += 1
            sweep.append(f"{free} KiB: {ending(done)}")
            if done.returncode != 0:
                refused.append(folder)
            filler.unlink()
            failures += [f"sweep {free} KiB free (as left): {p}" for p in problems(data, settled=False)]
            run_omix(base, ["status"], data=data)  # the next process to open the atlas recovers it
            failures += [f"sweep {free} KiB free (recovered): {p}" for p in problems(data)]
        ids = {f"GSF{i}x0_GPL1" for i in range(filled + 1)} | {f"GSW{j}x0_GPL1" for j in range(len(sweep_kib))}
        submitted = Inputs(inputs_root)
        for folder in inputs_root.glob("[fs][iw]*-*"):
            for dataset_id, pair in pairs(folder).items():
                submitted.submitted.setdefault(dataset_id, set()).add(pair)
        classify(data, submitted, ids, tally, "disk full")
        failures += tally.failures
        again = [run_omix(base, omix_args("add", folder), data=data).returncode for folder in refused]
        if any(code != 0 for code in again):
            failures.append(f"after freeing space, re-adding the refused datasets exited {again}")
        failures += [f"after freeing space: {p}" for p in problems(data)]
        failures += [f"unexpected ending: {e}" for e in endings if e not in ("ingested", *ENDINGS_OK)]
    return {
        "method": method,
        "filesystem_kib": 2048,
        "datasets_before_full": filled,
        "endings": dict(endings),
        "sweep": sweep,
        "status_exit_when_full": status_when_full,
        "half": tally.datasets_half,
        "duplicated": tally.datasets_duplicated,
        "refused_then_added": len(refused),
        "failures": failures,
    }


ENDINGS_OK = ("refused-disk-full", "error-disk-full")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--writers", default="1,2,3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-disk-full", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="omix-kill9-"))
    failed = False
    try:
        inputs = Inputs.generate(base / "inputs")
        for count in (int(w) for w in args.writers.split(",")):
            start = time.monotonic()
            tally = kill_series(base, inputs, count, range(args.runs), args.seed)
            figures = {k: v for k, v in vars(tally).items() if k not in ("failures", "points_hit")}
            print(
                f"writers={count}: {tally.runs} runs, {tally.killed_runs} with a kill ({tally.kills} processes "
                f"killed; injected points hit: {dict(sorted(tally.points_hit.items()))}), integrity failures "
                f"{tally.integrity_failures}; datasets in {tally.datasets_in}, out {tally.datasets_out}, half "
                f"{tally.datasets_half}, duplicated {tally.datasets_duplicated}; status disagreements "
                f"{tally.status_disagreements}, re-run failures {tally.rerun_failures}; left by kills before "
                f"recovery: {tally.orphans_before_recovery} unreferenced objects, "
                f"{tally.abandoned_areas_before_recovery} staging areas ({time.monotonic() - start:.0f} s)"
            )
            for failure in tally.failures[:20]:
                print(f"  FAIL {failure}")
            failed |= bool(tally.failures)
            record("kill9", f"writers={count}", seed=args.seed, points_hit=dict(tally.points_hit), **figures)
        if not args.no_disk_full:
            outcome = disk_full_scenario(base / "disk-full", inputs.root)
            print(
                f"disk full ({outcome['method']}): {json.dumps({k: v for k, v in outcome.items() if k != 'failures'})}"
            )
            for failure in outcome["failures"]:
                print(f"  FAIL {failure}")
            failed |= bool(outcome["failures"])
            record("kill9", "disk-full", **{k: v for k, v in outcome.items() if k != "failures"})
    finally:
        shutil.rmtree(base, ignore_errors=True)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
