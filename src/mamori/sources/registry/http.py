"""HTTP for the registry client: bounded retries with backoff, redirects followed by
hand so the Authorization header never reaches another origin, and URLs made safe to
show (no user info, no query string: blob-storage redirects carry signatures there).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from mamori import __version__
from mamori.sources.registry.errors import RegistryError

log = logging.getLogger(__name__)
MiB = 1024 * 1024
GiB = 1024 * MiB
USER_AGENT = f"mamori/{__version__}"
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
T = TypeVar("T")
EventHook = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry 408/429/5xx answers and connection errors."""

    attempts: int = 4  # tries in all, the first included
    base_delay: float = 0.5  # doubled after each failure, with jitter
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is cut to this

    def delay(self, failures: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        return backoff * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not crypto


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Knobs of the registry client; the defaults suit real registries, tests lower the
    caps and swap the transport, the sleep function or add event hooks."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 60.0
    max_redirects: int = 5
    max_manifest_bytes: int = 4 * MiB
    max_config_bytes: int = 64 * MiB
    max_layer_bytes: int = 16 * GiB
    transport: httpx.BaseTransport | None = None
    event_hooks: Mapping[str, Sequence[EventHook]] | None = None
    sleep: Callable[[float], None] = time.sleep


class RetryableError(Exception):
    """One attempt failed in a way worth trying again."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, connect: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.connect = connect  # no connection at all (refused, TLS handshake failed)


def safe_url(url: httpx.URL | str) -> str:
    """The URL without user info and query string, for messages and logs."""
    url = httpx.URL(url)
    return str(url.copy_with(userinfo=b"", query=None, fragment=None))


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (`120` or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value[:7]), 10**6))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class Http:
    """An httpx client with the registry's rules for retries and redirects."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        verify: bool,
        plain_allowed: Callable[[httpx.URL], bool],
    ) -> None:
        self.options = options
        self._plain_allowed = plain_allowed
        hooks = {k: list(v) for k, v in (options.event_hooks or {}).items()}
        self.client = httpx.Client(
            transport=options.transport,
            verify=verify,
            timeout=httpx.Timeout(options.timeout, connect=min(options.timeout, 15.0)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            event_hooks=hooks,
            trust_env=True,  # HTTPS_PROXY, SSL_CERT_FILE; httpx reads no netrc
        )

    def close(self) -> None:
        self.client.close()

    def retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it returns, retrying RetryableError failures with backoff."""
        policy = self.options.retry
        for failures in range(1, policy.attempts + 1):
            try:
                return attempt()
            except RetryableError as exc:
                if failures >= policy.attempts:
                    raise RegistryError(
                        f"{what}: {exc} (gave up after {policy.attempts} attempts)"
                    ) from None
                delay = policy.delay(failures, exc.retry_after)
                log.debug("%s: %s; retrying in %.1fs", what, exc, delay)
                self.options.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def open(self, method: str, url: httpx.URL | str, headers: Mapping[str, str]) -> httpx.Response:
        """One attempt: send, follow redirects, and return the final response unread
        (the caller closes it). 408/429/5xx and connection errors raise RetryableError."""
        url = httpx.URL(url)
        start = origin(url)
        sent = dict(headers)
        for _hop in range(self.options.max_redirects + 1):
            try:
                response = self.client.send(
                    self.client.build_request(method, url, headers=sent), stream=True
                )
            except httpx.TransportError as exc:
                connect = isinstance(exc, httpx.ConnectError)
                reason = f"{describe(exc)} ({safe_url(url)})"
                raise RetryableError(reason, connect=connect) from None
            status = response.status_code
            log.debug("%s %s -> %d", method, safe_url(url), status)
            if status in REDIRECT_STATUSES and "location" in response.headers:
                response.close()
                url = self._next(url, response.headers["location"])
                if origin(url) != start:
                    sent.pop("Authorization", None)  # never hand credentials to another host
                continue
            if status in RETRY_STATUSES:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                response.close()
                reason = f"{status} {response.reason_phrase}".strip()
                raise RetryableError(f"the server answered {reason}", retry_after)
            return response
        raise RegistryError(
            f"too many redirects (more than {self.options.max_redirects}) from {safe_url(url)}"
        )

    def _next(self, url: httpx.URL, location: str) -> httpx.URL:
        try:
            new = url.join(location)
        except (httpx.InvalidURL, ValueError):
            raise RegistryError(f"bad redirect from {safe_url(url)}") from None
        if new.scheme not in ("http", "https"):
            raise RegistryError(f"redirect to a {new.scheme or 'relative'} URL refused")
        if new.scheme == "http" and url.scheme == "https" and not self._plain_allowed(new):
            raise RegistryError(f"redirect from HTTPS to plain HTTP refused ({safe_url(new)})")
        return new


def read_limited(response: httpx.Response, limit: int, what: str) -> bytes:
    """The body of `response`, refusing more than `limit` bytes (RegistryError)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise RegistryError(f"{what} is {int(declared)} bytes, over the {limit}-byte cap")
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise RegistryError(f"{what} is larger than the {limit}-byte cap")
            chunks.append(chunk)
    except httpx.TransportError as exc:
        raise RetryableError(f"{what}: {describe(exc)}") from None
    except httpx.HTTPError as exc:
        raise RegistryError(f"{what}: {describe(exc)}") from None
    finally:
        response.close()
    return b"".join(chunks)


def describe(exc: httpx.HTTPError) -> str:
    """A short reason without the request's headers."""
    kinds: dict[type[httpx.HTTPError], str] = {
        httpx.ConnectError: "cannot connect",
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "read timed out",
        httpx.RemoteProtocolError: "the connection broke off",
        httpx.DecodingError: "undecodable content encoding",
    }
    kind = kinds.get(type(exc), "network error")
    detail = str(exc).split("\n")[0][:160]
    return f"{kind}: {detail}" if detail else kind
