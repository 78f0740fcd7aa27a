"""mamori's own default ``syscall`` ruleset, in Falco's rule language.

The rules are YAML files beside this module, split by theme; each themed file has its
tests in a sibling ``*.tests.yaml`` (``mamori rules test``). Lists and macros come
first because Falco resolves a name only against items defined before it::

    from mamori.rules import load_files
    from mamori.rules.default import default_rule_files

    ruleset = load_files(default_rule_files())

Every item is named with a ``mamori_`` prefix (lists, macros) or a name Falco's rulesets
do not use (rules), so Falco's rulesets can be loaded before or after these.
"""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).parent

LOAD_ORDER: tuple[str, ...] = (
    "lists.yaml",
    "macros.yaml",
    "process.yaml",
    "container.yaml",
    "files.yaml",
    "persistence.yaml",
    "network.yaml",
    "evasion.yaml",
    "escape.yaml",
)
"""Rules files in load order (shared lists and macros first)."""


def default_rule_files() -> list[Path]:
    """The default ruleset's files, in the order they must be loaded."""
    return [RULES_DIR / name for name in LOAD_ORDER]


def default_test_files() -> list[Path]:
    """The tests files of the default ruleset (``X.tests.yaml`` beside ``X.yaml``)."""
    found = (RULES_DIR / name.replace(".yaml", ".tests.yaml") for name in LOAD_ORDER)
    return [p for p in found if p.is_file()]
