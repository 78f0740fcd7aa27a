"""Registry authentication: anonymous, basic, and the bearer-token flow.

A registry answers 401 with `WWW-Authenticate: Basic realm=...` (send the username and
password on every request) or `Bearer realm=...,service=...,scope=...` (ask the token
server at `realm` for a token for that scope, with the username and password as basic
auth if there are any, then send `Authorization: Bearer TOKEN`). Tokens are cached per
scope until they expire. Nothing here logs or repeats a password or a token.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from mamori.sources.registry.credentials import Credentials
from mamori.sources.registry.errors import RegistryError, scrub
from mamori.sources.registry.http import Http, read_limited, safe_url

MAX_HEADER = 8192
MAX_TOKEN_RESPONSE = 1024 * 1024
MIN_TOKEN_LIFETIME = 60  # seconds, as docker assumes when expires_in is absent or smaller
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_PARAM = re.compile(r'\s*([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?', re.S)
_SCHEME = re.compile(r"\s*,?\s*([A-Za-z0-9_\-]+)(?:\s+|$)")


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower case: "basic", "bearer"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(headers: Sequence[str]) -> list[Challenge]:
    """The challenges of WWW-Authenticate headers (RFC 7235): `Bearer realm="r",
    scope="repository:a:pull,push"`; quoted values may hold commas. Never raises."""
    found: list[Challenge] = []
    for header in headers:
        text = header[:MAX_HEADER]
        pos = 0
        while pos < len(text) and len(found) < 16:
            scheme = _SCHEME.match(text, pos)
            if scheme is None:
                break
            pos = scheme.end()
            params: dict[str, str] = {}
            while (param := _PARAM.match(text, pos)) is not None and param.end() > pos:
                quoted, bare = param.group(2), param.group(3)
                value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
                params.setdefault(param.group(1).lower(), value)
                pos = param.end()
            found.append(Challenge(scheme.group(1).lower(), params))
    return found


@dataclass(frozen=True, slots=True, repr=False)
class Token:
    value: str
    expires: float  # on the monotonic clock

    def __repr__(self) -> str:
        return "Token(***)"


class Authenticator:
    """Decides the Authorization header for each request and handles 401 challenges."""

    def __init__(
        self,
        credentials: Credentials | None,
        http: Http,
        *,
        plain_allowed: Callable[[httpx.URL], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.scheme: str | None = None  # learned from the registry's challenge
        self._http = http
        self._plain_allowed = plain_allowed
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"Authenticator(scheme={self.scheme!r}, credentials={self.credentials!r}, "
            f"tokens={len(self._tokens)})"
        )

    def secrets(self) -> list[str]:
        out = list(self.credentials.secrets()) if self.credentials else []
        return out + [t.value for t in self._tokens.values()]

    def note(self, response: httpx.Response) -> None:
        """Remember which scheme the registry asks for (from the /v2/ ping)."""
        for challenge in parse_challenges(response.headers.get_list("www-authenticate")):
            if challenge.scheme in ("basic", "bearer"):
                self.scheme = challenge.scheme
                return

    def header(self, scope: str) -> str | None:
        """The Authorization header to send with a request needing `scope`."""
        if self.scheme == "basic" and self.credentials is not None:
            return self.credentials.basic()
        if self.scheme == "bearer":
            token = self._tokens.get(scope)
            if token is not None and token.expires > self._clock():
                return f"Bearer {token.value}"
        return None

    def refresh(self, response: httpx.Response, scope: str, sent: str | None) -> bool:
        """After a 401: get what the challenge asks for. False when there is nothing new
        to try (no credentials, or the same ones were just refused)."""
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer" and "realm" in c.params), None)
        if bearer is not None:
            self.scheme = "bearer"
            wanted = bearer.params.get("scope") or scope
            self._tokens[scope] = self._fetch_token(bearer, wanted)
            return self.header(scope) != sent
        if any(c.scheme == "basic" for c in challenges) and self.credentials is not None:
            self.scheme = "basic"
            return self.credentials.basic() != sent
        return False

    def _fetch_token(self, challenge: Challenge, scope: str) -> Token:
        realm = challenge.params["realm"]
        try:
            url = httpx.URL(realm)
        except (httpx.InvalidURL, ValueError):
            raise RegistryError(f"the registry named a bad token realm {realm[:100]!r}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise RegistryError(f"the registry named a bad token realm {safe_url(url)}")
        if url.scheme == "http" and not self._plain_allowed(url):
            raise RegistryError(
                f"the token realm {safe_url(url)} uses plain HTTP; refusing to send "
                "credentials there (use --insecure to allow it)"
            )
        params = {"scope": scope}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        url = url.copy_merge_params(params)
        headers = {"Accept": "application/json"}
        if self.credentials is not None:
            headers["Authorization"] = self.credentials.basic()
        where = safe_url(url)

        def attempt() -> bytes:
            self.token_requests += 1
            resp = self._http.open("GET", url, headers)
            if resp.status_code in (401, 403):
                resp.close()
                who = (
                    f"the credentials from {self.credentials.source}"
                    if self.credentials
                    else "anonymous access"
                )
                raise RegistryError(
                    f"the token server {where} refused {who} "
                    f"({resp.status_code} {resp.reason_phrase})",
                    status=resp.status_code,
                )
            if resp.status_code != 200:
                resp.close()
                raise RegistryError(
                    f"the token server {where} answered {resp.status_code}",
                    status=resp.status_code,
                )
            return read_limited(resp, MAX_TOKEN_RESPONSE, "the token response")

        body = self._http.retrying(f"getting a token from {where}", attempt)
        return self._parse_token(body, where)

    def _parse_token(self, body: bytes, where: str) -> Token:
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise RegistryError(f"the token server {where} sent no JSON") from None
        if not isinstance(doc, dict):
            raise RegistryError(f"the token server {where} sent no JSON object")
        value = doc.get("token") or doc.get("access_token")
        if not isinstance(value, str) or len(value) > 64 * 1024 or not _TOKEN.fullmatch(value):
            raise RegistryError(f"the token server {where} sent no usable token")
        lifetime = doc.get("expires_in")
        if not isinstance(lifetime, int) or isinstance(lifetime, bool):
            lifetime = MIN_TOKEN_LIFETIME
        lifetime = min(max(lifetime, MIN_TOKEN_LIFETIME), 24 * 3600)
        return Token(value, self._clock() + lifetime - 5)

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets())
