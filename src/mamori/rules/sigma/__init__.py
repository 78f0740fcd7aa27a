"""Sigma rules evaluated natively by the rules engine, beside Falco-language rules.

    from mamori.rules import load_files
    from mamori.rules.sigma import add_sigma, load_sigma

    ruleset = load_files(["aws_cloudtrail_rules.yaml"])     # Falco's language
    result = add_sigma(ruleset, ["sigma/rules/cloud/aws"])  # Sigma: same RuleSet
    result.errors, result.warnings                          # per file and rule
    for m in ruleset.match(record, "aws_cloudtrail"): ...

pySigma parses the rules (YAML, modifiers, conditions); `compile` turns each rule's
detection into a predicate over the raw CloudTrail record or Kubernetes audit event
(the same ``dict`` the ``aws_cloudtrail`` and ``k8s_audit`` sources evaluate), with
Sigma's semantics (`values`), field names mapped as `mapping` says. Each Sigma rule
becomes one engine `Rule` (tag ``sigma`` plus the rule's own tags, level mapped to a
priority), so selection, matching and outputs work as for any other rule.
"""

from mamori.rules.sigma.load import (
    SigmaLoadResult,
    SigmaMessage,
    add_sigma,
    load_sigma,
    load_sigma_text,
    sigma_files,
)
from mamori.rules.sigma.values import SigmaCompileError

__all__ = [
    "SigmaCompileError",
    "SigmaLoadResult",
    "SigmaMessage",
    "add_sigma",
    "load_sigma",
    "load_sigma_text",
    "sigma_files",
]
