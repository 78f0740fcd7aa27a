"""Base images name a version, not latest: see metadata.yaml for why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result
from mamori.posture.checks.dockerfile import dockerfile_check
from mamori.posture.checks.dockerfile._common import judge_files
from mamori.posture.checks.dockerfile._judges import base_not_latest as judge


@dockerfile_check(__file__)
class DockerfileBaseImageNotLatest:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_files(inventory, judge)
