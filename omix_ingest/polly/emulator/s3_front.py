"""S3 as clients see it: moto behind a thin front that refuses expired credentials the way S3 does, and plays
random faults (503 SlowDown, a late answer, a dropped connection, credentials that expire) when they are on."""

from __future__ import annotations

from flask import Flask, Response, request

from omix_ingest.polly.emulator.control import transport_fault
from omix_ingest.polly.emulator.state import EmulatorState

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host", "expect"}
_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
_EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code>'
    b"<Message>The provided token has expired.</Message></Error>"
)


def create_s3_front(state: EmulatorState, moto_url: str) -> Flask:
    import requests

    app = Flask("omix-s3-front")
    forward = requests.Session()

    @app.route("/", defaults={"path": ""}, methods=["GET", "PUT", "POST", "DELETE", "HEAD"])
    @app.route("/<path:path>", methods=["GET", "PUT", "POST", "DELETE", "HEAD"])
    def _proxy(path: str) -> Response:
        credential = request.headers.get("Authorization", "").partition("Credential=")[2].split("/", 1)[0]
        fault = state.take_fault(request.full_path, s3=True)
        with state.lock:
            state.s3_requests.append((request.method, request.full_path.rstrip("?")))
            if fault is not None and fault.kind == "expired_s3":
                state.expired_keys.add(credential)
            expired = credential in state.expired_keys
        if fault is not None and fault.kind == "5xx":
            return Response(_SLOW_DOWN, status=503, mimetype="application/xml")
        if fault is not None and fault.kind in ("slow", "drop"):
            dropped = transport_fault(fault)
            if dropped is not None:
                return dropped
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
