"""The token leak scan, as a figure: runs tests/test_secrets_scan.py (full CLI runs through the Polly emulator
that succeed and that fail at each step, every output, log, report format, written file, S3 object, exception and
repr searched for the token in raw, URL-encoded, base64 and hex forms; TLS and template-shape checks beside it) and
counts the scans and any that found the token.

Usage: python bench/bench_leaks.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="omix-leaks-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        proc = subprocess.run([*command, "tests/test_secrets_scan.py"], cwd=ROOT, capture_output=True, text=True)
        suite = ET.parse(junit).getroot().find("testsuite")
    if suite is None:
        raise SystemExit(f"no test results:\n{proc.stdout[-2000:]}")
    cases = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    print(f"leak scan: {cases} scans and trust checks, {failed} failed, {skipped} skipped")
    if failed:
        print(proc.stdout[-4000:])
    record("leaks", "token scan", checks=cases, failed=failed, skipped=skipped)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
