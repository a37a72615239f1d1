"""`--executor dask`: the same per-file tasks on a Dask cluster (a LocalCluster of two worker processes here) give
the report a local run gives, byte for byte apart from its creation time and the signature over it; s3:// inputs
through moto's server; the usage errors (no Dask, no scheduler, workers of another version)."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import dask
import orjson
import pytest
from distributed import LocalCluster
from moto.server import ThreadedMotoServer

from omix_ingest import validate_datasets
from omix_ingest.run import dask_executor
from omix_ingest.run.dask_executor import NotOnWorker, inspect_chunk
from omix_ingest.run.remote import RemotePath, as_input
from validators.registry import load_validators, validation_context

from .conftest import FIXTURES, SINGLE_CELL

EXAMPLES = FIXTURES / "examples"
BUCKET = "atlas-uploads"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """moto's S3 server on a loopback port, with the bundled example datasets uploaded under one prefix."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    for path in sorted(EXAMPLES.rglob("*")):
        if path.is_file() and path.suffix != ".py":
            client.upload_file(str(path), BUCKET, f"examples/{path.relative_to(EXAMPLES)}")
    yield url
    server.stop()


@pytest.fixture(scope="module")
def scheduler(s3_url: str) -> Iterator[str]:
    """A LocalCluster of two single-threaded worker processes; the workers' environment reaches the S3 server."""
    env = {**S3_ENV, "AWS_ENDPOINT_URL_S3": s3_url}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", env=env) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def s3_env(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process lists the bucket, so it needs the same environment as the workers."""
    for key, value in {**S3_ENV, "AWS_ENDPOINT_URL_S3": s3_url}.items():
        monkeypatch.setenv(key, value)
    return s3_url


def _comparable(out: str) -> bytes:
    """The JSON report without what differs between any two runs: its creation time and the signature over it."""
    report = json.loads(out)
    del report["created"], report["signature"]
    return orjson.dumps(report, option=orjson.OPT_INDENT_2)


INPUTS = {
    "fixture folders": ["--template", SINGLE_CELL, FIXTURES / "metadata", FIXTURES / "data"],
    "dataset folders": ["--template", SINGLE_CELL, "--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data"],
}


@pytest.mark.parametrize("inputs", INPUTS.values(), ids=INPUTS.keys())
def test_dask_report_is_the_local_report(run_cli, scheduler, inputs):
    local = run_cli("validate", *inputs, "--format", "json")
    remote = run_cli("validate", *inputs, "--format", "json", "--executor", "dask", "--scheduler", scheduler)
    assert local.code == remote.code == 1, remote.err
    assert _comparable(remote.out) == _comparable(local.out)
    files = json.loads(remote.out)["files"]
    assert len(files) >= 14 and any(f["findings"] for f in files) and any(not f["findings"] for f in files)


def test_relative_paths_are_read_from_the_callers_folder(run_cli, scheduler, tmp_path):
    """Workers get absolute paths and the report names the ones the caller gave (run_cli runs in tmp_path)."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    args = ["validate", "--template", SINGLE_CELL, "--metadata", "examples/metadata", "--data", "examples/data"]
    local = run_cli(*args, "--format", "json")
    remote = run_cli(*args, "--format", "json", "--scheduler", scheduler)  # a scheduler alone means Dask
    assert _comparable(remote.out) == _comparable(local.out)
    assert all(f["path"].startswith("examples/") for f in json.loads(remote.out)["files"])
    assert str(tmp_path) not in remote.out


def test_python_api_on_a_cluster(scheduler):
    folders = {"metadata": EXAMPLES / "metadata", "data": EXAMPLES / "data"}
    local = validate_datasets(SINGLE_CELL, folders, config=False)
    remote = validate_datasets(SINGLE_CELL, folders, config=False, executor="dask", scheduler=scheduler)
    assert remote.to_dict() | {"created": ""} == local.to_dict() | {"created": ""}
    assert remote.failed


def test_gate_validates_on_the_cluster(run_cli, scheduler, tmp_path):
    args = ["add", "--atlas", "example-single-cell", "--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data"]
    local = run_cli(*args, "--format", "json", "--data-dir", tmp_path / "one")
    remote = run_cli(*args, "--format", "json", "--data-dir", tmp_path / "two", "--executor", "dask",
                     "--scheduler", scheduler)  # fmt: skip
    assert local.code == remote.code == 1, remote.err
    status = [{k: row[k] for k in ("dataset_id", "file_name", "status", "reason")} for row in local.json()["rows"]]
    assert [{k: row[k] for k in status[0]} for row in remote.json()["rows"]] == status
    assert {row["status"] for row in status} == {"ingested", "refused"}


def test_without_a_scheduler_a_local_cluster_is_started(run_cli):
    args = ["validate", "--template", SINGLE_CELL, "--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data"]
    local = run_cli(*args, "--format", "json")
    remote = run_cli(*args, "--format", "json", "--executor", "dask", "-j", "2")
    assert remote.code == local.code == 1, remote.err
    assert _comparable(remote.out) == _comparable(local.out)


# ------------------------------------------------------------------------------------------------ s3:// inputs


def test_s3_dataset_folders_on_the_cluster(run_cli, scheduler, s3_env):
    """Listed here, fetched by the workers into temporary copies, reported under their URLs: the findings, hashes
    and sizes are those of the same files on disk."""
    prefix = f"s3://{BUCKET}/examples"
    s3 = ["--metadata", f"{prefix}/metadata", "--data", f"{prefix}/data"]
    on_disk = run_cli("validate", *INPUTS["dataset folders"], "--format", "json")
    remote = run_cli("validate", "--template", SINGLE_CELL, *s3, "--format", "json", "--scheduler", scheduler)
    assert remote.code == on_disk.code == 1, remote.err
    expected = _comparable(on_disk.out).replace(f"{EXAMPLES}/".encode(), f"{prefix}/".encode())
    assert _comparable(remote.out) == expected
    assert b"omix-fetch-" not in _comparable(remote.out)  # no temporary copy is named anywhere
    here = run_cli("validate", "--template", SINGLE_CELL, *s3, "--format", "json")  # the local executor fetches too
    assert _comparable(here.out) == _comparable(remote.out)


def test_s3_object_and_missing_urls(run_cli, scheduler, s3_env):
    gct = f"s3://{BUCKET}/examples/data/GSE95640_GPL11154.gct"
    missing = f"s3://{BUCKET}/examples/data/GSE0_GPL0.vcf"
    result = run_cli("validate", gct, missing, "--format", "json", "--scheduler", scheduler)
    files = {f["path"]: f for f in result.json()["files"]}
    assert files[gct]["validators"] == ["gct"] and files[gct]["findings"] == []
    assert files[gct]["size"] == (EXAMPLES / "data" / "GSE95640_GPL11154.gct").stat().st_size
    assert [f["code"] for f in files[missing]["findings"]] == ["OMX901"]
    assert result.code == 1


def test_a_url_keeps_its_name_and_travels_as_a_url():
    url = as_input(f"s3://{BUCKET}/a/GSE1_GPL2.h5ad")
    assert isinstance(url, RemotePath) and str(url) == f"s3://{BUCKET}/a/GSE1_GPL2.h5ad"
    assert url.name == "GSE1_GPL2.h5ad" and not url.exists()
    assert as_input("a/b.json") == Path("a/b.json") and not isinstance(as_input("a/b.json"), RemotePath)


# ------------------------------------------------------------------------------------------------ usage errors


def _one_line_usage_error(result) -> str:
    assert result.code == 2, result.err
    assert result.out == "" and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    return str(result.err)


def test_without_dask_installed_is_a_usage_error(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an install without the extra looks like
    err = _one_line_usage_error(run_cli("validate", "--executor", "dask", EXAMPLES / "data"))
    assert "pip install 'omix-ingest[dask]'" in err


def test_unreachable_scheduler_is_a_usage_error(run_cli):
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    err = _one_line_usage_error(run_cli("validate", "--scheduler", address, EXAMPLES / "data"))
    assert f"cannot reach the Dask scheduler at {address}" in err


def test_a_scheduler_that_never_answers_times_out(run_cli):
    """A port that accepts connections and never speaks (a firewall, a wrong service): Dask's connect timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        held: list[socket.socket] = []
        accepting = threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True)
        accepting.start()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
            err = _one_line_usage_error(run_cli("validate", "--scheduler", address, EXAMPLES / "data"))
        for conn in held:
            conn.close()
    assert f"the Dask scheduler at {address} did not answer within 2 s" in err


@pytest.mark.parametrize(
    "args",
    [["--executor", "local", "--scheduler", "tcp://127.0.0.1:8786"], ["--scheduler", "not-an-address"]],
    ids=["scheduler for local", "not an address"],
)
def test_bad_executor_options_are_usage_errors(run_cli, args):
    _one_line_usage_error(run_cli("validate", *args, EXAMPLES / "data"))


def test_workers_of_another_version_are_refused(run_cli, scheduler, monkeypatch):
    monkeypatch.setattr(dask_executor, "__version__", "0.0.1")  # this process claims another version
    err = _one_line_usage_error(run_cli("validate", "--scheduler", scheduler, EXAMPLES / "data"))
    assert "Dask workers must run omix-ingest 0.0.1" in err


def test_a_file_the_workers_cannot_see_stops_the_run(tmp_path):
    """Not reported as missing (a local run would have found it): the cluster does not share the filesystem."""
    validators = load_validators()
    ctx = validation_context(None, None)
    with pytest.raises(NotOnWorker, match="cannot see"):
        inspect_chunk([(Path("data/GSE1_GPL2.gct"), (0,))], (ctx, validators), str(tmp_path))


def test_the_project_file_can_name_the_cluster(run_cli, scheduler, tmp_path):
    """`executor` and `scheduler` in [tool.omix]; a flag on the command line still wins."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "examples" / "metadata", project / "metadata")
    (project / "pyproject.toml").write_text(
        f'[tool.omix]\ntemplate = "{SINGLE_CELL}"\nexecutor = "dask"\nscheduler = "{scheduler}"\n', encoding="utf-8"
    )
    config = ("--config", project / "pyproject.toml")
    on_cluster = run_cli("validate", *config, "--format", "json", project / "metadata")
    local = run_cli("validate", *config, "--executor", "local", "--format", "json", project / "metadata")
    assert on_cluster.code == local.code == 1, on_cluster.err + local.err
    assert _comparable(on_cluster.out) == _comparable(local.out)
    (project / "pyproject.toml").write_text('[tool.omix]\nscheduler = "tcp://127.0.0.1:9"\n', encoding="utf-8")
    unreachable = run_cli("validate", *config, "--template", SINGLE_CELL, project / "metadata")
    assert unreachable.code == 2 and "Traceback" not in unreachable.err
