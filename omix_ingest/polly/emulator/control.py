"""The request gate (authentication, armed faults) and the emulator's own control endpoints under `/_emulator`."""

from __future__ import annotations

import socket
import time

from flask import Blueprint, Flask, Response, request

from omix_ingest.polly.emulator.state import Chaos, EmulatorState, Fault, body, error


def install_gate(app: Flask, state: EmulatorState) -> None:
    """Log every request, play an armed fault if one matches, then require the API key."""

    @app.before_request
    def _gate() -> Response | None:
        full = request.full_path.rstrip("?")
        state.requests.append((request.method, full))
        if request.path.startswith("/_emulator"):
            return None
        fault = state.take_fault(full)
        if fault is not None:
            time.sleep(fault.late)
            response = fault_response(state, fault)
            if response is not None:
                return response
        if request.headers.get("x-api-key") != state.token:
            return Response("", status=401)
        return None


def fault_response(state: EmulatorState, fault: Fault) -> Response | None:
    """The answer a fault gives instead of the real one; None lets the request through (after its side effect)."""
    if fault.kind == "5xx":
        return error(503, "Service Unavailable", "emulated outage")
    if fault.kind == "429":
        response = error(429, "Too Many Requests", "emulated rate limit")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.kind == "413":
        return error(413, "Payload Too Large", "page too large")
    if fault.kind == "locked":
        return error(403, "Repository Locked", "the repository is under maintenance")
    if fault.kind in ("slow", "drop"):
        return transport_fault(fault)
    if fault.kind == "expired_s3":
        with state.lock:
            state.expired_keys.add("next")
    return None


def transport_fault(fault: Fault) -> Response | None:
    """`slow` answers late (the request then goes through); `drop` closes the connection without an answer."""
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return None
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        connection.shutdown(socket.SHUT_RDWR)
    return Response(status=500)


def control_routes(state: EmulatorState) -> Blueprint:
    routes = Blueprint("control", __name__)

    @routes.post("/_emulator/faults")
    def _arm() -> Response:
        spec = request.get_json(force=True)
        with state.lock:
            if spec.get("kind") == "random":  # {"kind": "random", "p": 0.05, "seed": 7, ...}; p 0 disarms
                options = {k: v for k, v in spec.items() if k != "kind"}
                options["kinds"] = tuple(options.get("kinds", Chaos.__dataclass_fields__["kinds"].default))
                state.chaos = Chaos(**options) if options.get("p") else None
            else:
                state.faults.append(Fault(**spec))
        return body({"armed": spec})

    @routes.get("/_emulator/stats")
    def _stats() -> Response:
        with state.lock:
            return body(
                {"requests": len(state.requests), "s3_requests": len(state.s3_requests), "played": state.played}
            )

    @routes.get("/_emulator/state")
    def _state() -> Response:
        with state.lock:
            return body(
                {r.repo_id: {"name": r.name, "files": r.files, "commits": r.commits} for r in state.repos.values()}
            )

    return routes
