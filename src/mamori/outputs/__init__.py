"""Output formats, one module each, registered in `outputs`.

An output renders a ScanReport to a text stream. It never computes results: engines do.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, TextIO

from mamori.model import ScanReport
from mamori.registry import Registry


class Output(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]

    def render(self, report: ScanReport, out: TextIO) -> None: ...


outputs: Registry[type[Output]] = Registry(
    "output format", "mamori.outputs", modules={"json": "json_output", "csv": "csv_output"}
)
