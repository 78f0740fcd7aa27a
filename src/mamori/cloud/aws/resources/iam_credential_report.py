"""The IAM credential report (global): one resource per row, the root row included.

`aws.iam.credential_report_row`, id = the row's `user` ("<root_account>" for root),
arn = None (the user's ARN is `attributes["user_arn"]`, so the row's key never collides
with the `aws.iam.user` resource). Attributes are the report's columns, normalised:

    user_arn                          str
    user_creation_time, password_last_used, password_last_changed,
    password_next_rotation, access_key_N_last_rotated, access_key_N_last_used_date,
    cert_N_last_rotated               ISO-8601 UTC | None ("N/A", "no_information",
                                      "not_supported" all become None)
    password_enabled, mfa_active, access_key_N_active, cert_N_active
                                      bool | None (root's password_enabled: None)
    access_key_N_last_used_region, access_key_N_last_used_service   str | None
    report_generated                  ISO-8601 UTC: AWS reuses a report for 4 hours
    any column AWS adds later         kept as a string (or bool/None as above)

IAM builds the report asynchronously: GenerateCredentialReport is polled (bounded)
until COMPLETE, then GetCredentialReport returns the CSV.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from mamori.cloud.aws.context import AwsContext
from mamori.cloud.aws.resources._iam import iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

ROOT = "<root_account>"
_ABSENT = {"", "n/a", "no_information", "not_supported"}
_WAIT_SECONDS = 60.0  # IAM documents "within a few seconds"; large accounts take longer
_TIME_SUFFIXES = (
    "_time",
    "_last_used",
    "_last_changed",
    "_next_rotation",
    "_last_rotated",
    "_last_used_date",
)
_RETRY_CODES = {"ReportInProgress", "ReportNotPresent"}


def parse_value(column: str, value: str) -> Any:
    """One cell: booleans, timestamps as ISO UTC, AWS's placeholders as None."""
    text = value.strip()
    if text.lower() in _ABSENT:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if column.endswith(_TIME_SUFFIXES):
        try:
            return iso(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return text
    return text


def parse_report(content: bytes | str) -> list[dict[str, Any]]:
    """Rows of a credential report CSV as dicts; rows without a `user` are skipped.

    Malformed CSV raises ValueError, which the runner records against the type.
    """
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    rows: list[dict[str, Any]] = []
    try:
        for raw in csv.DictReader(io.StringIO(text.replace("\0", ""), newline="")):
            user = (raw.get("user") or "").strip()
            if user:
                rows.append(_row(user, raw))
    except csv.Error as exc:
        raise ValueError(f"malformed credential report: {exc}") from exc
    return rows


def _row(user: str, raw: dict[str | Any, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"user": user}
    for column, value in raw.items():
        if not isinstance(column, str) or column == "user" or not isinstance(value, str):
            continue  # extra cells of a ragged row have no column name
        name = "user_arn" if column == "arn" else column.strip()
        row[name] = parse_value(name, value)
    return row


@resource_type(
    "aws.iam.credential_report_row",
    service="iam",
    calls=("GenerateCredentialReport", "GetCredentialReport"),
    global_=True,
    id_field="user",
)
def credential_report(ctx: AwsContext) -> Iterator[CloudResource]:
    report = _fetch(ctx.client("iam"))
    generated = iso(report.get("GeneratedTime"))
    for row in parse_report(report["Content"]):
        user = row.pop("user")
        row["report_generated"] = generated
        yield ctx.resource("aws.iam.credential_report_row", user, attributes=row)


def _fetch(iam: Any) -> dict[str, Any]:
    deadline = time.monotonic() + _WAIT_SECONDS
    delay = 0.2
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            try:
                return dict(iam.get_credential_report())
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _RETRY_CODES:
                    raise
        if time.monotonic() + delay > deadline:
            raise TimeoutError(f"credential report not ready after {_WAIT_SECONDS:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
