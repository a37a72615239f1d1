"""The Polly backend against the emulator (HTTP on 127.0.0.1) and moto's S3 server: the gated flow end to end,
the exact upload layout, faults, and the token never leaking."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from omix_ingest import OmixAtlas
from omix_ingest.backend import BackendError
from omix_ingest.polly.client import PollyAuthError, PollyClient, PollyError, PollyUnreachable
from omix_ingest.polly.emulator import BUCKET

from .conftest import FILES_SCHEMA, POLLY_TOKEN, ROOT, SINGLE_CELL, new_repo_id, write_json
from .gate_helpers import bulk_doc, folders, make_dataset, statuses

EXAMPLES = ROOT / "fixtures" / "examples"


def s3_keys(emulator, prefix: str) -> list[str]:
    s3 = emulator.state.s3()
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def combined(emulator, repo) -> list[dict]:
    s3 = emulator.state.s3()
    keys = s3_keys(emulator, f"atlas_{repo}/metadata/")
    return [json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys]


def test_gated_flow_end_to_end_through_the_api(emulator, repo, polly):
    frame = polly.add_datasets(
        repo, {"metadata": str(EXAMPLES / "metadata"), "data": str(EXAMPLES / "data")}, validation=True
    )
    good = ["GSE140819_GPL24676", "GSE161529_GPL20301", "GSE95640_GPL11154", "TCGA_BRCA_mutations"]
    assert sorted(d for d, s in statuses(frame).items() if s == "ingested") == good
    assert sorted(d["dataset_id"] for d in polly.backend.datasets(repo)) == good
    # Only the good datasets' data files were uploaded, and ONE combined_metadata.json.
    assert [k.rsplit("/", 1)[-1] for k in s3_keys(emulator, f"atlas_{repo}/data/")] == [
        "GSE140819_GPL24676.h5ad",
        "GSE161529_GPL20301.h5ad",
        "GSE95640_GPL11154.gct",
        "TCGA_BRCA_mutations.vcf",
    ]
    [document] = combined(emulator, repo)
    header, *entries = document["data"]
    assert header == {
        "id": "metadata/ingestion",
        "type": "ingestion_metadata",
        "attributes": {"ignore": "false", "urgent": "true", "v1_infra": False, "priority": "low"},
    }
    assert sorted(e["id"] for e in entries) == sorted(
        f"{d}.{ext}" for d, ext in zip(good, ["h5ad", "h5ad", "gct", "vcf"], strict=True)
    )
    verbatim = json.loads((EXAMPLES / "metadata" / "GSE95640_GPL11154.json").read_text())
    assert next(e for e in entries if e["id"] == "GSE95640_GPL11154.gct")["attributes"] == verbatim


def test_update_uploads_to_the_existing_key_and_round_trips(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    frame = polly.add_datasets(repo, folders(tmp_path), destination_folder_path="transcriptomics_611", validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    assert polly.backend.existing(repo, ["GSE1_GPL1"])["GSE1_GPL1"].path == "transcriptomics_611/GSE1_GPL1.gct"
    write_json(tmp_path / "v2" / "metadata" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    (tmp_path / "v2" / "data").mkdir()
    (tmp_path / "data" / "GSE1_GPL1.gct").rename(tmp_path / "v2" / "data" / "GSE1_GPL1.gct")
    updated = polly.update_datasets(repo, folders(tmp_path / "v2"), validation=True)
    assert statuses(updated) == {"GSE1_GPL1": "ingested"}
    assert s3_keys(emulator, f"atlas_{repo}/data/") == [f"atlas_{repo}/data/transcriptomics_611/GSE1_GPL1.gct"]
    latest = combined(emulator, repo)[-1]["data"][1]
    assert latest["id"] == "transcriptomics_611/GSE1_GPL1.gct" and latest["attributes"]["description"] == "Revised"
    assert statuses(polly.delete_datasets(repo, ["GSE1_GPL1"])) == {"GSE1_GPL1": "deleted"}
    assert polly.backend.datasets(repo) == []


def test_move_between_atlases(emulator, repo, polly, tmp_path):
    other = new_repo_id()
    emulator.add_repo(other, f"atlas_{other}", {"files": FILES_SCHEMA})
    make_dataset(tmp_path, "GSE1_GPL1")
    polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(polly.move_data(repo, other, ["GSE1_GPL1", "GSE404"])) == {
        "GSE1_GPL1": "moved",
        "GSE404": "refused",
    }
    assert [d["dataset_id"] for d in polly.backend.datasets(other)] == ["GSE1_GPL1"]


def test_cli_against_the_emulator(emulator, repo, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", dataset_source="geo")
    remote = ("--backend", "polly", "--api-url", emulator.url, "--s3-endpoint", emulator.s3_url)
    result = run_cli(
        "add",
        "--atlas",
        repo,
        "--metadata",
        tmp_path / "metadata",
        "--data",
        tmp_path / "data",
        "--format",
        "json",
        *remote,
    )
    assert result.code == 1
    assert {(r["dataset_id"], r["status"]) for r in result.json()["rows"]} == {
        ("GSE1_GPL1", "ingested"),
        ("GSE2_GPL1", "refused"),
    }
    assert run_cli("delete", "--atlas", repo, "GSE1_GPL1", *remote).code == 0
    template = run_cli("template", "pull", "--atlas", repo, *remote)
    assert template.code == 0, template.err


@pytest.mark.parametrize("kind", ["5xx", "429", "drop", "slow"])
def test_transient_faults_on_reads_are_retried(emulator, repo, polly, tmp_path, kind):
    """Two bad answers (or none, or ones past the 4 s read timeout) to the existence check: retried, completes."""
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm(kind, count=2, path="list_folders", retry_after=1, delay=6.0)
    started = time.monotonic()
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    if kind == "429":
        assert time.monotonic() - started >= 2  # Retry-After: 1, twice


def test_persistent_outage_fails_cleanly_with_nothing_ingested(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("5xx", count=100, path="list_folders")
    polly.backend.client.session.get_adapter("http://").max_retries.backoff_factor = 0.01
    with pytest.raises(BackendError, match=r"Service Unavailable: GET .*/files/: emulated outage"):
        polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert sum(1 for _, p in emulator.state.requests if "list_folders" in p and repo in p) == 6  # 1 + 5 retries
    emulator.state.faults.clear()
    assert polly.backend.datasets(repo) == []


def test_commit_without_an_answer_is_reported_unconfirmed(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("slow", count=1, path="action=commit", delay=6.0)
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "unconfirmed"}
    assert "may still complete" in frame.reason.iloc[0]
    deadline = time.monotonic() + 30
    while not polly.backend.datasets(repo) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [d["dataset_id"] for d in polly.backend.datasets(repo)] == ["GSE1_GPL1"]  # it did complete, later


def test_commit_refused_means_nothing_ingested(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("locked", count=1, path="action=commit")  # a 429 or 503 there is retried
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    assert frame.reason.iloc[0].startswith("not committed")
    assert polly.backend.datasets(repo) == []


def test_expired_upload_credentials_are_renewed_once(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("expired_s3", count=1, path="tokens=true")
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    calls = [p for m, p in emulator.state.requests if "tokens=true" in p and repo in p]
    assert len(calls) == 2  # the first credentials were expired; the second worked


def test_listing_413_shrinks_the_page(emulator, repo, polly, tmp_path):
    for i in range(3):
        make_dataset(tmp_path, f"GSE{i}_GPL1")
    polly.add_datasets(repo, folders(tmp_path), validation=True)
    emulator.arm("413", count=1, path="page%5Bsize%5D=1000")
    items = polly.backend.client.listing(repo)
    assert len(items) == 3
    assert any("page%5Bsize%5D=500" in p for _, p in emulator.state.requests)


def test_locked_repository_says_so(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    polly.add_datasets(repo, folders(tmp_path), validation=True)
    emulator.arm("locked", count=1, path="/files/GSE1_GPL1")
    frame = polly.delete_datasets(repo, ["GSE1_GPL1"])
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    assert "locked for maintenance" in frame.reason.iloc[0]
    assert [d["dataset_id"] for d in polly.backend.datasets(repo)] == ["GSE1_GPL1"]


def test_bad_token_fails_at_construction(emulator, repo):
    with pytest.raises(PollyAuthError, match="Expired or Invalid Token"):
        OmixAtlas("not-the-token", backend="polly", base_url=emulator.url)


def test_unreachable_server_is_a_clear_error():
    client = PollyClient(POLLY_TOKEN, base_url="http://127.0.0.1:9", retries=1, backoff=0.01)
    with pytest.raises(PollyUnreachable) as caught:
        client.me()
    assert "Connection failed" in str(caught.value) and POLLY_TOKEN not in str(caught.value)


def test_json_api_errors_are_typed(emulator, repo):
    client = PollyClient(POLLY_TOKEN, base_url=emulator.url)
    with pytest.raises(PollyError) as caught:
        client.atlas("no-such-atlas")
    assert (caught.value.status, caught.value.title) == (404, "Not Found")


def test_the_token_never_leaks(emulator, repo, tmp_path, isolated_state):
    """Everything printed (at the file-descriptor level), logged and written during a full run, and every repr
    and message, is token-free."""
    import os
    import subprocess
    import sys

    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", dataset_source="geo")
    remote = ["--backend", "polly", "--api-url", emulator.url, "--s3-endpoint", emulator.s3_url]
    folders_ = ["--metadata", str(tmp_path / "metadata"), "--data", str(tmp_path / "data")]
    runs = [
        ["validate", "--template", str(SINGLE_CELL), *folders_, "--format", "json", "-o", str(tmp_path / "r.json")],
        ["add", "--atlas", repo, *folders_, "--report", str(tmp_path / "r.json"), "-v", *remote],
        ["update", "--atlas", repo, *folders_, "--format", "json", *remote],
        ["template", "pull", "--atlas", repo, *remote],
        ["template", "lock", "--atlas", repo, "-o", str(tmp_path / "omix.lock.json"), *remote],
        ["delete", "--atlas", repo, "GSE1_GPL1", *remote],
        ["add", "--atlas", "nope", *folders_, *remote],
        ["status", "--format", "json"],
    ]
    env = dict(os.environ, POLLY_REFRESH_TOKEN=POLLY_TOKEN, OMIX_DEBUG="1")
    texts = []
    for argv in runs:
        proc = subprocess.run(
            [sys.executable, "-m", "omix_ingest.cli", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        texts += [proc.stdout, proc.stderr]
        assert "Traceback" not in proc.stderr, proc.stderr
    client = PollyClient(POLLY_TOKEN, base_url=emulator.url)
    texts += [repr(client), repr(client.session.auth), repr(client.session), str(client.session.__dict__)]
    try:
        PollyClient("wrong-" + POLLY_TOKEN, base_url=emulator.url).me()
    except PollyAuthError as exc:
        texts += [str(exc), repr(exc)]
    written = [p for root in (isolated_state, tmp_path) for p in Path(root).rglob("*") if p.is_file()]
    assert any(p.name == "omix.lock.json" for p in written)
    for path in written:
        assert POLLY_TOKEN.encode() not in path.read_bytes(), path
    for text in texts:
        assert POLLY_TOKEN not in text


def test_template_cache_revalidates_with_etags_and_survives_an_outage(emulator, repo, tmp_path, capsys):
    from omix_ingest.polly.template_cache import TemplateCache

    cache = TemplateCache(tmp_path / "cache", ttl=0)
    client = PollyClient(POLLY_TOKEN, base_url=emulator.url)
    first = cache.get(client, emulator.url, repo, "files")
    before = emulator.state.not_modified
    assert cache.get(client, emulator.url, repo, "files") == first
    assert emulator.state.not_modified == before + 1  # revalidated: 304, not a second download
    dead = PollyClient(POLLY_TOKEN, base_url="http://127.0.0.1:9", retries=0)
    assert cache.get(dead, emulator.url, repo, "files") == first
    assert "using the cached files schema" in capsys.readouterr().err


def test_offline_validation_uses_the_cache_and_never_the_network(emulator, repo, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")
    dead = ("--backend", "polly", "--api-url", "http://127.0.0.1:9", "--offline")
    missing = run_cli("validate", "--atlas", repo, *dead, tmp_path / "metadata")
    assert missing.code == 2 and f"omix template pull --atlas {repo}" in missing.err
    assert run_cli("template", "pull", "--atlas", repo, "--backend", "polly", "--api-url", emulator.url).code == 0
    # The cache is keyed by URL: pull from the same URL, then use it with the network off.
    offline = ("--backend", "polly", "--api-url", emulator.url, "--offline")
    requests_before = len(emulator.state.requests)
    result = run_cli("validate", "--atlas", repo, *offline, tmp_path / "metadata")
    assert result.code == 1 and "OMX202" in result.out
    assert len(emulator.state.requests) == requests_before


def test_lock_file_makes_validation_network_free(emulator, repo, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")
    lock = tmp_path / "omix.lock.json"
    assert (
        run_cli("template", "lock", "--atlas", repo, "-o", lock, "--backend", "polly", "--api-url", emulator.url).code
        == 0
    )
    result = run_cli("validate", "--atlas", repo, "--lock", lock, tmp_path / "metadata")
    assert result.code == 1 and "OMX202" in result.out
    tampered = json.loads(lock.read_text())
    tampered["atlases"][repo]["files"]["document"]["data"]["attributes"]["schema"]["all"]["all"].pop("year")
    lock.write_text(json.dumps(tampered))
    refused = run_cli("validate", "--atlas", repo, "--lock", lock, tmp_path / "metadata")
    assert refused.code == 2 and "does not match its sha256" in refused.err


def test_emulator_serve_prints_its_urls(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess
    import sys

    import requests

    env = dict(os.environ, POLLY_REFRESH_TOKEN=POLLY_TOKEN)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "omix_ingest.cli",
            "emulator",
            "serve",
            "--schema",
            str(SINGLE_CELL),
            "--repo",
            "1669887230485:tenant_oa",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = json.loads(process.stdout.readline())
        assert ready["repos"] == ["1669887230485"]
        me = requests.get(f"{ready['api_url']}/users/me", headers={"x-api-key": POLLY_TOKEN}, timeout=10)
        assert me.status_code == 200
        schema = requests.get(
            f"{ready['api_url']}/repositories/tenant_oa/schemas/files", headers={"x-api-key": POLLY_TOKEN}, timeout=10
        )
        assert schema.json() == FILES_SCHEMA
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_large_files_go_up_in_parts(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    (tmp_path / "data" / "GSE1_GPL1.gct").unlink()
    big = tmp_path / "data" / "GSE1_GPL1.csv"  # an accepted type no validator parses: fast to make large
    with big.open("wb") as handle:
        handle.write(b"gene,S1\n" + b"A,1\n" * (7 * 1024 * 1024))  # 28 MiB, over the 25 MB threshold
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    parts = [p for m, p in emulator.state.s3_requests if "GSE1_GPL1.csv" in p and "partNumber=" in p]
    assert len(parts) == 2  # CreateMultipartUpload, two UploadPart, CompleteMultipartUpload


def test_save_to_workspace_posts_a_workspace_job(emulator, repo, polly):
    answer = polly.save_to_workspace(repo, "GSE1_GPL1", 12345, "polly://data/")
    assert answer["data"]["attributes"] == {
        "dataset_id": "GSE1_GPL1",
        "repo_id": repo,
        "workspace_id": 12345,
        "workspace_path": "polly://data/",
    }


def test_cli_update_and_move_against_the_emulator(emulator, repo, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    other = new_repo_id()
    emulator.add_repo(other, f"atlas_{other}", {"files": FILES_SCHEMA})
    remote = ("--backend", "polly", "--api-url", emulator.url, "--s3-endpoint", emulator.s3_url)
    make_dataset(tmp_path, "GSE1_GPL1")
    assert (
        run_cli("add", "--atlas", repo, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data", *remote).code
        == 0
    )
    write_json(tmp_path / "v2" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    assert run_cli("update", "--atlas", repo, "--metadata", tmp_path / "v2", *remote).code == 0
    assert emulator.state.repos[repo].files["GSE1_GPL1.gct"]["metadata"]["description"] == "Revised"
    assert run_cli("move", "--from", repo, "--to", other, "GSE1_GPL1", *remote).code == 0
    assert sorted(emulator.state.repos[other].files) == ["GSE1_GPL1.gct"] and not emulator.state.repos[repo].files


@pytest.mark.parametrize("suffix", ["\r", "\r\n", "\n", "  "])
def test_a_pasted_token_with_a_line_ending_works_and_never_leaks(emulator, repo, run_cli, monkeypatch, suffix):
    """A token copied from a Windows file ends in CR or CRLF: it is used without it, never echoed."""
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN + suffix)
    result = run_cli("template", "pull", "--atlas", repo, "--backend", "polly", "--api-url", emulator.url)
    assert result.code == 0, result.err
    assert POLLY_TOKEN not in result.out + result.err


@pytest.mark.parametrize("inner", ["\x07", "\x1b[2J", "é", "\u200b", " "])
def test_a_token_with_impossible_characters_is_refused_without_showing_it(emulator, repo, run_cli, monkeypatch, inner):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN[:8] + inner + POLLY_TOKEN[8:])
    result = run_cli("template", "pull", "--atlas", repo, "--backend", "polly", "--api-url", emulator.url)
    assert result.code == 2
    assert "POLLY_REFRESH_TOKEN holds characters a token cannot have" in result.err
    assert POLLY_TOKEN[:8] not in result.err and POLLY_TOKEN[8:] not in result.err and "Traceback" not in result.err


def test_redact_masks_the_token_in_any_message(monkeypatch):
    from omix_ingest.secrets import redact

    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN + "\r\n")
    assert redact(f"Invalid header value b'{POLLY_TOKEN}\\r\\n'") == "Invalid header value b'***'"
    assert redact(f"x {POLLY_TOKEN} y") == "x *** y"
