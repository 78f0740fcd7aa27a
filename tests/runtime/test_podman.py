"""Container metadata from podman's REST API: a real ``podman system service`` on a
private socket, real containers (podman + runc), and ``podman inspect`` as the oracle.
The asynchronous cache is tested against a socket that never answers."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.runtime.podman import ContainerMetadata, PodmanClient, parse_inspect
from tests.runtime.test_podman_helpers import PODMAN_RUN, ensure_image, podman_service
from tests.support import need_root, need_tool

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)


@given(JSON)
@settings(max_examples=200, deadline=None)
def test_parse_inspect_never_crashes(doc: object) -> None:
    info = parse_inspect(doc)
    assert info is None or len(info.id) == 12


@given(st.dictionaries(st.sampled_from(["Id", "Name", "ImageName", "Config", "HostConfig",
                                        "Mounts", "NetworkSettings", "Image"]), JSON))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_parse_inspect_partial_documents(doc: dict[str, object]) -> None:
    doc["Id"] = "a" * 64
    info = parse_inspect(doc)
    assert info is not None and info.id == "a" * 12
    assert all(isinstance(v, str) for m in info.mounts for v in m.values())


def test_no_socket_is_unknown_and_fast(tmp_path: Path) -> None:
    client = PodmanClient(tmp_path / "absent.sock", timeout=0.5)
    started = time.monotonic()
    assert client.inspect("0123456789ab") is None
    assert time.monotonic() - started < 0.5
    assert client.inspect("../../etc") is None  # not an id: never sent


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that accepts connections and never answers (a hung daemon)."""
    path = tmp_path / "hung.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_hung_daemon_never_blocks_the_caller(silent_socket: Path) -> None:
    meta = ContainerMetadata(PodmanClient(silent_socket, timeout=0.3), retry_after=60)
    started = time.monotonic()
    for i in range(50):
        meta.request(f"{i:012x}")
    assert time.monotonic() - started < 0.05  # queued, not looked up
    assert meta.wait(2.0) == []  # every lookup timed out
    assert meta.failures >= 1 and meta.get("000000000000") is None
    before = meta.lookups
    meta.request("000000000000")  # failed recently: not asked again before retry_after
    assert meta.drain() == [] and meta.lookups == before
    meta.close()


def test_queue_is_bounded(silent_socket: Path) -> None:
    meta = ContainerMetadata(PodmanClient(silent_socket, timeout=0.2), max_pending=4)
    for i in range(20):
        meta.request(f"{i:012x}")
    assert meta.dropped >= 20 - 4 - 1  # the worker may have taken one off the queue
    meta.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    need_root()
    need_tool("podman")
    need_tool("runc")
    with podman_service(tmp_path_factory.mktemp("podman")) as sock:
        yield sock


def _inspect(podman: str, name: str) -> dict[str, object]:
    out = subprocess.run([podman, "inspect", name], check=True, capture_output=True).stdout
    doc = json.loads(out)[0]
    assert isinstance(doc, dict)
    return doc


def test_live_inspect_matches_podman_cli(service: Path, tmp_path: Path) -> None:
    podman = need_tool("podman")
    image = ensure_image(podman, tmp_path)
    name = f"mamori-podman-test-{time.monotonic_ns()}"
    volume = tmp_path / "vol"
    volume.mkdir()
    subprocess.run(
        [podman, *PODMAN_RUN, "-d", "--name", name, "--label", "tier=test",
         "--label", "owner=mamori", "-v", f"{volume}:/data:ro", image, "/bin/sleep", "30"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        oracle = _inspect(podman, name)
        full = str(oracle["Id"])
        client = PodmanClient(service)
        info = client.inspect(full[:12])
        assert info is not None
        assert info.id == full[:12] and info.type == "podman"
        assert info.name == name == oracle["Name"]
        assert info.image == oracle["ImageName"] == image
        assert (info.image_repository, info.image_tag) == tuple(image.rsplit(":", 1))
        assert info.image_id == oracle["Image"]
        assert info.labels == oracle["Config"]["Labels"] == {"tier": "test", "owner": "mamori"}  # type: ignore[index]
        assert info.privileged is False
        mounts = oracle["Mounts"]
        assert isinstance(mounts, list)
        assert (
            [(m["Source"], m["Destination"], m["RW"]) for m in info.mounts]
            == [(str(volume), "/data", "false")]
            == [(m["Source"], m["Destination"], str(m["RW"]).lower()) for m in mounts]
        )
        net = oracle["NetworkSettings"]
        assert isinstance(net, dict) and info.ip == net["IPAddress"]
        assert client.inspect(full) is not None  # the full id works too
        assert client.inspect("f" * 12) is None  # 404: unknown
        client.close()

        meta = ContainerMetadata(PodmanClient(service))
        meta.request(full[:12])
        found = meta.wait(10.0)
        assert [i.name for i in found] == [name]
        assert meta.get(full[:12]) is not None
        meta.close()
    finally:
        subprocess.run([podman, "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def test_live_privileged_container(service: Path, tmp_path: Path) -> None:
    podman = need_tool("podman")
    image = ensure_image(podman, tmp_path)
    name = f"mamori-podman-priv-{time.monotonic_ns()}"
    subprocess.run(
        [podman, *PODMAN_RUN, "-d", "--privileged", "--name", name, image, "/bin/sleep", "30"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        oracle = _inspect(podman, name)
        info = PodmanClient(service).inspect(str(oracle["Id"])[:12])
        assert info is not None and info.privileged is True
        assert oracle["HostConfig"]["Privileged"] is True  # type: ignore[index]
    finally:
        subprocess.run([podman, "rm", "-f", "-t", "0", name], capture_output=True, check=False)
