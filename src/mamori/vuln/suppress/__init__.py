"""Suppression: the user's reasoned, expiring ignore rules and OpenVEX statements.

    rules = load_ignore_file(Path(".mamori-ignore.yaml")).rules
    kept, ignored, notices = apply_ignores(report.matches, rules, utcnow())
    kept, by_vex, more = apply_vex(kept, [load_vex(p) for p in vex_files], target=asset)

Suppressed matches are not dropped: the store keeps them as IGNORED findings with their
reason, so an audit can list every exception and who made it.
"""

from mamori.vuln.suppress.ignore import apply_ignores, glob_regex, path_matches, rule_matches
from mamori.vuln.suppress.ignorefile import (
    IgnoreFile,
    IgnoreRule,
    load_ignore_file,
    parse_ignore_file,
)
from mamori.vuln.suppress.openvex import (
    Justification,
    VexDocument,
    VexStatement,
    VexStatus,
    load_vex,
    parse_vex,
)
from mamori.vuln.suppress.purl import parse_purl, purl_matches
from mamori.vuln.suppress.result import Suppressed, SuppressionError, SuppressionKind
from mamori.vuln.suppress.vex import apply_vex, statement_applies, target_identifiers

__all__ = [
    "IgnoreFile",
    "IgnoreRule",
    "Justification",
    "Suppressed",
    "SuppressionError",
    "SuppressionKind",
    "VexDocument",
    "VexStatement",
    "VexStatus",
    "apply_ignores",
    "apply_vex",
    "glob_regex",
    "load_ignore_file",
    "load_vex",
    "parse_ignore_file",
    "parse_purl",
    "parse_vex",
    "path_matches",
    "purl_matches",
    "rule_matches",
    "statement_applies",
    "target_identifiers",
]
