"""Who the caller is, which atlases exist and their schemas: the read-only discover and v2 endpoints."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, request

from omix_ingest.polly.emulator.state import API_TYPE, EmulatorState, body, error

# The schema map's names for the schema types an atlas may hold.
SCHEMA_TYPES = {
    "datasets": "files",
    "samples": "gct_metadata",
    "features": "gct_row_metadata",
    "samples_singlecell": "h5ad_metadata",
}


def catalog_routes(state: EmulatorState) -> Blueprint:
    routes = Blueprint("catalog", __name__)

    @routes.get("/users/me")
    @routes.get("/auth/users/me")
    def _me() -> Response:
        return body(
            {
                "data": {
                    "type": "users",
                    "id": "4242",
                    "attributes": {"email": "curator@example.org", "first_name": "Cura", "last_name": "Tor"},
                }
            }
        )

    @routes.get("/v1/omixatlases/<key>")
    def _atlas(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such atlas {key}")
        return body(
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

    @routes.get("/repositories/<key>/schemas")
    def _schema_map(key: str) -> Response:
        repo = state.repo(key)
        if repo is None:
            return error(404, "Not Found", f"no such repository {key}")
        held = {k: v for k, v in SCHEMA_TYPES.items() if v in repo.schemas}
        return body({"data": {"type": "schemas", "repository_id": repo.repo_id, "attributes": {"schemas": held}}})

    @routes.get("/repositories/<key>/schemas/<schema_type>")
    def _schema(key: str, schema_type: str) -> Response:
        repo = state.repo(key)
        if repo is None or schema_type not in repo.schemas:
            return error(404, "Not Found", f"no {schema_type} schema for {key}")
        served = repo.schemas[schema_type]  # bytes are served as they are (a broken answer, for tests)
        document = served if isinstance(served, bytes) else json.dumps(served).encode()
        canonical = document if isinstance(served, bytes) else json.dumps(served, sort_keys=True).encode()
        etag = f'"{hashlib.sha256(canonical).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            with state.lock:
                state.not_modified += 1
            return Response(status=304)
        answer = Response(document, mimetype=API_TYPE)
        answer.headers["ETag"] = etag
        return answer

    return routes
