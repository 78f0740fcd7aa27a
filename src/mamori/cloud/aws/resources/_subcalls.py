"""Helpers for the logging and monitoring collectors (private: the registry skips `_` modules).

A collector lists items with one call and then needs a call or two per item. If one of
those per-item calls fails, the item is still reported: `attempt` records the failure in
the item's `errors` attribute ({API operation: "Code: message"}) and the matching
attribute is None, so a check can answer MANUAL for that item instead of guessing.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from mamori.cloud.aws.resources._common import attempt as attempt
from mamori.cloud.aws.resources._common import iso as iso


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
