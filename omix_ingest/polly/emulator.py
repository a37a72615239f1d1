"""A Polly OmixAtlas API emulator for tests and dry runs: the JSON:API endpoints the public SDK uses (see the
reference `polly-wire.md`), an S3-compatible store (moto's server mode) for uploads, a commit that really makes
datasets appear, and switchable faults.

Discover (`{D}`), v2 (`{B}`), auth (`{A}`) and elastic (`{E}`) paths share one base URL; their paths do not collide.
Faults are armed with `POST /_emulator/faults` `{"kind": ..., "count": n, "path": "substring"}`; kinds: `5xx`,
`429` (with Retry-After), `slow` (sleeps past a read timeout), `413`, `locked` ("Repository Locked"),
`drop` (the connection is closed without an answer), `expired_s3` (the next credentials handed out are already
expired: uploads with them are refused by the S3 front).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

ERROR_TYPE = "application/vnd.api+json"
BUCKET = "omix-emulator"


def _body(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype=ERROR_TYPE)


def _error(status: int, title: str, detail: str) -> Response:
    return _body(
        {
            "errors": [
                {"status": str(status), "code": title.lower().replace(" ", "_"), "title": title, "detail": detail}
            ]
        },
        status,
    )


@dataclass
class Fault:
    kind: str
    count: int
    path: str = ""
    retry_after: int = 1
    delay: float = 5.0


@dataclass
class Repo:
    repo_id: str
    name: str
    schemas: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → {dataset_id, metadata, etag}
    handed_out: list[str] = field(default_factory=list)  # metadata_directory keys given with credentials
    pending_deletes: set[str] = field(default_factory=set)
    commits: int = 0


class EmulatorState:
    """Everything the emulator knows, behind one lock (Flask serves requests on threads)."""

    def __init__(self, token: str, s3_endpoint: str) -> None:
        self.token = token
        self.s3_endpoint = s3_endpoint
        self.repos: dict[str, Repo] = {}
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []  # (method, full path) for tests
        self.expired_keys: set[str] = set()
        self.not_modified = 0  # 304 answers given (ETag revalidation)
        self.s3_requests: list[tuple[str, str]] = []

    def add_repo(self, repo_id: str, name: str, schemas: dict[str, Any]) -> None:
        with self.lock:
            self.repos[repo_id] = Repo(repo_id, name, schemas)

    def repo(self, key: str) -> Repo | None:
        with self.lock:
            return self.repos.get(key) or next((r for r in self.repos.values() if r.name == key), None)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.path in path:
                    fault.count -= 1
                    return fault
        return None

    def s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )


def create_app(state: EmulatorState) -> Flask:
    app = Flask("omix-polly-emulator")

    @app.before_request
    def _gate() -> Response | None:
        full = request.full_path.rstrip("?")
        state.requests.append((request.method, full))
        if request.path.startswith("/_emulator"):
            return None
        fault = state.take_fault(full)
        if fault is not None:
            response = _fault_response(fault)
            if response is not None:
                return response
        if request.headers.get("x-api-key") != state.token:
            return Response("", status=401)
        return None

    def _fault_response(fault: Fault) -> Response | None:
        if fault.kind == "5xx":
            return _error(503, "Service Unavailable", "emulated outage")
        if fault.kind == "429":
            response = _error(429, "Too Many Requests", "emulated rate limit")
            response.headers["Retry-After"] = str(fault.retry_after)
            return response
        if fault.kind == "413":
            return _error(413, "Payload Too Large", "page too large")
        if fault.kind == "locked":
            return _error(403, "Repository Locked", "the repository is under maintenance")
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return None
        if fault.kind == "drop":  # close the connection without an answer
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:
                import socket

                connection.shutdown(socket.SHUT_RDWR)
            return Response(status=500)
        if fault.kind == "expired_s3":
            with state.lock:
                state.expired_keys.add("next")
            return None
        return None

    @app.post("/_emulator/faults")
    def _arm() -> Response:
        spec = request.get_json(force=True)
        with state.lock:
            state.faults.append(Fault(**spec))
        return _body({"armed": spec})

    @app.get("/_emulator/state")
    def _state() -> Response:
        with state.lock:
            return _body(
                {r.repo_id: {"name": r.name, "files": r.files, "commits": r.commits} for r in state.repos.values()}
            )

    @app.get("/users/me")
    @app.get("/auth/users/me")
    def _me() -> Response:
        return _body(
            {
                "data": {
                    "type": "users",
                    "id": "4242",
                    "attributes": {"email": "curator@example.org", "first_name": "Cura", "last_name": "Tor"},
                }
            }
        )

    @app.get("/v1/omixatlases/<key>")
    def _atlas(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such atlas {key}")
        return _body(
            {
                "data": {
                    "type": "omixatlases",
                    "id": repo.repo_id,
                    "attributes": {
                        "repo_id": repo.repo_id,
                        "repo_name": repo.name,
                        "v2_indexes": {"files": f"{repo.name}_files"},
                    },
                }
            }
        )

    @app.get("/repositories/<key>/schemas")
    def _schema_map(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such repository {key}")
        names = {
            "datasets": "files",
            "samples": "gct_metadata",
            "features": "gct_row_metadata",
            "samples_singlecell": "h5ad_metadata",
        }
        return _body(
            {
                "data": {
                    "type": "schemas",
                    "repository_id": repo.repo_id,
                    "attributes": {"schemas": {k: v for k, v in names.items() if v in repo.schemas}},
                }
            }
        )

    @app.get("/repositories/<key>/schemas/<schema_type>")
    def _schema(key: str, schema_type: str) -> Response:
        repo = state.repo(key)
        if repo is None or schema_type not in repo.schemas:
            return _error(404, "Not Found", f"no {schema_type} schema for {key}")
        document = repo.schemas[schema_type]
        body = Response(json.dumps(document), mimetype=ERROR_TYPE)
        body.headers["ETag"] = f'"{hash(json.dumps(document, sort_keys=True)) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == body.headers["ETag"]:
            with state.lock:
                state.not_modified += 1
            return Response(status=304)
        return body

    @app.post("/repositories/<key>/files")
    def _files_post(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such repository {key}")
        if request.args.get("tokens") == "true":
            folder = (
                (request.get_json(force=True, silent=True) or {})
                .get("data", {})
                .get("attributes", {})
                .get("folder", "")
            )
            return _tokens(repo, str(folder or ""))
        if request.args.get("action") == "commit":
            _commit(repo)
            return _body({"data": {"type": "files", "attributes": {"status": "accepted"}}}, 202)
        return _error(400, "Bad Request", "unknown files action")

    def _tokens(repo: Repo, folder: str) -> Response:
        stamp = f"{time.time_ns()}"
        metadata_key = f"{repo.name}/metadata/{stamp}/combined_metadata.json"
        folder = folder.strip("/")
        package = f"{repo.name}/data/{folder + '/' if folder else ''}"
        with state.lock:
            repo.handed_out.append(metadata_key)
            expired = "next" in state.expired_keys
            state.expired_keys.discard("next")
        access = f"ASIA{'EXPIRED' if expired else 'EMULATOR'}{stamp[-8:]}"
        if expired:
            with state.lock:
                state.expired_keys.add(access)
        tokens = {
            "AccessKeyId": access,
            "SecretAccessKey": "emulator-secret",
            "SessionToken": f"session-{stamp}",
            "Expiration": "2999-01-01T00:00:00Z" if not expired else "2000-01-01T00:00:00Z",
        }
        return _body(
            {
                "data": {
                    "type": "files",
                    "id": repo.repo_id,
                    "attributes": {
                        "bucket_name": BUCKET,
                        "package_name": package,
                        "metadata_directory": metadata_key,
                        "tokens": tokens,
                    },
                }
            }
        )

    def _commit(repo: Repo) -> None:
        """Read every combined_metadata.json handed out and uploaded, and make its datasets appear; apply deletes;
        pick up data files re-uploaded to existing paths (data-only updates)."""
        s3 = state.s3()
        with state.lock:
            keys, repo.handed_out = list(repo.handed_out), []
            deletes, repo.pending_deletes = set(repo.pending_deletes), set()
        for path in deletes:
            repo.files.pop(path, None)
        for key in keys:
            try:
                body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                continue
            for entry in json.loads(body).get("data", [])[1:]:
                path = str(entry["id"]).strip("/")
                data_key = f"{repo.name}/data/{path}"
                if not _exists(s3, data_key) and path not in repo.files:
                    continue  # metadata without its data file is not ingested
                repo.files[path] = {
                    "dataset_id": entry["attributes"].get("dataset_id"),
                    "metadata": entry["attributes"],
                    "etag": _etag(s3, data_key),
                }
        for path, record in repo.files.items():
            record["etag"] = _etag(s3, f"{repo.name}/data/{path}") or record["etag"]
        with state.lock:
            repo.commits += 1

    @app.get("/repositories/<key>/files/")
    def _list_folders(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such repository {key}")
        dataset_id = request.args.get("dataset_id", "")
        paths = sorted(p for p, f in repo.files.items() if f["dataset_id"] == dataset_id)
        if not paths:
            return _error(404, "Not Found", f"no files for dataset {dataset_id}")
        return _body({"data": {"type": "files", "id": dataset_id, "attributes": {"file_paths": paths}}})

    @app.get("/repositories/<key>/files")
    def _listing(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such repository {key}")
        size = int(request.args.get("page[size]", "100"))
        after = int(request.args.get("page[after]", "0"))
        paths = sorted(repo.files)
        page = paths[after : after + size]
        include = request.args.get("include_metadata", "false").lower() == "true"
        items = [
            {
                "type": "files",
                "id": p,
                "attributes": {
                    "metadata": repo.files[p]["metadata"] if include else {"dataset_id": repo.files[p]["dataset_id"]}
                },
            }
            for p in page
        ]
        following = None
        if after + size < len(paths):
            following = (
                f"/repositories/{repo.repo_id}/files?page[size]={size}&page[after]={after + size}"
                f"&version=current&include_metadata={str(include).lower()}&data=true"
            )
        return _body({"data": items, "links": {"next": following}})

    @app.delete("/repositories/<key>/files/<path:file_path>")
    def _delete(key: str, file_path: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return _error(404, "Not Found", f"no such repository {key}")
        if file_path not in repo.files:
            return _error(404, "Not Found", f"no file {file_path}")
        with state.lock:
            repo.pending_deletes.add(file_path)
        return _body({"data": {"type": "files", "id": file_path}}, 202)

    @app.post("/repositories/ingestion-transactions")
    def _move() -> Response:
        attributes = json.loads(request.data or b"{}").get("data", {}).get("attributes", {})
        source, destination = (
            state.repo(str(attributes.get("source_repo_id"))),
            state.repo(str(attributes.get("destination_repo_id"))),
        )
        if source is None or destination is None:
            return _error(400, "Bad Request", "unknown source or destination repository")
        s3 = state.s3()
        for uri in attributes.get("datasets", []):
            prefix = f"polly:data://{source.name}/data/"
            path = str(uri)[len(prefix) :] if str(uri).startswith(prefix) else ""
            record = source.files.pop(path, None)
            if record is None:
                return _error(400, "Bad Request", f"no dataset at {uri}")
            s3.copy_object(
                Bucket=BUCKET,
                Key=f"{destination.name}/data/{path}",
                CopySource={"Bucket": BUCKET, "Key": f"{source.name}/data/{path}"},
            )
            destination.files[path] = record
        return _body({"data": {"type": "ingestion-transaction", "attributes": {"status": "accepted"}}})

    @app.post("/<index>/_search")
    def _search(index: str) -> Response:
        query = json.loads(request.data or b"{}")
        terms = {
            k: v
            for clause in query.get("query", {}).get("bool", {}).get("must", [])
            for k, v in clause.get("term", {}).items()
        }
        repo = next((r for r in state.repos.values() if f"{r.name}_files" == index), None)
        wanted = terms.get("dataset_id.keyword")
        hits = (
            []
            if repo is None
            else [
                {"_index": index, "_source": {"dataset_id": wanted, "src_uri": f"polly:data://{repo.name}/data/{p}"}}
                for p, f in sorted(repo.files.items())
                if f["dataset_id"] == wanted
            ]
        )
        return Response(json.dumps({"hits": {"hits": hits}}), mimetype="application/json")

    @app.post("/v1/omixatlases/workspace_jobs")
    def _workspace() -> Response:
        body = json.loads(request.data or b"{}")
        return _body(
            {"data": {"type": "workspaces", "id": "job-1", "attributes": body.get("data", {}).get("attributes", {})}}
        )

    return app


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host", "expect"}
_EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code>'
    b"<Message>The provided token has expired.</Message></Error>"
)


def create_s3_front(state: EmulatorState, moto_url: str) -> Flask:
    """S3 as clients see it: moto behind a thin front that refuses expired credentials the way S3 does."""
    import requests

    app = Flask("omix-s3-front")
    forward = requests.Session()

    @app.route("/", defaults={"path": ""}, methods=["GET", "PUT", "POST", "DELETE", "HEAD"])
    @app.route("/<path:path>", methods=["GET", "PUT", "POST", "DELETE", "HEAD"])
    def _proxy(path: str) -> Response:
        with state.lock:
            state.s3_requests.append((request.method, request.full_path.rstrip("?")))
        credential = request.headers.get("Authorization", "").partition("Credential=")[2].split("/", 1)[0]
        with state.lock:
            expired = credential in state.expired_keys
        if expired:
            return Response(_EXPIRED, status=400, mimetype="application/xml")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        query = request.query_string.decode()
        upstream = forward.request(
            request.method,
            f"{moto_url}/{path}" + (f"?{query}" if query else ""),
            headers=headers,
            data=request.get_data(),
            timeout=120,
        )
        response = Response(upstream.content, status=upstream.status_code)
        for key, value in upstream.headers.items():
            if key.lower() not in _HOP_BY_HOP:
                response.headers[key] = value
        return response

    return app


def _exists(s3: Any, key: str) -> bool:
    return _etag(s3, key) is not None


def _etag(s3: Any, key: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(s3.head_object(Bucket=BUCKET, Key=key)["ETag"])
    except ClientError:  # 404: no such object
        return None


class EmulatorServer:
    """The emulator and its S3 store, started on loopback ports; a context manager for tests and `omix emulator`."""

    def __init__(self, *, token: str, host: str = "127.0.0.1", port: int = 0, s3_port: int = 0) -> None:
        import logging

        from moto.server import ThreadedMotoServer
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the user's terminal

        self.host = host
        moto_port = _free_port(host)
        self._moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
        self._moto.start()
        self.state = EmulatorState(token, f"http://{host}:{moto_port}")
        self.state.s3().create_bucket(Bucket=BUCKET)
        handler = _quiet_handler()
        self._servers = [
            make_server(host, port, create_app(self.state), threaded=True, request_handler=handler),
            make_server(
                host,
                s3_port,
                create_s3_front(self.state, self.state.s3_endpoint),
                threaded=True,
                request_handler=handler,
            ),
        ]
        self.port, self.s3_port = (s.server_port for s in self._servers)
        self.url, self.s3_url = f"http://{host}:{self.port}", f"http://{host}:{self.s3_port}"
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def add_repo(self, repo_id: str, name: str, schemas: dict[str, Any]) -> None:
        self.state.add_repo(repo_id, name, schemas)

    def arm(self, kind: str, count: int = 1, path: str = "", **extra: Any) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(kind, count, path, **extra))

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
        self._moto.stop()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for clients that ask

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return QuietHandler


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
