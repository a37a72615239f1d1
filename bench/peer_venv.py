"""A peer validator in a virtual environment of its own under bench/out/ (ignored by git), made once from PyPI.

Peers pin libraries that clash with ours (cellxgene-schema, polly-validator's pydantic 1), so each gets its own
venv beside the benchmarks. A venv is reused when its marker file says it was made with the same requirements;
a failed or changed install starts over (a venv made before the marker existed is adopted when its peer's command
is there). None means the peer cannot be installed here: the caller says "not run".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def peer_venv(
    name: str, requirements: Sequence[str], *, no_deps: Sequence[str] = (), adopt: str | None = None
) -> Path | None:
    """The bin/ folder of venv bench/out/NAME holding `requirements` (and `no_deps`, installed without their own
    declared dependencies, for a package whose pins have no wheel for this Python), or None if pip fails."""
    venv = OUT / name
    marker = venv / "omix-bench-requirements.json"
    wanted = {"requirements": list(requirements), "no_deps": list(no_deps), "python": sys.version.split()[0]}
    try:
        if json.loads(marker.read_text(encoding="utf-8")) == wanted:
            return venv / "bin"
    except (OSError, ValueError):
        if adopt and not marker.exists() and (venv / "bin" / adopt).exists():
            marker.write_text(json.dumps(wanted), encoding="utf-8")
            return venv / "bin"
    print(f"installing {' '.join([*no_deps, *requirements])} into {venv} ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    if subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False).returncode != 0:
        return None
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    steps = ([[*pip, "--no-deps", *no_deps]] if no_deps else []) + ([[*pip, *requirements]] if requirements else [])
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"pip failed: {proc.stderr.strip()[-1000:]}", flush=True)
            return None
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return venv / "bin"
