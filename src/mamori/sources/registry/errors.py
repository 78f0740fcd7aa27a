"""The one exception a pull raises, and the scrubbing that keeps secrets out of it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mamori.sources.image_types import ImageError

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


class RegistryError(ImageError):
    """A pull failed. The message is written for the user and never holds a password,
    a token or a signed URL's query string.

    A subclass of ImageError, so code that already reports unreadable images reports
    this too.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status behind the failure, when there was one


def scrub(text: str, secrets: Iterable[str], limit: int = 300) -> str:
    """`text` from a remote party, made safe to show: secrets masked, control characters
    removed (no terminal escapes), cut to `limit` characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _UNPRINTABLE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
