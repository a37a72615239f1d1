"""An atlas's files: upload credentials, the commit that makes uploaded datasets appear, listings and deletes."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, request

from omix_ingest.polly.emulator.state import BUCKET, EmulatorState, Repo, body, error


def files_routes(state: EmulatorState) -> Blueprint:
    routes = Blueprint("files", __name__)

    @routes.post("/repositories/<key>/files")
    def _files_post(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such repository {key}")
        if request.args.get("tokens") == "true":
            payload = request.get_json(force=True, silent=True) or {}
            folder = payload.get("data", {}).get("attributes", {}).get("folder", "")
            return body(hand_out_credentials(state, repo, str(folder or "")))
        if request.args.get("action") == "commit":
            commit(state, repo)
            return body({"data": {"type": "files", "attributes": {"status": "accepted"}}}, 202)
        return error(400, "Bad Request", "unknown files action")

    @routes.get("/repositories/<key>/files/")
    def _list_folders(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such repository {key}")
        dataset_id = request.args.get("dataset_id", "")
        with state.lock:
            paths = sorted(p for p, f in repo.files.items() if f["dataset_id"] == dataset_id)
        if not paths:
            return error(404, "Not Found", f"no files for dataset {dataset_id}")
        return body({"data": {"type": "files", "id": dataset_id, "attributes": {"file_paths": paths}}})

    @routes.get("/repositories/<key>/files")
    def _listing(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such repository {key}")
        size = int(request.args.get("page[size]", "100"))
        after = int(request.args.get("page[after]", "0"))
        include = request.args.get("include_metadata", "false").lower() == "true"
        with state.lock:
            return body(listing_page(repo, size, after, include))

    @routes.delete("/repositories/<key>/files/<path:file_path>")
    def _delete(key: str, file_path: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such repository {key}")
        if file_path not in repo.files:
            return error(404, "Not Found", f"no file {file_path}")
        with state.lock:
            repo.pending_deletes.add(file_path)
        return body({"data": {"type": "files", "id": file_path}}, 202)

    return routes


def hand_out_credentials(state: EmulatorState, repo: Repo, folder: str) -> dict[str, Any]:
    """Temporary S3 credentials and where to put the data and the combined metadata; an armed `expired_s3` fault
    makes these credentials already expired."""
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
            state.expired_keys.add(access)
    tokens = {
        "AccessKeyId": access,
        "SecretAccessKey": "emulator-secret",
        "SessionToken": f"session-{stamp}",
        "Expiration": "2000-01-01T00:00:00Z" if expired else "2999-01-01T00:00:00Z",
    }
    attributes = {"bucket_name": BUCKET, "package_name": package, "metadata_directory": metadata_key, "tokens": tokens}
    return {"data": {"type": "files", "id": repo.repo_id, "attributes": attributes}}


def commit(state: EmulatorState, repo: Repo) -> None:
    """Read every combined_metadata.json handed out and uploaded, and make its datasets appear; apply deletes;
    pick up data files re-uploaded to existing paths (data-only updates). A key handed out but not uploaded yet
    stays pending: its upload may still be on its way, and a later commit picks it up. Commits run one at a time
    and change the atlas under the lock, so a listing never sees half a commit."""
    s3 = state.s3()
    with state.commit_lock:
        with state.lock:
            keys = list(repo.handed_out)
            deletes, repo.pending_deletes = set(repo.pending_deletes), set()
        found: list[tuple[str, dict[str, Any]]] = []
        done = set()
        for key in keys:
            try:
                uploaded = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                continue
            done.add(key)
            found += [(str(e["id"]).strip("/"), e["attributes"]) for e in json.loads(uploaded).get("data", [])[1:]]
        stored = etags(s3, f"{repo.name}/data/")
        with state.lock:
            repo.handed_out = [k for k in repo.handed_out if k not in done]
            for path in deletes:
                repo.files.pop(path, None)
            for path, attributes in found:
                data_etag = stored.get(f"{repo.name}/data/{path}")
                if data_etag is None and path not in repo.files:
                    continue  # metadata without its data file is not ingested
                repo.files[path] = {
                    "dataset_id": attributes.get("dataset_id"),
                    "metadata": attributes,
                    "etag": data_etag,
                }
            for path, record in repo.files.items():
                record["etag"] = stored.get(f"{repo.name}/data/{path}") or record["etag"]
            repo.commits += 1


def listing_page(repo: Repo, size: int, after: int, include_metadata: bool) -> dict[str, Any]:
    """One page of the file listing, with the `links.next` the SDK follows."""
    paths = sorted(repo.files)
    items = [
        {"type": "files", "id": p, "attributes": {"metadata": _listed(repo.files[p], include_metadata)}}
        for p in paths[after : after + size]
    ]
    following = None
    if after + size < len(paths):
        following = (
            f"/repositories/{repo.repo_id}/files?page[size]={size}&page[after]={after + size}"
            f"&version=current&include_metadata={str(include_metadata).lower()}&data=true"
        )
    return {"data": items, "links": {"next": following}}


def _listed(record: dict[str, Any], include_metadata: bool) -> dict[str, Any]:
    return dict(record["metadata"]) if include_metadata else {"dataset_id": record["dataset_id"]}


def etags(s3: Any, prefix: str) -> dict[str, str]:
    """The ETag of every stored object under `prefix`, by key (one paginated listing, not a HEAD per object)."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        found.update({o["Key"]: str(o["ETag"]) for o in page.get("Contents", [])})
    return found
