"""Fixtures of the live detection tests: one agent per module, one podman API service
and one test image per session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.runtime.podman import ContainerMetadata, PodmanClient
from tests.detections.live import LiveAgent, ensure_image, need_live
from tests.runtime.test_podman_helpers import podman_service
from tests.support import need_tool


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("detections")


@pytest.fixture(scope="session")
def podman() -> str:
    need_live()
    need_tool("runc")
    return need_tool("podman")


@pytest.fixture(scope="session")
def image(podman: str, work: Path) -> str:
    return ensure_image(podman, work)


@pytest.fixture(scope="session")
def podman_socket(podman: str, work: Path) -> Iterator[Path]:
    with podman_service(work) as sock:
        yield sock


@pytest.fixture(scope="module")
def live() -> Iterator[LiveAgent]:
    need_live()
    agent = LiveAgent().start()
    yield agent
    agent.stop()
    _dump(agent)


@pytest.fixture(scope="module")
def live_podman(podman_socket: Path) -> Iterator[LiveAgent]:
    """The agent with podman metadata (container.name, image) for container modules."""
    need_live()
    agent = LiveAgent(ContainerMetadata(PodmanClient(podman_socket))).start()
    yield agent
    agent.stop()
    _dump(agent)


def _dump(agent: LiveAgent) -> None:
    """MAMORI_LIVE_ALERTS=FILE appends every alert the module's agent raised (the whole
    host's, as JSON lines): how to look for false positives of the runtime's own work."""
    target = os.environ.get("MAMORI_LIVE_ALERTS")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        for a in agent.matching():
            out.write(json.dumps({"rule": a.rule, "output": a.output}, default=str) + "\n")
