"""No secrets in ENV or ARG: see metadata.yaml for why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result
from mamori.posture.checks.dockerfile import dockerfile_check
from mamori.posture.checks.dockerfile._common import judge_files
from mamori.posture.checks.dockerfile._secrets import secrets_in_env_arg as judge


@dockerfile_check(__file__)
class DockerfileNoSecretsInEnvArg:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_files(inventory, judge)
