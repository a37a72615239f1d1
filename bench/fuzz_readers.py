"""Coverage-guided fuzzing of the readers with atheris (libFuzzer): metadata JSON, GCT text and VCF text.

Each target runs in its own process, bounded in wall time, and feeds libFuzzer's inputs, written to a file with
the target's suffix, to the real validator (`validate()` of the registry's class, with the context `omix
validate` builds). A crash is any exception escaping the validator, any OMX990 finding, a hang past the
per-input timeout, or memory past the cap. Exceptions are recorded (input and traceback, once per distinct
signature) and fuzzing goes on; a hang or a memory blow-up ends the process, which is restarted on the same
corpus until the time is spent. Seeds come from the repository's fixtures; the working corpus, the crashes and
the minimised inputs stay under bench/out/fuzz/ (ignored). Not run in CI: it takes as long as it is given.

Usage: python bench/fuzz_readers.py --target json|gct|vcf|all --seconds N [--timeout S] [--max-len BYTES]
       python bench/fuzz_readers.py --minimize TARGET FILE   (libFuzzer -minimize_crash, same signature kept)
Needs atheris (`pip install atheris`; wheels for CPython 3.11 on x86-64 Linux).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # our packages, bench/results.py and bench/fuzz/, from any folder
from fuzz.harness import FIXTURES, OUT, TARGETS, TEMPLATE, replay, worker, wrapper_path  # noqa: E402
from results import record  # noqa: E402

SUMMARY = ROOT / "bench" / "results" / "fuzz.json"


# --- the driver ---------------------------------------------------------------------------------------------------


def _prepare(target_name: str, fresh: bool) -> tuple[Path, Path, Path]:
    """The working corpus (kept between runs unless `fresh`), this run's seeds and the dictionary."""
    work = OUT / target_name
    if fresh and work.exists():
        shutil.rmtree(work)
    corpus, seeds = work / "corpus", work / "seeds"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(seeds, ignore_errors=True)
    seeds.mkdir()
    target = TARGETS[target_name]
    for pattern in target.seeds:
        for path in sorted(FIXTURES.glob(pattern)):
            if path.is_file() and not path.is_symlink() and path.name != "expected.json":
                (seeds / hashlib.sha1(path.read_bytes()).hexdigest()).write_bytes(path.read_bytes())
    tokens = list(target.tokens)
    if target_name == "json":  # every field the template names, as a key
        from omix_ingest.run.templates import load_template_file

        tokens += [f'"{name}"' for name in sorted(load_template_file(TEMPLATE).by_original_name)]
    dictionary = work / f"{target_name}.dict"
    dictionary.write_text("".join(f'"{_escape(t)}"\n' for t in tokens), encoding="utf-8")
    return corpus, seeds, dictionary


def _escape(token: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\x{ord(c) & 0xFF:02x}" for c in token)


def _wrapper(target_name: str, strict: str | None) -> Path:
    """libFuzzer re-runs argv[0] as a command (crash minimisation): an executable that runs this worker."""
    path = wrapper_path(target_name, strict)
    flags = f"--worker {target_name}" + (f" --strict {strict}" if strict else "")
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {flags} -- "$@"\n')
    path.chmod(0o755)
    return path


STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.MULTILINE)
COVERAGE = re.compile(r"cov: (\d+) ft: (\d+) corp: (\d+)/")
ARTIFACT = re.compile(r"Test unit written to (\S+)")
KIND = re.compile(r"ERROR: libFuzzer: ([\w-]+)")


def _run_worker(target_name: str, args: list[str], seconds: float) -> str:
    command = [str(_wrapper(target_name, None)), *args]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=seconds + 120)
    log = OUT / target_name / "last-run.log"
    log.write_text(done.stderr[-200_000:], encoding="utf-8")
    return done.stderr


def fuzz(target_name: str, seconds: float, timeout: int, max_len: int, fresh: bool) -> dict[str, Any]:
    corpus, seeds, dictionary = _prepare(target_name, fresh)
    artifacts = OUT / target_name / "artifacts"
    artifacts.mkdir(exist_ok=True)
    started, executions, restarts = time.monotonic(), 0, 0
    coverage: tuple[int, int, int] | None = None
    killed: list[dict[str, str]] = []
    while (left := seconds - (time.monotonic() - started)) > 5 and restarts < 50:
        args = [
            f"-max_total_time={int(left)}",
            f"-timeout={timeout}",
            f"-max_len={max_len}",
            "-rss_limit_mb=2048",
            "-use_value_profile=1",  # compared values guide the search too: a way past exact-match checks
            f"-dict={dictionary}",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
            str(corpus),
            str(seeds),
        ]
        log = _run_worker(target_name, args, left)
        executions += sum(int(v) for k, v in STAT.findall(log) if k == "number_of_executed_units")
        if found := COVERAGE.findall(log):
            coverage = tuple(int(x) for x in found[-1])  # type: ignore[assignment]
        for kind, artifact in zip(KIND.findall(log), ARTIFACT.findall(log), strict=False):
            stack = _stack_of(target_name, Path(artifact), timeout)
            killed.append({"kind": kind, "input": os.path.relpath(artifact, ROOT), "stack": stack})
        if "Done " in log and not KIND.search(log):
            break
        restarts += 1
    elapsed = time.monotonic() - started
    crashes = [
        json.loads(p.read_text()) | {"input": os.path.relpath(p.with_suffix(".input"), ROOT)}
        for p in sorted((OUT / target_name / "crashes").glob("*.json"))
    ]
    result = {
        "target": target_name,
        "seconds": round(elapsed, 1),
        "executions": executions,
        "exec_per_s": round(executions / elapsed, 1) if elapsed else 0.0,
        "edges": coverage[0] if coverage else None,
        "features": coverage[1] if coverage else None,
        "corpus": coverage[2] if coverage else None,
        "restarts": restarts,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "crashes": len(crashes) + len(killed),
        "exceptions": crashes,
        "killed": killed,
    }
    record("fuzz", target_name, **{k: v for k, v in result.items() if k not in ("exceptions", "killed", "target")})
    return result


def _stack_of(target_name: str, artifact: Path, timeout: int) -> str:
    """Where a hang or a blow-up was, from a replay with a stack dump (the last lines of it)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--replay",
        target_name,
        str(artifact),
        "--timeout",
        str(timeout),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        return "replay did not end"
    return (done.stderr or done.stdout)[-2000:]


def minimize(target_name: str, file: Path) -> Path:
    """The smallest input libFuzzer finds that still raises the same signature (written beside `file`)."""
    out = file.with_suffix(".min")
    wrapper = _wrapper(target_name, file.stem)  # crashes/<key>.input: the key of its signature
    subprocess.run(
        [str(wrapper), "-minimize_crash=1", "-runs=20000", f"-exact_artifact_path={out}", str(file)],
        capture_output=True,
        timeout=1800,
    )
    return out


def _print(result: dict[str, Any]) -> None:
    print(
        f"{result['target']}: {result['executions']:,} executions in {result['seconds']} s "
        f"({result['exec_per_s']:,} exec/s), coverage {result['edges']} edges / {result['features']} features, "
        f"corpus {result['corpus']}, crashes {result['crashes']}"
    )
    for crash in result["exceptions"]:
        print(f"  exception: {crash['signature']}  ({crash['input']})")
    for crash in result["killed"]:
        print(f"  {crash['kind']}: {crash['input']}")


def _atheris_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("atheris")
    except PackageNotFoundError:
        raise SystemExit("fuzz_readers: atheris is not installed (pip install atheris)") from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # the fuzzing process itself: libFuzzer's flags follow `--`
        split = argv.index("--")
        strict = argv[argv.index("--strict") + 1] if "--strict" in argv[:split] else None
        worker(argv[1], strict, argv[split + 1 :])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument("--seconds", type=float, default=300, help="wall time per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it is a hang")
    parser.add_argument("--max-len", type=int, default=8192, help="largest input libFuzzer makes, in bytes")
    parser.add_argument("--fresh", action="store_true", help="forget the working corpus and the crashes found")
    parser.add_argument("--minimize", nargs=2, metavar=("TARGET", "FILE"))
    parser.add_argument("--replay", nargs=2, metavar=("TARGET", "FILE"))
    args = parser.parse_args(argv)
    if args.replay:
        replay(args.replay[0], Path(args.replay[1]), args.timeout)
        return 0
    if args.minimize:
        print(minimize(args.minimize[0], Path(args.minimize[1]).resolve()))
        return 0
    version = _atheris_version()
    results = []
    for name in TARGETS if args.target == "all" else [args.target]:
        results.append(fuzz(name, args.seconds, args.timeout, args.max_len, args.fresh))
        _print(results[-1])
    _save(version, results)
    return 0


def _save(version: str, results: list[dict[str, Any]]) -> None:
    """Merge into bench/results/fuzz.json, so targets fuzzed one at a time end up in one summary."""
    try:
        summary = json.loads(SUMMARY.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {"targets": {}}
    summary.update({"atheris": version, "python": sys.version.split()[0]})
    for result in results:
        summary["targets"][result["target"]] = result
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
