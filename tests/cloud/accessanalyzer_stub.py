"""A loopback stand-in for IAM Access Analyzer's ListAnalyzers (moto has no Access Analyzer).

It plays the one call the collector makes, GET /analyzer (REST-JSON), with the
documented response shape, paginated by nextToken, per region (read from the SigV4
credential scope). botocore signs and parses for real: only the endpoint differs
(AWS_ENDPOINT_URL_ACCESSANALYZER), as with moto for the other services.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.cloud.conftest import ACCOUNT

ARN = "arn:aws:access-analyzer:{region}:" + ACCOUNT + ":analyzer/{name}"


def analyzer(region: str, name: str, type_: str, status: str) -> dict[str, Any]:
    return {
        "arn": ARN.format(region=region, name=name),
        "name": name,
        "type": type_,
        "status": status,
        "createdAt": "2024-01-02T03:04:05Z",
        "tags": {"team": "sec"},
    }


class Service:
    """Per-region state: a list of pages of analyzers, or an error (status, code)."""

    def __init__(self) -> None:
        self.pages: dict[str, list[list[dict[str, Any]]]] = {}
        self.errors: dict[str, tuple[int, str]] = {}


def handler(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            scope = re.search(
                r"Credential=[^/]+/\d+/([^/]+)/", self.headers.get("Authorization", "")
            )
            region = scope.group(1) if scope else ""
            url = urlparse(self.path)
            if url.path != "/analyzer":
                return self.reply(404, {"message": "unknown"}, "ResourceNotFoundException")
            if region in service.errors:
                status, code = service.errors[region]
                return self.reply(status, {"message": "denied"}, code)
            pages = service.pages.get(region, [[]])
            index = int(parse_qs(url.query).get("nextToken", ["0"])[0])
            body: dict[str, Any] = {"analyzers": pages[index]}
            if index + 1 < len(pages):
                body["nextToken"] = str(index + 1)
            self.reply(200, body)

        def reply(self, status: int, body: dict[str, Any], code: str = "") -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if code:
                self.send_header("x-amzn-ErrorType", code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    service = Service()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(service))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", f"http://127.0.0.1:{server.server_port}")
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
