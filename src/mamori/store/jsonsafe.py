"""Making what a collector hands over storable as JSON, without failing on odd input.

boto3 returns datetimes, some collectors build sets or tuples, a float may be NaN: none of
that may fail a save. Values are stored as JSON would read them back (timestamps as ISO
8601 text, sets as sorted lists, bytes and other objects as text, NaN and infinities as
null, non-text keys as text), so a snapshot compares the same before and after storage.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted((_clean(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _clean(value: Any) -> Any:
    """The slow path: walk the value, fixing keys and non-finite numbers on the way."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return _clean(_default(value))


def jsonable(value: Any) -> Any:
    """`value` itself when the JSON encoder takes it as it is (the usual case: one pass of
    the C encoder, no copy), else a converted copy."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (ValueError, TypeError):
        pass
    try:
        return json.loads(json.dumps(value, default=_default, allow_nan=False))
    except (ValueError, TypeError):  # NaN or a key the encoder refuses
        return _clean(value)
