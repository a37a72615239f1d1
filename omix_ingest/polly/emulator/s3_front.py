"""S3 as clients see it: moto behind a thin front that refuses expired credentials the way S3 does."""

from __future__ import annotations

from flask import Flask, Response, request

from omix_ingest.polly.emulator.state import EmulatorState

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host", "expect"}
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
        with state.lock:
            state.s3_requests.append((request.method, request.full_path.rstrip("?")))
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
