"""What the emulator knows (repositories, their files, armed faults) behind one lock, and the JSON:API answers it
gives; Flask serves requests on threads."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
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
    delay: float = 5.0  # how late a `slow` answer comes
    late: float = 0.0  # any other answer comes this late (a refusal that takes its time)


# What a random fault may be: on the API every kind below, on S3 the kinds S3 itself can answer with.
API_FAULTS = ("5xx", "429", "slow", "drop", "expired_s3", "locked")
S3_FAULTS = ("5xx", "slow", "drop", "expired_s3")


@dataclass
class Chaos:
    """Random faults: each request meets one with probability `p`, its kind drawn uniformly (seeded, so a run can
    be replayed; request order across threads still varies a little)."""

    p: float
    seed: int = 0
    kinds: tuple[str, ...] = API_FAULTS
    s3: bool = True  # S3 requests too
    retry_after: int = 1
    delay: float = 5.0
    s3_delay: float = 0.5  # a slow S3 answer: S3 clients wait a minute, so this only adds latency
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self, s3: bool) -> Fault | None:
        if s3 and not self.s3:
            return None
        if self.rng.random() >= self.p:
            return None
        kinds = [k for k in self.kinds if k in S3_FAULTS] if s3 else list(self.kinds)
        if not kinds:
            return None
        delay = self.s3_delay if s3 else self.delay
        return Fault(self.rng.choice(kinds), 1, retry_after=self.retry_after, delay=delay)


@dataclass
class Repo:
    repo_id: str
    name: str
    schemas: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → {dataset_id, metadata, etag}
    handed_out: list[str] = field(default_factory=list)  # metadata_directory keys given with credentials, until
    # a commit finds them uploaded
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
        self.chaos: Chaos | None = None
        self.played: Counter[str] = Counter()  # faults played, by kind ("s3:" prefix on S3 requests)
        self.commit_lock = threading.Lock()  # commits run one at a time, as one ingestion queue would

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

    def take_fault(self, path: str, *, s3: bool = False) -> Fault | None:
        """An armed fault matching `path` (API requests only), else maybe a random one; counted as played."""
        with self.lock:
            chosen = None
            for fault in self.faults if not s3 else ():
                if fault.count > 0 and fault.path in path:
                    fault.count -= 1
                    chosen = fault
                    break
            if chosen is None and self.chaos is not None:
                chosen = self.chaos.draw(s3)
            if chosen is not None:
                self.played[("s3:" if s3 else "") + chosen.kind] += 1
                if "action=commit" in path:
                    self.played["commit:" + chosen.kind] += 1
            return chosen

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
