"""A moto server on loopback, run inside the benchmark process.

In-process (moto's ThreadedMotoServer) rather than `moto_server` in a subprocess for one
reason: the seeder must back-date IAM timestamps (access-key creation and last use,
console password last use), which no AWS or moto API can set. Both scanners still talk
to it over HTTP through AWS_ENDPOINT_URL exactly as they would to AWS.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

ACCOUNT = "123456789012"  # moto's default account
HOME = "us-east-1"
REGIONS = ("us-east-1", "eu-west-1", "us-west-2")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_env(url: str) -> dict[str, str]:
    """The environment both scanners (and boto3 here) get: moto's URL, dummy credentials.

    S3 Control puts the account id in front of the host ("123456789012.127.0.0.1"), which
    does not resolve. It gets an endpoint of its own that cannot resolve either, reached
    through moto acting as a plain HTTP proxy; everything for 127.0.0.1 bypasses the proxy.
    """
    port = url.rsplit(":", 1)[1]
    proxy = {"HTTP_PROXY": url, "http_proxy": url, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return {
        **proxy,
        "AWS_ENDPOINT_URL_S3_CONTROL": f"http://s3-control.invalid:{port}",
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": HOME,
        "AWS_REGION": HOME,
    }


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on 127.0.0.1 (AWS managed policies loaded); yield its URL."""
    # Read by moto when the IAM backend is created: needed for AWSSupportAccess,
    # AdministratorAccess and friends to exist, and by Prowler's IAM checks.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(var, None)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # one line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ.update(client_env(url))
    try:
        yield url
    finally:
        server.stop()


def reset(url: str) -> None:
    """Forget every resource (moto's own reset API), before seeding the next size."""
    httpx.post(f"{url}/moto-api/reset", timeout=60).raise_for_status()


def _iam() -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT]["aws"]


def days_ago(days: int) -> datetime:
    # moto keeps naive UTC datetimes; AWS reports whole seconds (Prowler parses them so)
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def backdate_user(name: str, *, created: int, password_used: int | None) -> None:
    """Set a user's creation and console-password last use `created`/`..._used` days ago."""
    user = _iam().users[name]
    user.create_date = days_ago(created)
    user.password_last_used = None if password_used is None else days_ago(password_used)


def backdate_key(user: str, key_id: str, *, created: int, used: int | None) -> None:
    """Set an access key's creation (= last rotation) and last use, in days ago."""
    from moto.iam.models import AccessKeyLastUsed

    for key in _iam().users[user].access_keys:
        if key.access_key_id == key_id:
            key.create_date = days_ago(created)
            key.last_used = None if used is None else AccessKeyLastUsed(days_ago(used), "s3", HOME)
