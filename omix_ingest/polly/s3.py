"""S3 access for one ingestion: the temporary credentials Polly hands out, renewed once when S3 says they expired,
and the deletes that take back what an ingestion uploaded when it does not go in.

Why renewal lives here: every S3 call of an ingestion (data uploads, the combined metadata, the clean-up) can meet
expired credentials, and each must be renewed the same way, once, without ever showing the credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from omix_ingest.polly.client import PollyClient

T = TypeVar("T")
RENEWALS = 2  # credentials renewed in a row for one call before its ExpiredToken is final


def _s3_errors() -> tuple[type[Exception], ...]:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    return (S3UploadFailedError, ClientError, BotoCoreError, OSError)


S3_ERRORS = _s3_errors()


def expired(exc: Exception) -> bool:
    """S3 refused the credentials as expired (S3UploadFailedError carries the code only in its text). An answer to
    HEAD has no body, so there S3 says only "400 Bad Request"; that is taken as expiry too, since renewing costs
    one request to Polly and the call is tried again at most RENEWALS times."""
    if "ExpiredToken" in str(exc):
        return True
    return getattr(exc, "operation_name", None) == "HeadObject" and error_code(exc) == "400"


def error_code(exc: Exception) -> str | None:
    """The error code of an S3 answer (botocore's ClientError), None for other errors."""
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code is not None else None


class S3Access:
    """Credentials for `atlas` (uploads under `folder`), an S3 client made from them, and renewal on expiry."""

    def __init__(self, client: PollyClient, atlas: str, folder: str, endpoint: str | None) -> None:
        self.client, self.atlas, self.folder, self.endpoint = client, atlas, folder, endpoint
        self.credentials = client.upload_credentials(atlas, folder)  # PollyError when refused

    @property
    def bucket(self) -> str:
        return str(self.credentials["bucket_name"])

    @property
    def package(self) -> str:
        return str(self.credentials["package_name"])

    @property
    def metadata_key(self) -> str:
        return str(self.credentials["metadata_directory"])

    def renew(self) -> None:
        self.credentials = self.client.upload_credentials(self.atlas, self.folder)

    def call(self, operation: Callable[[Any], T]) -> T:
        """`operation(s3_client)`; on ExpiredToken the credentials are renewed and it runs again (at most
        RENEWALS times). Raises S3 errors, and PollyError when renewal is refused."""
        for _ in range(RENEWALS):
            try:
                return operation(self.s3())
            except S3_ERRORS as exc:
                if not expired(exc):
                    raise
            self.renew()
        return operation(self.s3())

    def s3(self) -> Any:
        import boto3
        from botocore.config import Config

        tokens = self.credentials["tokens"]
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            aws_access_key_id=tokens["AccessKeyId"],
            aws_secret_access_key=tokens["SecretAccessKey"],
            aws_session_token=tokens["SessionToken"],
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )

    def delete(self, keys: list[str]) -> None:
        """Delete objects (absent ones are no error in S3); raises when S3 cannot be reached or refuses."""
        for key in keys:
            self.call(lambda s3, k=key: s3.delete_object(Bucket=self.bucket, Key=k))  # type: ignore[misc]
