"""pip requirements files: only exactly pinned (``==``/``===``) requirements are packages.

Follows pip's own reading rules: a trailing backslash joins lines, ``#`` starts a
comment at the start of a line or after whitespace, a line starting with ``-`` is an
option (``-r``/``--requirement`` names an included file, resolved against the including
file's directory), and per-requirement options (``--hash=...``) follow the requirement.
Environment markers are kept as metadata, not evaluated: the scanned host's Python is
unknown.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from mamori.sbom.catalogers.python._common import Declared, valid_version
from mamori.sources.tree import normalize

_COMMENT = re.compile(r"(^|\s+)#.*$")
_REQUIREMENT = re.compile(
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)",
    re.DOTALL,
)
_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)\s*")
_INCLUDE_OPTIONS = ("-r", "--requirement")
# Local paths, URLs and archive names: pip accepts them, but they pin no version.
_LOOKS_LIKE_PATH = re.compile(r"^(\.|/|~|[A-Za-z][A-Za-z0-9+.-]*://)|\.(whl|zip|tar\.gz|tgz)$")
MAX_LINE = 64 * 1024


@dataclass
class RequirementsFile:
    """What one requirements file declares: pins, included files and unreadable lines."""

    entries: list[Declared] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # in-tree paths of -r files
    problems: list[str] = field(default_factory=list)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, logical line) after joining and comment removal."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.endswith("\\") and not _COMMENT.match(line):
            if not pending:
                start = number
            pending.append(line.rstrip("\\"))
            continue
        if pending:
            pending.append(" " + line if _COMMENT.match(line) else line)
            joined, pending = "".join(pending), []
        else:
            joined, start = line, number
        out.append((start, joined))
    if pending:
        out.append((start, "".join(pending)))
    result = []
    for number, line in out:
        stripped = _COMMENT.sub("", line).strip()
        if stripped:
            result.append((number, stripped))
    return result


def _include_target(tokens: list[str]) -> str | None:
    """The file named by -r/--requirement in an option line, as optparse reads it."""
    first = tokens[0]
    if first in _INCLUDE_OPTIONS:
        return tokens[1] if len(tokens) > 1 else None
    if first.startswith("--requirement="):
        return first.partition("=")[2] or None
    if first.startswith("-r") and not first.startswith("--"):
        return first[2:]
    return None


def _pin(rest: str) -> tuple[str | None, bool]:
    """(pinned version or None, parsed) for the part after name and extras."""
    spec, _, _markers = rest.partition(";")
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    if not spec:
        return None, True
    pinned: list[str] = []
    for clause in spec.split(","):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            return None, False
        op, version = match.groups()
        if op in ("==", "===") and "*" not in version:
            pinned.append(version)
    return (pinned[0] if len(pinned) == 1 and valid_version(pinned[0]) else None), True


def _requirement(line: str) -> tuple[Declared | None, bool]:
    """Parse one requirement (options already removed): (pinned entry, understood)."""
    match = _REQUIREMENT.fullmatch(line)
    if match is None:
        return None, bool(_LOOKS_LIKE_PATH.search(line))
    rest = match["rest"].strip()
    if rest.startswith("@"):
        return None, True  # a direct URL reference: no version to report
    if rest and rest[0] not in "=<>!~(;":
        return None, bool(_LOOKS_LIKE_PATH.search(line))
    version, understood = _pin(rest)
    if version is None:
        return None, understood
    metadata: dict[str, str] = {}
    if match["extras"] and match["extras"].strip():
        metadata["extras"] = ",".join(e.strip() for e in match["extras"].split(",") if e.strip())
    markers = rest.partition(";")[2].strip()
    if markers:
        metadata["markers"] = markers
    return Declared(match["name"], version, metadata), True


def parse_requirements(text: str, path: str = "/requirements.txt") -> RequirementsFile:
    """Read one requirements file at in-tree `path` (used to resolve ``-r`` includes)."""
    result = RequirementsFile()
    base = posixpath.dirname(path) or "/"
    for number, line in _logical_lines(text):
        if len(line) > MAX_LINE:
            result.problems.append(f"line {number}: longer than {MAX_LINE} characters")
            continue
        tokens = line.split()
        if line.startswith("-"):
            target = _include_target(tokens)
            if target and "\x00" in target:
                result.problems.append(f"line {number}: NUL byte in an included file name")
            elif target and "://" not in target:
                result.includes.append(normalize(posixpath.join(base, target)))
            continue  # other options (-c, -e, -i, --hash-only lines...) declare no pins
        # The requirement is every token before the first option (pip's own split).
        req_tokens: list[str] = []
        for token in tokens:
            if token.startswith("-"):
                break
            req_tokens.append(token)
        entry, understood = _requirement(" ".join(req_tokens))
        if entry is not None:
            result.entries.append(entry)
        elif not understood:
            result.problems.append(f"line {number}: not a requirement: {line[:80]!r}")
    return result
