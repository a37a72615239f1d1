"""Signing reports so that the gate can trust one it did not just produce.

The key is 32 random bytes in the user's configuration directory, created on first use with mode 0600. A report
edited by hand (or produced with another key) fails verification, and the gate validates again instead of trusting
it. The signature covers the whole report, canonicalised (sorted keys, no spaces).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

import orjson

from omix_ingest.paths import config_dir

KEY_FILE = "report-signing.key"
ALGORITHM = "hmac-sha256"


def _key_path() -> Path:
    return config_dir() / KEY_FILE


def signing_key() -> bytes:
    """The local key, created atomically (O_EXCL, mode 0600) the first time it is needed."""
    path = _key_path()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


def _canonical(report: dict[str, Any]) -> bytes:
    body = {k: v for k, v in report.items() if k != "signature"}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def sign(report: dict[str, Any]) -> dict[str, Any]:
    digest = hmac.new(signing_key(), _canonical(report), hashlib.sha256).hexdigest()
    return {**report, "signature": {"algorithm": ALGORITHM, "value": digest}}


def verify(report: dict[str, Any]) -> bool:
    signature = report.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return False
    value = signature.get("value")
    if not isinstance(value, str) or not _key_path().exists():
        return False
    expected = hmac.new(signing_key(), _canonical(report), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, value)
