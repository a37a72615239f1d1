"""The Polly token never leaves the `x-api-key` header, whatever happens, and what comes from the network is
checked before it is trusted.

Each case runs real `omix` commands in process against the emulator (HTTP on 127.0.0.1, moto's S3) with a
distinctive token, succeeding or failing at one step (auth, template fetch, listing, credentials, upload, commit,
status). Everything is captured: stdout, stderr, every logger at DEBUG, the reports in every format, every file
under the isolated HOME, cache, data and working folders, the S3 bucket, exception messages and the reprs of the
client objects. The token, and its base64, hex and URL-encoded forms, must appear in none of it.

Report replay (a signed report reused only for the same bytes and the same run configuration) is covered by
tests/test_gate_trust.py (filtered selections, the run block) and tests/test_signing.py; the gate checks each
file's sha256 against the report before reuse (tests/test_polly_gate_trust.py binds uploads to it).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from omix_ingest.cli.main import main
from omix_ingest.polly.emulator import BUCKET, EmulatorServer

from .conftest import FILES_SCHEMA, H5AD_SCHEMA, new_repo_id
from .gate_helpers import make_dataset

TOKEN = "omx-SeCrEt+4242/ZQ=9~leak-canary"  # '+', '/', '=' and '~' encode differently in URLs and base64
FORMS = {
    "raw": TOKEN,
    "url": quote(TOKEN, safe=""),
    "url-plus": quote_plus(TOKEN),
    "base64": base64.b64encode(TOKEN.encode()).decode(),
    "base64-url": base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("="),
    "base64-unpadded": base64.b64encode(TOKEN.encode()).decode().rstrip("="),
    "hex": TOKEN.encode().hex(),
}
FORMATS = ("text", "concise", "json", "junit", "sarif", "github", "markdown", "html")


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(token=TOKEN) as emulator:
        yield emulator


@dataclass
class World:
    server: EmulatorServer
    repo: str
    work: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    texts: list[str] = field(default_factory=list)

    @property
    def remote(self) -> list[str]:
        return ["--backend", "polly", "--api-url", self.server.url, "--s3-endpoint", self.server.s3_url]

    @property
    def folders(self) -> list[str]:
        return ["--metadata", str(self.work / "metadata"), "--data", str(self.work / "data")]

    def run(self, *argv: str, codes: tuple[int, ...] = (0,), says: str = "") -> None:
        code = main(list(argv))
        captured = self.capsys.readouterr()
        self.texts += [captured.out, captured.err]
        assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
        assert code in codes, (argv, code, captured.out[-2000:], captured.err)
        assert says in captured.out + captured.err, (says, captured.out[-2000:], captured.err)

    def arm(self, kind: str, path: str, count: int = 1) -> None:
        self.server.arm(kind, count=count, path=path)


@pytest.fixture
def world(server, tmp_path, monkeypatch, capsys, isolated_state) -> Iterator[World]:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "TMPDIR"):
        folder = tmp_path / "env" / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "env" / "tmpdir"))
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    repo = new_repo_id()
    server.add_repo(repo, f"atlas_{repo}", {"files": FILES_SCHEMA, "h5ad_metadata": H5AD_SCHEMA})
    with server.state.lock:
        server.state.faults.clear()
    make_dataset(tmp_path / "work", "GSE1_GPL1")
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    state = World(server, repo, tmp_path / "work", capsys, monkeypatch)
    try:
        yield state
    finally:
        logging.getLogger().removeHandler(handler)
        for lg, level in levels:
            lg.setLevel(level)
        with server.state.lock:
            server.state.faults.clear()
    assert "urllib3" in log.getvalue() or "botocore" in log.getvalue() or not state.texts  # DEBUG was on
    state.texts.append(log.getvalue())
    scan(state, [tmp_path, isolated_state])


def scan(world: World, roots: list[Path]) -> None:
    """No form of the token in any captured text, any file written, or any object in the bucket."""
    for text in world.texts:
        for form, value in FORMS.items():
            assert value not in text, f"the token ({form}) in output: ...{text[max(0, text.find(value) - 200) :][:400]}"
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    s3 = world.server.state.s3()
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"atlas_{world.repo}/").get("Contents", [])
    blobs = [(p.name, p.read_bytes()) for p in files if p.exists()]  # SQLite removes its -wal file on close
    blobs += [(o["Key"], s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()) for o in listing]
    for name, blob in blobs:
        for form, value in FORMS.items():
            assert value.encode() not in blob, f"the token ({form}) in {name}"


def run_success(w: World) -> None:
    for fmt in FORMATS:
        w.run("validate", "--atlas", w.repo, *w.remote, *w.folders, "--format", fmt, "-o", f"report.{fmt}")
    w.run("validate", "--atlas", w.repo, *w.remote, *w.folders, "--scope", "file", "--format", "json", "-o", "r.json")
    w.run("add", "--atlas", w.repo, *w.folders, "--report", "r.json", "--report-html", "add.html", *w.remote)
    w.run("update", "--atlas", w.repo, *w.folders, "--format", "json", *w.remote, codes=(0, 1))
    w.run("template", "pull", "--atlas", w.repo, *w.remote)
    w.run("template", "lock", "--atlas", w.repo, "-o", "omix.lock.json", *w.remote)
    w.run("status", "--format", "json")
    w.run("status", "--resolve", *w.remote)
    w.run("delete", "--atlas", w.repo, "GSE1_GPL1", *w.remote)


def fail_auth(w: World) -> None:
    w.monkeypatch.setenv("POLLY_REFRESH_TOKEN", TOKEN + "-revoked")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(2,), says="Expired or Invalid Token")
    w.run("template", "pull", "--atlas", w.repo, *w.remote, codes=(2,), says="Expired or Invalid Token")


def fail_template(w: World) -> None:
    w.arm("locked", "/schemas/files", count=9)  # a locked read is asked three times
    w.run("validate", "--atlas", w.repo, *w.remote, *w.folders, codes=(2,), says="Repository Locked")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(2,), says="Repository Locked")
    w.run("template", "pull", "--atlas", w.repo, *w.remote, codes=(2,), says="Repository Locked")


def fail_listing(w: World) -> None:
    w.arm("locked", "list_folders", count=6)
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(2,), says="Repository Locked")
    w.run("delete", "--atlas", w.repo, "GSE1_GPL1", *w.remote, codes=(2,), says="Repository Locked")
    other = new_repo_id()
    w.server.add_repo(other, f"atlas_{other}", {"files": FILES_SCHEMA})
    w.arm("locked", "include_metadata=true", count=3)
    w.run("move", "--from", w.repo, "--to", other, "GSE1_GPL1", *w.remote, codes=(2,), says="Repository Locked")


def fail_credentials(w: World) -> None:
    w.arm("locked", "tokens=true")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, "--format", "json", codes=(1,), says="upload credentials")


def fail_upload(w: World) -> None:
    w.arm("expired_s3", "tokens=true", count=10)  # every credential handed out is already expired
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(1,), says="ExpiredToken")


def fail_commit(w: World) -> None:
    w.arm("locked", "action=commit")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(1,), says="not committed")
    w.arm("drop", "action=commit")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, "--format", "json", codes=(1,), says="unconfirmed")


def fail_status(w: World) -> None:
    w.arm("drop", "action=commit")
    w.run("add", "--atlas", w.repo, *w.folders, *w.remote, codes=(1,), says="unconfirmed")
    w.arm("locked", "tokens=true")
    w.run("status", "--resolve", *w.remote, codes=(2,), says="then no answer")
    w.run("status", "--resolve", "--format", "json", *w.remote, says='"ingested": false')


CASES: dict[str, Callable[[World], None]] = {
    "success": run_success,
    "auth": fail_auth,
    "template-fetch": fail_template,
    "listing": fail_listing,
    "credentials": fail_credentials,
    "upload": fail_upload,
    "commit": fail_commit,
    "status": fail_status,
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_token_appears_nowhere(world, case):
    CASES[case](world)


def test_exceptions_and_client_objects_never_show_the_token(world):
    from omix_ingest import OmixAtlas
    from omix_ingest.backend import BackendError
    from omix_ingest.polly.client import PollyAuthError, PollyClient
    from omix_ingest.polly.ingest import Ingestion
    from omix_ingest.polly.s3 import S3Access

    errors: list[BaseException] = []
    with pytest.raises(PollyAuthError) as refused:
        OmixAtlas(TOKEN + "-revoked", backend="polly", base_url=world.server.url)
    errors.append(refused.value)
    with OmixAtlas(backend="polly", base_url=world.server.url, s3_endpoint=world.server.s3_url) as atlas:
        world.arm("locked", "list_folders", count=3)
        with pytest.raises(BackendError) as outage:
            atlas.add_datasets(world.repo, {"metadata": str(world.work / "metadata"), "data": str(world.work / "data")})
        errors.append(outage.value)
        backend = atlas.backend
        client: PollyClient = backend.client  # type: ignore[attr-defined]
        access = S3Access(client, world.repo, "", world.server.s3_url)
        ingestion = Ingestion(client, access, world.repo, "add", Path("journal"), 0)
        objects = [atlas, backend, client, client.session, client.session.auth, access, ingestion]
        objects += list(client.session.adapters.values())
        world.texts += [repr(o) for o in objects] + [str(vars(o)) for o in objects if hasattr(o, "__dict__")]
        world.texts += [str(client.session.headers), repr(client.session.__getstate__())]
        with pytest.raises(TypeError, match="not pickled"):  # a pickled session would hold the token in clear
            pickle.dumps(client.session)
    world.texts += [f"{e!s} {e!r} {e.args!r}" for e in errors]


# ---------------------------------------------------------------------------------------------------- TLS


def test_tls_certificates_are_verified_by_default(world, monkeypatch):
    """requests verifies unless told otherwise, and nothing in omix tells it otherwise; an empty CURL_CA_BUNDLE
    (the old way to switch verification off by accident) changes nothing."""
    from omix_ingest.polly.client import PollyClient
    from omix_ingest.polly.s3 import S3Access

    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    client = PollyClient(TOKEN)
    assert client.session.verify is True
    settings = client.session.merge_environment_settings(
        "https://api.discover.polly.elucidata.io", {}, None, True, None
    )
    assert settings["verify"] is True
    polly = PollyClient(TOKEN, base_url=world.server.url)
    s3 = S3Access(polly, world.repo, "", "https://s3.example.org").s3()
    assert s3._endpoint.http_session._verify is not False
    for command in ("add", "update", "validate", "template", "status"):
        code = main([command, "--help"])
        text = world.capsys.readouterr().out.lower()
        assert code == 0 and not any(w in text for w in ("insecure", "no-verify", "verify-ssl", "skip-tls"))


def test_a_server_with_an_untrusted_certificate_is_refused(world, tmp_path):
    import http.server
    import ssl
    import subprocess
    import threading

    from omix_ingest.polly.client import PollyClient, PollyUnreachable

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = PollyClient(TOKEN, base_url=f"https://127.0.0.1:{httpd.server_port}", retries=0)
        with pytest.raises(PollyUnreachable) as refused:
            client.me()
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
        world.texts.append(f"{refused.value!s} {refused.value!r}")
    finally:
        httpd.shutdown()


# ----------------------------------------------------------------------------------- templates from the server


MALFORMED = {
    "a list": [1, 2, 3],
    "a string": "<html>maintenance</html>",
    "not JSON": b"<html>maintenance</html>",
    "no schema": {"data": {"type": "schemas", "attributes": {"repo_id": "1"}}},
    "schema is a list": {"data": {"attributes": {"schema": ["all"]}}},
    "data type not an object": {"data": {"attributes": {"schema": {"all": "all"}}}},
    "fields not objects": {"data": {"attributes": {"schema": {"all": {"all": {"year": 7}}}}}},
    "no fields": {"data": {"attributes": {"schema": {"all": {"all": {}}}}}},
}


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_malformed_template_from_the_server_is_a_clear_error_and_is_not_cached(world, isolated_state, shape):
    world.server.state.repos[world.repo].schemas["files"] = MALFORMED[shape]
    for argv in (
        ["validate", "--atlas", world.repo, *world.remote, *world.folders],
        ["add", "--atlas", world.repo, *world.folders, *world.remote],
        ["template", "pull", "--atlas", world.repo, *world.remote],
    ):
        code = main(argv)
        captured = world.capsys.readouterr()
        world.texts += [captured.out, captured.err]
        assert code == 2, (argv, captured.out, captured.err)
        assert captured.err.startswith("omix: error: ") and captured.err.count("\n") == 1, captured.err
        assert "Traceback" not in captured.err and "internal error" not in captured.err
    cached = list((isolated_state / "cache" / "templates").glob("*.json"))
    assert [p for p in cached if "files" in p.read_text()] == [], "a malformed template was cached"


# ----------------------------------------------------------------------------------------------- report replay


def test_a_report_made_before_the_atlas_schema_changed_on_polly_is_not_replayed(world, isolated_state):
    """The gate's own rules (signature, run block, per-file sha256) are tested in test_gate_trust.py and
    test_gate_cli.py; here the run configuration changes on the server: the atlas's schema is edited between
    `omix validate` and `omix add --report`, so the report no longer stands in for validating."""
    world.run("validate", "--atlas", world.repo, *world.remote, *world.folders, "--scope", "file", "--format", "json",
              "-o", "r.json")  # fmt: skip
    edited = json.loads(json.dumps(FILES_SCHEMA))
    edited["data"]["attributes"]["schema"]["all"]["all"].pop("year")
    world.server.state.repos[world.repo].schemas["files"] = edited
    for entry in (isolated_state / "cache" / "templates").glob("*.json"):
        entry.unlink()  # past its time to live: revalidated, and the server now has another schema
    world.run("add", "--atlas", world.repo, *world.folders, "--report", "r.json", *world.remote,
              codes=(0, 1), says="was made under another run configuration")  # fmt: skip


def test_a_report_is_not_replayed_for_other_bytes_through_polly(world):
    world.run("validate", "--atlas", world.repo, *world.remote, *world.folders, "--scope", "file", "--format", "json",
              "-o", "r.json")  # fmt: skip
    data = world.work / "data" / "GSE1_GPL1.gct"
    data.write_text(data.read_text().replace("\t7\t", "\t70\t"), encoding="utf-8")
    world.run("add", "--atlas", world.repo, *world.folders, "--report", "r.json", *world.remote,
              says="changed (or is new) since report")  # fmt: skip
    stored = world.server.state.s3().get_object(Bucket=BUCKET, Key=f"atlas_{world.repo}/data/GSE1_GPL1.gct")
    assert stored["Body"].read() == data.read_bytes()  # what went up is what was validated just now
