"""The report-signing key: created once, private to the user, and any edit to a signed report breaks it."""

from __future__ import annotations

import stat

from omix_ingest.paths import config_dir
from omix_ingest.report.signing import KEY_FILE, sign, signing_key, verify


def test_key_is_created_once_with_mode_0600():
    key = signing_key()
    path = config_dir() / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing_key() == key and len(key) == 32


def test_any_edit_breaks_the_signature():
    signed = sign({"passed": False, "files": [{"path": "a.json", "findings": [{"code": "OMX106"}]}]})
    assert verify(signed)
    edited = {**signed, "passed": True}
    assert not verify(edited)
    assert not verify({k: v for k, v in signed.items() if k != "signature"})
    assert not verify({**signed, "signature": {"algorithm": "hmac-sha256", "value": "0" * 64}})
