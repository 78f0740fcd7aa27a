"""Rule priorities, named and ordered as Falco's (``falco_common``)."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """Lower value = more severe, as syslog (and Falco) order them."""

    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFORMATIONAL = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        """As Falco prints it: ``Warning``, ``Informational``..."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, text: str) -> Priority | None:
        """Case-insensitive; ``info`` is accepted for ``informational`` as in Falco."""
        key = text.strip().upper()
        if key == "INFO":
            return cls.INFORMATIONAL
        return cls.__members__.get(key)
