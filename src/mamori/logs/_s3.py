"""S3 plumbing for the log readers: URLs, the client, object bodies, error codes.

boto3 is imported only when a client is made, so importing the readers stays cheap.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from typing import Any

_BUCKET = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}")
THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                       "TooManyRequestsException", "ServiceUnavailable", "503"})  # fmt: skip
DENIED = frozenset({"AccessDenied", "AllAccessDisabled", "403", "InvalidAccessKeyId"})


class S3UrlError(ValueError):
    """Not an ``s3://bucket[/prefix]`` URL."""


@dataclass(frozen=True, slots=True)
class S3Url:
    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, url: str) -> S3Url:
        if not url.startswith("s3://"):
            raise S3UrlError(f"{url!r}: expected s3://bucket[/prefix]")
        bucket, _, prefix = url[5:].partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise S3UrlError(f"{url!r}: {bucket!r} is not a bucket name")
        return cls(bucket, prefix.lstrip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


class TransportError(Exception):
    """Reading an object's body failed on the way (timeout, reset): not the object's
    fault, so not a corrupt-object warning. botocore's read timeout is an OSError,
    which the log parser would otherwise take for a damaged file."""


def s3_client(region: str | None = None) -> Any:
    """An S3 client with the SDK's default credential chain, adaptive retries (S3's
    ``SlowDown`` is retried with backoff; 6 attempts unless ``AWS_MAX_ATTEMPTS`` says),
    bounded timeouts and enough connections for the prefetching readers."""
    import boto3
    from botocore.config import Config

    retries: dict[str, Any] = {"mode": "adaptive"}
    if not os.environ.get("AWS_MAX_ATTEMPTS"):
        retries["max_attempts"] = 6
    config = Config(
        retries=retries,  # type: ignore[arg-type]
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=16,
        user_agent_extra="mamori-logs-s3",
    )
    return boto3.session.Session(region_name=region).client("s3", config=config)


class Body(io.RawIOBase):
    """botocore's StreamingBody as a raw stream (it has `read` but no `readinto`);
    a failing read is a `TransportError`."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = read_body(self.body, len(view))
        view[: len(data)] = data
        return len(data)


def read_body(body: Any, size: int = -1) -> bytes:
    """`size` bytes (all with -1) of a StreamingBody; a failure is a `TransportError`."""
    try:
        return bytes(body.read(size) if size >= 0 else body.read())
    except Exception as exc:
        raise TransportError(f"{type(exc).__name__}: {error_message(exc)}") from exc


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    """The service's message, else the exception's text, cut to 300 characters. Never
    the request: botocore's messages carry no credentials."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", ""))[:300]
    return str(exc)[:300]
