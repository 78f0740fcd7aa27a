"""A client for the OCI distribution API v2, the part a pull needs: `GET /v2/`,
manifests by tag or digest, and blobs streamed to disk with their digest checked.

HTTPS is tried first; plain HTTP only for a loopback registry or with `insecure`
(which also skips certificate checks), as docker does.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from mamori.sources.image_json import Descriptor
from mamori.sources.registry.auth import Authenticator
from mamori.sources.registry.cache import CHUNK, BlobStore
from mamori.sources.registry.credentials import ENV_PASSWORD, ENV_USERNAME, Credentials
from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.http import (
    ClientOptions,
    Http,
    RetryableError,
    describe,
    read_limited,
)
from mamori.sources.registry.manifest import ACCEPT
from mamori.sources.registry.reference import ImageReference, check_digest

MAX_ERROR_BODY = 64 * 1024


@dataclass(frozen=True, slots=True, repr=False)
class Fetched:
    """A manifest's bytes as served, with its verified digest."""

    data: bytes
    content_type: str | None
    digest: str

    def __repr__(self) -> str:
        return f"Fetched({self.digest}, {len(self.data)} bytes)"


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """One registry and repository; use as a context manager."""

    def __init__(
        self,
        ref: ImageReference,
        *,
        credentials: Credentials | None = None,
        insecure: bool = False,
        options: ClientOptions | None = None,
    ) -> None:
        self.ref = ref
        self.insecure = insecure
        self.options = options or ClientOptions()
        self.http = Http(self.options, verify=not insecure, plain_allowed=self._plain_allowed)
        self.auth = Authenticator(credentials, self.http, plain_allowed=self._plain_allowed)
        self.base: str | None = None  # "https://host:port/v2/" once ping() found it

    def __repr__(self) -> str:
        return f"RegistryClient({self.ref}, base={self.base!r}, auth={self.auth!r})"

    def _plain_allowed(self, url: httpx.URL) -> bool:
        return self.insecure or is_loopback_host(url.host)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def ping(self) -> None:
        """Find the scheme the registry speaks and the auth scheme it asks for."""
        plain = self.insecure or self.ref.is_loopback
        schemes = ("https", "http") if plain else ("https",)

        https_failed: list[str] = []

        def attempt() -> httpx.Response:
            for scheme in schemes:
                base = f"{scheme}://{self.ref.host}/v2/"
                try:
                    response = self.http.open("GET", base, {})
                except RetryableError as exc:
                    if exc.connect and scheme != schemes[-1]:
                        https_failed.append(str(exc))
                        continue
                    raise
                self.base = base
                return response
            raise AssertionError("unreachable")  # pragma: no cover

        response = self.http.retrying(f"cannot reach the registry {self.ref.registry}", attempt)
        status = response.status_code
        if status == 400 and https_failed and self.base and self.base.startswith("http:"):
            response.close()  # an HTTPS server's answer to plain HTTP: say why HTTPS failed
            raise RegistryError(
                f"cannot reach the registry {self.ref.registry} over HTTPS "
                f"({https_failed[-1]}) and it refuses plain HTTP"
                + ("" if self.insecure else "; --insecure skips certificate checks")
            )
        if status not in (200, 401, 404):
            raise self._failure(response, f"the registry {self.ref.registry}")  # reads, closes
        response.close()
        if status == 401:
            self.auth.note(response)
        elif status == 404:
            raise RegistryError(
                f"{self.ref.registry} does not serve the registry API v2 (/v2/ answered 404)",
                status=404,
            )

    def _url(self, path: str) -> str:
        if self.base is None:
            self.ping()
        assert self.base is not None
        return f"{self.base}{self.ref.repository}/{path}"

    def _open(self, path: str, accept: str | None) -> httpx.Response:
        """One attempt at a GET, answering at most one auth challenge."""
        url = self._url(path)
        scope = self.ref.scope
        for round_ in (0, 1):
            headers = {"Accept": accept} if accept else {}
            sent = self.auth.header(scope)
            if sent:
                headers["Authorization"] = sent
            response = self.http.open("GET", url, headers)
            if response.status_code != 401:
                return response
            response.close()
            if round_ == 1 or not self.auth.refresh(response, scope, sent):
                raise self._unauthorized(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _unauthorized(self, response: httpx.Response) -> RegistryError:
        creds = self.auth.credentials
        where = self.ref.registry
        if creds is None:
            return RegistryError(
                f"{where} requires authentication to pull {self.ref.repository} "
                f"(401 Unauthorized): pass --username and --password, set {ENV_USERNAME} "
                f"and {ENV_PASSWORD}, or log in with podman or docker",
                status=401,
            )
        return RegistryError(
            f"{where} refused the credentials from {creds.source} for user "
            f"{creds.username!r} (401 Unauthorized)",
            status=401,
        )

    def _failure(self, response: httpx.Response, what: str) -> RegistryError:
        """A user-facing error for an unexpected answer, with the registry's own reason."""
        status = response.status_code
        try:
            body = read_limited(response, MAX_ERROR_BODY, "error body")
        except (RegistryError, RetryableError, httpx.StreamError):
            body = b""
        reason = self._reason(body)
        if status == 404:
            text = f"{what} not found"
        elif status == 403:
            text = f"access to {what} denied (403 Forbidden)"
        else:
            text = f"{what}: the registry answered {status} {response.reason_phrase}".rstrip()
        return RegistryError(f"{text}{f': {reason}' if reason else ''}", status=status)

    def _reason(self, body: bytes) -> str:
        try:
            doc = json.loads(body)
            first = doc["errors"][0]
            reason = f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
        except (ValueError, RecursionError, KeyError, IndexError, TypeError, AttributeError):
            return ""
        return self.auth.scrub(reason)

    def get_manifest(self, reference: str, *, size: int | None = None) -> Fetched:
        """A manifest by tag or digest; a digest (or the descriptor's size) is checked."""
        is_digest = ":" in reference
        if is_digest:
            check_digest(reference, "manifest reference")
        sep = "@" if is_digest else ":"
        what = f"manifest {self.ref.registry}/{self.ref.repository}{sep}{reference}"
        limit = self.options.max_manifest_bytes

        def attempt() -> tuple[bytes, str | None, str | None]:
            response = self._open(f"manifests/{reference}", ACCEPT)
            if response.status_code != 200:
                raise self._failure(response, what)
            headers = response.headers
            data = read_limited(response, limit, what)
            return data, headers.get("content-type"), headers.get("docker-content-digest")

        data, content_type, header_digest = self.http.retrying(what, attempt)
        algorithm = reference.partition(":")[0] if is_digest else "sha256"
        digest = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
        if is_digest and digest != reference:
            raise RegistryError(f"{what} arrived with digest {digest}")
        if (
            header_digest
            and header_digest.startswith(f"{algorithm}:")
            and header_digest.strip() != digest
        ):
            raise RegistryError(
                f"{what}: the registry says its digest is {header_digest.strip()[:80]}, "
                f"the bytes have {digest}"
            )
        if size is not None and len(data) != size:
            raise RegistryError(f"{what} is {len(data)} bytes, its descriptor says {size}")
        return Fetched(data, content_type, digest)

    def fetch_blob(
        self,
        desc: Descriptor,
        store: BlobStore,
        *,
        limit: int,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Path:
        """Stream a blob into `store`; `on_bytes(n)` hears the bytes received so far of
        the current attempt. Returns the verified file."""
        digest = check_digest(desc.digest, "blob digest")
        size = desc.size
        if size is None or size > limit:
            raise RegistryError(f"blob {digest} is {size} bytes, over the {limit}-byte cap")
        what = f"blob {digest}"

        def attempt() -> Path:
            response = self._open(f"blobs/{digest}", None)
            if response.status_code != 200:
                raise self._failure(response, what)
            with store.writer(digest, size) as writer:
                try:
                    for chunk in response.iter_bytes(CHUNK):
                        writer.write(chunk)
                        if on_bytes is not None:
                            on_bytes(writer.written)
                except httpx.TransportError as exc:
                    raise RetryableError(f"{what}: {describe(exc)}") from None
                except httpx.HTTPError as exc:
                    raise RegistryError(f"{what}: {describe(exc)}") from None
                finally:
                    response.close()
                if writer.written < size:
                    cut = f"{what} was cut off after {writer.written} of {size} bytes"
                    raise RetryableError(cut)
                return writer.commit()

        return self.http.retrying(what, attempt)
