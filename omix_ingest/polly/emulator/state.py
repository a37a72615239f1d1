"""What the emulator knows (repositories, their files, armed faults) behind one lock, and the JSON:API answers it
gives; Flask serves requests on threads."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Response

API_TYPE = "application/vnd.api+json"
BUCKET = "omix-emulator"


def body(data: Any, status: int = 200) -> Response:
    """A JSON:API answer."""
    return Response(json.dumps(data), status=status, mimetype=API_TYPE)


def error(status: int, title: str, detail: str) -> Response:
    """A JSON:API error document, shaped like Polly's (the SDK reads `title` and `detail`)."""
    return body(
        {
            "errors": [
                {"status": str(status), "code": title.lower().replace(" ", "_"), "title": title, "detail": detail}
            ]
        },
        status,
    )


@dataclass
class Fault:
    """A fault armed for the next `count` requests whose path contains `path`."""

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
    """Everything the emulator knows, behind one lock."""

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
        """A repository by id or by name, as Polly's paths accept either."""
        with self.lock:
            return self.repos.get(key) or next((r for r in self.repos.values() if r.name == key), None)

    def repo_of_index(self, index: str) -> Repo | None:
        with self.lock:
            return next((r for r in self.repos.values() if f"{r.name}_files" == index), None)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.path in path:
                    fault.count -= 1
                    return fault
        return None

    def s3(self) -> Any:
        """A client of the S3 store behind the front (no credential checks)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )
