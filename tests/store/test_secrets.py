"""The database password never shows: not in repr, errors or logs."""

from __future__ import annotations

import logging
import socket
import urllib.parse

import pytest
from sqlalchemy.engine import make_url

from mamori.store import Store, StoreError, mask_url

SECRET = "s3cr3t-P@ss:w/rd"
ENCODED = urllib.parse.quote(SECRET, safe="")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_mask_url() -> None:
    url = make_url(f"postgresql+psycopg://alice:{ENCODED}@db:5432/x")
    assert url.password == SECRET
    assert "s3cr3t" not in mask_url(url) and "***" in mask_url(url)


def test_unreachable_server_error_hides_the_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://alice:{ENCODED}@127.0.0.1:{_closed_port()}/nothing?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        Store.open(url)
    shown = f"{info.value}\n{info.value!r}\n{info.value.__cause__!r}\n{caplog.text}"
    assert "s3cr3t" not in shown and "%40ss" not in shown
    assert "alice:***@127.0.0.1" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_invalid_url_is_not_echoed() -> None:
    with pytest.raises(StoreError) as info:
        Store.open(f"not a url :// {SECRET}")
    assert "s3cr3t" not in str(info.value)


@pytest.mark.postgres
def test_open_store_repr_masks_the_password(pg_database_url_with_password: str) -> None:
    with Store.open(pg_database_url_with_password) as store:
        assert "s3cr3t" not in repr(store) and "s3cr3t" not in store.url
        assert "***" in repr(store)
        assert "s3cr3t" not in repr(store.engine)
