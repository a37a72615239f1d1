"""Moving datasets between atlases (the elastic search that finds them, the ingestion transaction that moves them)
and workspace jobs."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from omix_ingest.polly.emulator.state import BUCKET, EmulatorState, body, error


def transfer_routes(state: EmulatorState) -> Blueprint:
    routes = Blueprint("transfers", __name__)

    @routes.post("/repositories/ingestion-transactions")
    def _move() -> Response:
        attributes = json.loads(request.data or b"{}").get("data", {}).get("attributes", {})
        source = state.repo(str(attributes.get("source_repo_id")))
        destination = state.repo(str(attributes.get("destination_repo_id")))
        if source is None or destination is None:
            return error(400, "Bad Request", "unknown source or destination repository")
        s3 = state.s3()
        prefix = f"polly:data://{source.name}/data/"
        for uri in attributes.get("datasets", []):
            path = str(uri)[len(prefix) :] if str(uri).startswith(prefix) else ""
            record = source.files.pop(path, None)
            if record is None:
                return error(400, "Bad Request", f"no dataset at {uri}")
            s3.copy_object(
                Bucket=BUCKET,
                Key=f"{destination.name}/data/{path}",
                CopySource={"Bucket": BUCKET, "Key": f"{source.name}/data/{path}"},
            )
            destination.files[path] = record
        return body({"data": {"type": "ingestion-transaction", "attributes": {"status": "accepted"}}})

    # The elastic base is `…/elastic/v2`; with one base URL for every API the short path is served too.
    @routes.post("/elastic/v2/<index>/_search")
    @routes.post("/<index>/_search")
    def _search(index: str) -> Response:
        query = json.loads(request.data or b"{}")
        terms = {
            k: v
            for clause in query.get("query", {}).get("bool", {}).get("must", [])
            for k, v in clause.get("term", {}).items()
        }
        repo = state.repo_of_index(index)
        wanted = terms.get("dataset_id.keyword")
        hits = []
        if repo is not None:
            hits = [
                {"_index": index, "_source": {"dataset_id": wanted, "src_uri": f"polly:data://{repo.name}/data/{p}"}}
                for p, f in sorted(repo.files.items())
                if f["dataset_id"] == wanted
            ]
        return Response(json.dumps({"hits": {"hits": hits}}), mimetype="application/json")

    @routes.post("/v1/omixatlases/workspace_jobs")
    def _workspace() -> Response:
        attributes = json.loads(request.data or b"{}").get("data", {}).get("attributes", {})
        return body({"data": {"type": "workspaces", "id": "job-1", "attributes": attributes}})

    return routes
