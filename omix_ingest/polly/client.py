"""The Polly OmixAtlas HTTP client: one `requests.Session`, timeouts on every call, retries with backoff and
jitter, JSON:API errors as typed exceptions, and a token that never appears in a URL, a log, a repr or a message.

Retries: GET and DELETE are retried on 429/5xx and connection errors, honouring Retry-After. Of the POSTs, two
are retried like them, because repeating them cannot duplicate work: asking for upload credentials (it hands out
a fresh key and metadata path, nothing is created until a commit) and the search used by `move` (a read). The
commit is sent again only after a 429 or a 503 (the server says it did not carry it out); once it went out with
no answer it is not repeated. The move transaction and the workspace job are sent once. A GET refused with
"Repository Locked" (maintenance) is asked again twice, after a pause; a locked write is not repeated.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from omix_ingest import __version__, secrets

TOKEN_ENV = secrets.TOKEN_ENV
JSON_API = "application/vnd.api+json"
DEFAULT_TIMEOUT = (5.0, 60.0)  # connect, read
RETRYABLE_STATUS = (429, 500, 502, 503, 504)
LOCKED = "Repository Locked"
LOCKED_READ_WAITS = (1.0, 2.0)  # x backoff: a read refused as locked (maintenance) is asked again twice


class PollyError(Exception):
    """A request to Polly failed. `status` is the HTTP status (0 when no answer came)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.status, self.title, self.detail = status, title, detail


class PollyAuthError(PollyError):
    """401: the token is invalid or expired."""


class PollyLockedError(PollyError):
    """The repository is locked for maintenance."""


class PollyUnreachable(PollyError):
    """No answer: connection refused or dropped, timeout, or retries exhausted."""


class _Token(requests.auth.AuthBase):
    """Adds the `x-api-key` header; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = secrets.Secret(token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["x-api-key"] = self._token.reveal()
        return request

    def __repr__(self) -> str:
        return "_Token(***)"


class _Adapter(HTTPAdapter):
    """Retries idempotent methods always, and POSTs as the client marks them: `safe` (repeating cannot duplicate
    work: retried like a GET) or `unprocessed` (retried only on answers that say the request was not carried out,
    429 and 503, never after a request went out and no answer came)."""

    RETRY_HEADER = "X-Omix-Retry"
    UNPROCESSED_STATUS = (429, 503)

    def __init__(self, retry: Retry) -> None:
        super().__init__(max_retries=retry)
        post = frozenset({*Retry.DEFAULT_ALLOWED_METHODS, "POST"})
        self._policies = {
            "safe": retry.new(allowed_methods=post),
            "unprocessed": retry.new(allowed_methods=post, read=0, status_forcelist=self.UNPROCESSED_STATUS),
        }
        self._default = retry
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        policy = self._policies.get(str(request.headers.pop(self.RETRY_HEADER, "")), self._default)
        with self._lock:  # max_retries is read by send(); swap it only for this request
            self.max_retries = policy
            try:
                return super().send(request, *args, **kwargs)
            finally:
                self.max_retries = self._default


@dataclass(frozen=True)
class Endpoints:
    discover: str
    v2: str
    auth: str
    elastic: str

    @classmethod
    def for_env(cls, env: str) -> Endpoints:
        return cls(
            f"https://api.discover.{env}.elucidata.io",
            f"https://v2.api.{env}.elucidata.io",
            f"https://apis.{env}.elucidata.io/auth",
            f"https://api.datalake.discover.{env}.elucidata.io/elastic/v2",
        )

    @classmethod
    def single(cls, base_url: str) -> Endpoints:
        """One base URL for everything (the emulator serves all paths on one port)."""
        base = base_url.rstrip("/")
        return cls(base, base, base, base)


class PollyClient:
    def __init__(
        self,
        token: str | None = None,
        env: str = "polly",
        *,
        base_url: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 5,
        backoff: float = 0.5,
    ) -> None:
        token = token or os.environ.get(TOKEN_ENV)
        if not token or not token.strip():
            raise PollyAuthError(401, "No token", f"pass a token or set {TOKEN_ENV}")
        try:
            token = secrets.clean_token(token)
        except secrets.TokenFormatError as exc:
            raise PollyAuthError(401, "Malformed token", str(exc)) from None
        self.endpoints = Endpoints.single(base_url) if base_url else Endpoints.for_env(env)
        self.timeout = timeout
        self.backoff = backoff
        self.session = requests.Session()
        self.session.auth = _Token(token)
        self.session.headers.update({"Content-Type": JSON_API, "User-Agent": f"omix-ingest/{__version__}"})
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            backoff_jitter=backoff / 2,
            status_forcelist=RETRYABLE_STATUS,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = _Adapter(retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"PollyClient(discover={self.endpoints.discover!r})"

    def close(self) -> None:
        self.session.close()

    # ---------------------------------------------------------------------------------------------- transport

    def request(
        self, method: str, url: str, *, retry: str = "", expect_json: bool = True, **kwargs: Any
    ) -> requests.Response:
        """`retry` for a POST: "safe" or "unprocessed" (see `_Adapter`); by default a POST is sent once."""
        headers = dict(kwargs.pop("headers", {}))
        if retry:
            headers[_Adapter.RETRY_HEADER] = retry
        for wait in (*LOCKED_READ_WAITS, None):
            try:
                return self._send(method, url, headers, kwargs)
            except PollyLockedError:
                if method != "GET" or wait is None:
                    raise
            time.sleep(wait * self.backoff)
        raise AssertionError("unreachable")  # the last pass returns or raises

    def _send(self, method: str, url: str, headers: dict[str, str], kwargs: dict[str, Any]) -> requests.Response:
        where = f"{method} {url.split('?', 1)[0]}"
        try:
            response = self.session.request(method, url, headers=dict(headers), timeout=self.timeout, **kwargs)
        except requests.exceptions.RetryError as exc:
            raise PollyUnreachable(0, "Gave up after retries", f"{where}: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise PollyUnreachable(0, "Timed out", f"{where}: no answer within {self.timeout[1]:.0f} s") from None
        except requests.exceptions.ConnectionError as exc:
            raise PollyUnreachable(0, "Connection failed", f"{where}: {_reason(exc)}") from None
        _raise_for_error(response, where)
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise PollyError(
                response.status_code, "Unexpected answer", f"{method} {url.split('?')[0]}: not JSON"
            ) from None

    # ---------------------------------------------------------------------------------------------- endpoints

    def me(self) -> dict[str, Any]:
        return dict(self.json("GET", f"{self.endpoints.auth}/users/me")["data"])

    def atlas(self, key: str) -> dict[str, Any]:
        return dict(self.json("GET", f"{self.endpoints.v2}/v1/omixatlases/{quote(key)}")["data"]["attributes"])

    def schema_map(self, repo: str) -> dict[str, str]:
        body = self.json("GET", f"{self.endpoints.discover}/repositories/{quote(repo)}/schemas?meta=true")
        return dict(body["data"]["attributes"]["schemas"])

    def schema(self, repo: str, schema_type: str, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """(document, etag); document is None when the server says the cached copy (etag) is current."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self.request(
            "GET", f"{self.endpoints.discover}/repositories/{quote(repo)}/schemas/{quote(schema_type)}", headers=headers
        )
        if response.status_code == 304:
            return None, etag
        try:
            document = response.json()
        except ValueError:
            raise PollyError(response.status_code, "Unexpected answer", f"schema {schema_type}: not JSON") from None
        return document, response.headers.get("ETag")

    def upload_credentials(self, repo: str, folder: str) -> dict[str, Any]:
        body = {"data": {"type": "files", "attributes": {"folder": folder}}}
        answer = self.json(
            "POST",
            f"{self.endpoints.discover}/repositories/{quote(repo)}/files?tokens=true",
            json=body,
            retry="safe",
        )
        return dict(answer["data"]["attributes"])

    def file_paths(self, repo: str, dataset_id: str) -> list[str]:
        """Paths of a dataset's files in the atlas; [] when it does not exist (the API answers 404)."""
        url = (
            f"{self.endpoints.discover}/repositories/{quote(repo)}/files/?list_folders=true"
            f"&dataset_id={quote(dataset_id)}"
        )
        try:
            body = self.json("GET", url)
        except PollyError as exc:
            if exc.status == 404:
                return []
            raise
        return [str(p) for p in body["data"]["attributes"]["file_paths"]]

    def listing(self, repo: str, *, page_size: int = 1000, include_metadata: bool = False) -> list[dict[str, Any]]:
        """Every file of an atlas, following `links.next`; a 413 halves the page size and asks again."""
        items: list[dict[str, Any]] = []
        after = 0
        while True:
            url = (
                f"{self.endpoints.discover}/repositories/{quote(repo)}/files?page[size]={page_size}"
                f"&page[after]={after}&include_metadata={str(include_metadata).lower()}&data=true&version=current"
            )
            try:
                body = self.json("GET", url)
            except PollyError as exc:
                if exc.status == 413 and page_size > 1:
                    page_size = max(1, page_size // 2)
                    continue
                raise
            items.extend(body.get("data", []))
            if not body.get("links", {}).get("next"):
                return items
            after += page_size

    def commit(self, repo: str) -> None:
        """Sent again only after a 429 or 503; a commit sent without an answer is the caller's to resolve."""
        self.request(
            "POST", f"{self.endpoints.discover}/repositories/{quote(repo)}/files?action=commit", retry="unprocessed"
        )

    def delete_file(self, repo: str, path: str) -> None:
        self.request("DELETE", f"{self.endpoints.discover}/repositories/{quote(repo)}/files/{quote(path)}")

    def search(self, index: str, dataset_id: str) -> list[dict[str, Any]]:
        query = {
            "query": {"bool": {"must": [{"term": {"_index": index}}, {"term": {"dataset_id.keyword": dataset_id}}]}}
        }
        body = self.json("POST", f"{self.endpoints.elastic}/{quote(index)}/_search", json=query, retry="safe")
        return list(body.get("hits", {}).get("hits", []))

    def move(self, source: str, destination: str, uris: list[str], priority: str) -> None:
        flags = dict.fromkeys(("file_metadata", "col_metadata", "row_metadata", "data_required"), "true")
        body = {
            "data": {
                "type": "ingestion-transaction",
                "attributes": {
                    "datasets": uris,
                    "source_repo_id": source,
                    "destination_repo_id": destination,
                    "priority": priority,
                    "flags": flags,
                },
            }
        }
        self.request("POST", f"{self.endpoints.discover}/repositories/ingestion-transactions", json=body)

    def save_to_workspace(self, repo: str, dataset_id: str, workspace_id: int, path: str) -> dict[str, Any]:
        body = workspace_job(repo, dataset_id, workspace_id, path)
        return dict(self.json("POST", f"{self.endpoints.v2}/v1/omixatlases/workspace_jobs?action=copy", json=body))


def workspace_job(repo: str, dataset_id: str, workspace_id: int, path: str, **extra: Any) -> dict[str, Any]:
    """The save-to-workspace request body (the local atlas answers in the same shape)."""
    attributes = {"dataset_id": dataset_id, "repo_id": repo, "workspace_id": workspace_id, "workspace_path": path}
    return {"data": {"type": "workspaces", "attributes": {**attributes, **extra}}}


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."


def _raise_for_error(response: requests.Response, where: str) -> None:
    """JSON:API error envelopes (any status) and statuses >= 400 become typed exceptions."""
    body: Any = None
    if response.content and "json" in response.headers.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
    error = None
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list) and body["errors"]:
            error = body["errors"][0]
        elif isinstance(body.get("error"), dict):
            error = body["error"]
    if response.status_code == 401:
        raise PollyAuthError(401, "Expired or Invalid Token", f"{where}: the token was refused; get a new one")
    if isinstance(error, dict):
        title, detail = str(error.get("title", "Error")), str(error.get("detail", ""))
        status = int(str(error.get("status") or response.status_code))
        if title == LOCKED:
            raise PollyLockedError(status, LOCKED, f"{where}: the atlas is locked for maintenance; try again later")
        raise PollyError(status, title, f"{where}: {detail}")
    if response.status_code >= 400:
        raise PollyError(response.status_code, response.reason or "HTTP error", where)
