"""mamori's own default rules for cloud and cluster logs, in Falco's rule language.

One rules file per source, each with its tests in a sibling ``*.tests.yaml``
(``mamori rules test``) derived from realistic records in ``samples/X.yaml``
(`mamori.rules.default_cloud.records`)::

    from mamori.rules import load_files
    from mamori.rules.default_cloud import default_cloud_rule_files

    ruleset = load_files(default_cloud_rule_files())
    for record in read_cloudtrail("AWSLogs/"):
        for m in ruleset.match(record, "aws_cloudtrail"): ...

Detections that need state across events (counting, baselines) cannot be written in
Falco's language; they are small Python detectors emitting the same `Match` objects:
`mamori.rules.default_cloud.detectors.SecretReadBurst` (CloudTrail) and
`mamori.rules.default_cloud.vpcflow_detect` (flow logs). Lists and macros are named ``mamori_*`` and
are meant to be tuned from a file loaded afterwards (``override: {items: replace}``).
"""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).parent

LOAD_ORDER: tuple[str, ...] = ("aws_cloudtrail.yaml", "k8s_audit.yaml", "vpc_flow.yaml")
"""Rules files in load order (one per source; each defines its own lists and macros)."""


def default_cloud_rule_files() -> list[Path]:
    """The cloud ruleset's files, in the order they must be loaded."""
    return [RULES_DIR / name for name in LOAD_ORDER]


def default_cloud_test_files() -> list[Path]:
    """The tests files of the cloud ruleset (``X.tests.yaml`` beside ``X.yaml``)."""
    found = (RULES_DIR / name.replace(".yaml", ".tests.yaml") for name in LOAD_ORDER)
    return [p for p in found if p.is_file()]


def default_cloud_record_files() -> list[Path]:
    """The realistic records the tests files are derived from (``samples/X.yaml``)."""
    found = (RULES_DIR / "samples" / name for name in LOAD_ORDER)
    return [p for p in found if p.is_file()]
