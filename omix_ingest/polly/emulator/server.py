"""The emulator app assembled from its parts, and a server that runs it and its S3 store on loopback ports."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from omix_ingest.polly.emulator.catalog import catalog_routes
from omix_ingest.polly.emulator.control import control_routes, install_gate
from omix_ingest.polly.emulator.files import files_routes
from omix_ingest.polly.emulator.s3_front import create_s3_front
from omix_ingest.polly.emulator.state import API_FAULTS, BUCKET, Chaos, EmulatorState, Fault
from omix_ingest.polly.emulator.transfers import transfer_routes


def create_app(state: EmulatorState) -> Flask:
    app = Flask("omix-polly-emulator")
    install_gate(app, state)
    for routes in (control_routes, catalog_routes, files_routes, transfer_routes):
        app.register_blueprint(routes(state))
    return app


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
        apps = (create_app(self.state), create_s3_front(self.state, self.state.s3_endpoint))
        self._servers = [
            make_server(host, bound, app, threaded=True, request_handler=handler)
            for bound, app in zip((port, s3_port), apps, strict=True)
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

    def chaos(self, p: float, seed: int = 0, kinds: tuple[str, ...] = API_FAULTS, **extra: Any) -> None:
        """Random faults on every request with probability p (0 turns them off); see `Chaos`."""
        with self.state.lock:
            self.state.chaos = Chaos(p, seed, kinds, **extra) if p else None

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
