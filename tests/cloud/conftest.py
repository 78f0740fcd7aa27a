"""A real moto server on loopback, reset before each test; boto3 pointed at it.

The code under test is the code that talks to AWS: only AWS_ENDPOINT_URL differs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from mamori.cloud.aws import models
from mamori.cloud.aws.collect import Target
from tests.support import need

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = Path(sys.executable).with_name("moto_server")
    found = server.exists() or shutil.which("moto_server") is not None
    need(found, "moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [str(server) if server.exists() else "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.fail("moto server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A boto3 session against a freshly reset moto server."""
    httpx.post(f"{moto_url}/moto-api/reset", timeout=60).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return boto3.Session(region_name=REGION)


@pytest.fixture
def target(aws: boto3.Session) -> Target:
    """The account as the scanner sees it: a session with the slim API models, so a
    collector calling an operation it does not declare fails here."""
    from tests.cloud.storage_seed import s3control_on_loopback

    session = models.session(region_name=REGION)
    s3control_on_loopback(session)  # as tests do on `aws`: moto's S3 Control host name
    return Target(session=session, account=ACCOUNT)
