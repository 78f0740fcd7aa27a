"""Secret detectors: known token formats (by prefix and shape), private keys, JWTs, AWS
secret keys beside their key id, and high-entropy `password = '...'` assignments.

A detector never hands the secret out: `detect` returns SecretMatch values holding the
rule, line, column and the masked form only, so nothing downstream can print it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mamori.model import Severity
from mamori.workload.secrets.entropy import placeholder, shannon
from mamori.workload.secrets.mask import mask

GENERIC_MIN_LENGTH = 10
GENERIC_MIN_ENTROPY = 3.3
AWS_SECRET_MIN_ENTROPY = 4.0
AWS_SECRET_DISTANCE = 5  # lines between a key id and its secret key
MAX_KEYWORDS_PER_LINE = 100  # secret-looking names judged per line


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity


RULES = {
    r.id: r
    for r in (
        Rule("secret_aws_access_key_id", "AWS access key id", Severity.HIGH),
        Rule("secret_aws_secret_access_key", "AWS secret access key", Severity.CRITICAL),
        Rule("secret_github_token", "GitHub token", Severity.HIGH),
        Rule("secret_gitlab_token", "GitLab personal access token", Severity.HIGH),
        Rule("secret_slack_token", "Slack token", Severity.HIGH),
        Rule("secret_stripe_live_key", "Stripe live secret key", Severity.CRITICAL),
        Rule("secret_google_api_key", "Google API key", Severity.HIGH),
        Rule("secret_private_key", "Private key", Severity.CRITICAL),
        Rule("secret_jwt", "JSON Web Token", Severity.MEDIUM),
        Rule("secret_generic_assignment", "High-entropy secret assignment", Severity.MEDIUM),
    )
}


@dataclass(frozen=True)
class SecretMatch:
    rule_id: str
    line: int  # 1-based
    column: int  # 1-based
    masked: str
    name: str = ""  # the assigned name, for assignments

    @property
    def rule(self) -> Rule:
        return RULES[self.rule_id]


def _jwt_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    try:
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: nested arrays
        return False
    return isinstance(data, dict) and "alg" in data


# (rule id, pattern with the secret as group 1, extra validation)
_TOKENS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    (
        "secret_aws_access_key_id",
        re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Z0-9])"),
        lambda t: not placeholder(t),
    ),
    (
        "secret_github_token",
        re.compile(
            r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{60,240})"
            r"(?![A-Za-z0-9_])"
        ),
        lambda t: not placeholder(t),
    ),
    (
        "secret_gitlab_token",
        re.compile(r"(?<![A-Za-z0-9_-])(glpat-[A-Za-z0-9_-]{20,64})(?![A-Za-z0-9_-])"),
        lambda t: not placeholder(t),
    ),
    (
        "secret_slack_token",
        re.compile(r"(?<![A-Za-z0-9])(xox[baprs]-[A-Za-z0-9-]{10,250})(?![A-Za-z0-9-])"),
        lambda t: not placeholder(t) and sum(c.isdigit() for c in t) >= 4,
    ),
    (
        "secret_stripe_live_key",
        re.compile(r"(?<![A-Za-z0-9_])(sk_live_[A-Za-z0-9]{16,247})(?![A-Za-z0-9])"),
        lambda t: not placeholder(t),
    ),
    (
        "secret_google_api_key",
        re.compile(r"(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])"),
        lambda t: not placeholder(t),
    ),
    (
        "secret_jwt",
        re.compile(
            r"(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}"
            r"\.[A-Za-z0-9_-]{16,1024})(?![A-Za-z0-9_.-])"
        ),
        _jwt_ok,
    ),
)

_PRIVATE_KEY = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----")
_KEY_BODY = re.compile(r"^[A-Za-z0-9+/=]{20,}$")
_KEY_BODY_INLINE = re.compile(r"(?:\\r|\\n|\s)+([A-Za-z0-9+/]{20,})")
_KEY_HEADERS = ("proc-type:", "dek-info:", "version:", "comment:", "hash:")
# Not part of a longer token (a JWT segment, a base64 blob, a dotted or dashed name).
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=._-])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=._-])")
_AWS_SECRET_NAME = re.compile(r"(?i)aws.{0,20}secret|secret.{0,20}access.{0,5}key")
_KEYWORD = re.compile(
    r"(?i)(password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?)"
)
_ASSIGN = re.compile(
    r"[A-Za-z0-9_.-]{0,40}[\"']?\s{0,4}(?::=|=>|==|=|:)\s{0,4}[rbuf]?([\"'`]?)"
    r"([^\s\"'`,;]{1,256})(\1)"
)
_NAME_BEFORE = re.compile(r"[A-Za-z0-9_.-]{0,40}$")
_NAME_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
POINTER_WORDS = {
    "name", "names", "file", "path", "dir", "url", "uri", "ref", "arn", "type", "version",
    "length", "env", "mount", "provider", "class", "prefix", "suffix", "header", "field",
    "kind", "endpoint", "location", "policy", "scope", "count", "ttl", "expiry", "size",
    "id", "key_id", "format", "source", "store", "manager", "backend", "mode",
}  # fmt: skip
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(\))?$")


def pointer_name(name: str) -> bool:
    """A name that refers to a secret rather than holding one: `secretName`,
    `password_file`, `token_url`, `API_KEY_PATH`..."""
    words = [w.lower() for w in _NAME_WORDS.split(name) if w]
    return bool(words) and words[-1] in POINTER_WORDS


def generic_value_ok(value: str, quoted: bool) -> bool:
    """Is `value` (assigned to a secret-looking name) itself likely a secret?"""
    if len(value) < GENERIC_MIN_LENGTH or shannon(value) < GENERIC_MIN_ENTROPY:
        return False
    if placeholder(value) or value.startswith(("$", "%", "/", "./", "~", "@", "&", "*", "!")):
        return False
    if "://" in value or "(" in value or "[" in value or "{" in value or "\\n" in value:
        return False
    if _KEYWORD.search(value):  # "allow_users_to_change_password": a name, not a secret
        return False
    if _IDENTIFIER.match(value):  # code: a variable, constant or attribute, not a literal
        if "." in value or value.isupper() or value.endswith("()"):
            return False
        digits = any(c.isdigit() for c in value)
        if not digits and (not quoted or ("_" in value and value.islower())):
            return False
    return True


def _tokens(number: int, line: str) -> Iterator[tuple[SecretMatch, int, int]]:
    for rule_id, pattern, valid in _TOKENS:
        for hit in pattern.finditer(line):
            token = hit.group(1)
            if valid(token):
                yield SecretMatch(rule_id, number, hit.start(1) + 1, mask(token)), *hit.span(1)


def _generic(number: int, line: str, taken: list[tuple[int, int]]) -> Iterator[SecretMatch]:
    for seen, key in enumerate(_KEYWORD.finditer(line)):
        if seen >= MAX_KEYWORDS_PER_LINE:  # not code or config: a blob or an attack
            return
        hit = _ASSIGN.match(line, key.end())
        if not hit:
            continue
        value = hit.group(2)
        start = hit.start(2)
        if any(a <= start < b for a, b in taken):
            continue
        if not generic_value_ok(value, bool(hit.group(1))):
            continue
        before = _NAME_BEFORE.search(line, max(0, key.start() - 40), key.start())
        name = (before.group(0) if before else "") + line[key.start() : hit.start(2)]
        name = name.strip().rstrip("=:>\"'` \t").strip("\"' ")
        if pointer_name(name):
            continue
        taken.append((start, hit.end(2)))
        yield SecretMatch("secret_generic_assignment", number, start + 1, mask(value), name)


def _private_keys(lines: list[str]) -> Iterator[SecretMatch]:
    for index, line in enumerate(lines):
        if "PRIVATE KEY" not in line:
            continue
        for head in _PRIVATE_KEY.finditer(line):
            body = _KEY_BODY_INLINE.match(line, head.end())
            found = body.group(1) if body else _body_below(lines, index)
            if found is not None:
                masked = f"{head.group(0)} {mask(found)}"
                yield SecretMatch("secret_private_key", index + 1, head.start() + 1, masked)


def _body_below(lines: list[str], index: int) -> str | None:
    for text in lines[index + 1 : index + 6]:
        text = text.strip().strip("\"',")
        if not text or text.lower().startswith(_KEY_HEADERS):
            continue
        return text if _KEY_BODY.match(text) else None
    return None


def _aws_secrets(lines: list[str], key_lines: list[int]) -> Iterator[SecretMatch]:
    for index, line in enumerate(lines):
        number = index + 1
        near = any(abs(number - k) <= AWS_SECRET_DISTANCE for k in key_lines)
        if not near and not _AWS_SECRET_NAME.search(line):
            continue
        for hit in _AWS_SECRET.finditer(line):
            value = hit.group(1)
            if shannon(value) < AWS_SECRET_MIN_ENTROPY or placeholder(value):
                continue
            if not (any(c.isupper() for c in value) and any(c.islower() for c in value)):
                continue
            yield SecretMatch("secret_aws_secret_access_key", number, hit.start(1) + 1, mask(value))


def detect(text: str) -> list[SecretMatch]:
    """Every secret in `text`, in line order; overlapping generic matches are dropped."""
    lines = text.split("\n")
    found: list[SecretMatch] = []
    key_lines: list[int] = []
    for number, line in enumerate(lines, 1):
        taken: list[tuple[int, int]] = []
        for match, start, end in _tokens(number, line):
            found.append(match)
            taken.append((start, end))
            if match.rule_id == "secret_aws_access_key_id":
                key_lines.append(number)
        found.extend(_generic(number, line, taken))
    found.extend(_private_keys(lines))
    aws = list(_aws_secrets(lines, key_lines))
    spots = {(m.line, m.column) for m in aws}
    found = [m for m in found if (m.line, m.column) not in spots] + aws
    found.sort(key=lambda m: (m.line, m.column, m.rule_id))
    return found
