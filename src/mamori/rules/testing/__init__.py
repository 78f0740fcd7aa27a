"""Rule tests: events written as field mappings, run through the real compiled rules.

A rule test names a rule, gives an event as a mapping of Falco field names to values,
and says whether the rule must match it (``docs/rules.md`` documents the format)::

    - test: Terminal shell in container
      events:
        - name: bash with a tty in a container
          expect: match
          output: A shell was spawned in a container
          evt.type: execve
          proc.name: bash
          proc.tty: 34816
          container.id: 3ad7b26ded6d

Tests live in their own files (``*.tests.yaml``), not inside rules files: Falco's
loader, and ours, warn about unknown top-level items (``LOAD_UNKNOWN_ITEM``) and unknown
rule keys (``LOAD_UNKNOWN_KEY``), so embedded tests would make a clean ruleset noisy
and stop it loading unmodified in Falco.

Evaluation uses the real pipeline: rules are loaded and compiled by the engine against
`MappingSource`, which wraps each registered source (same field catalogue, argument
rules, types and event types) and only swaps extraction for a dictionary lookup. An
event meets the rules through the ruleset's event-type index (`RuleSet.match`), so a
rule whose inferred event types miss the event's ``evt.type`` does not match, exactly
as in production. A field absent from the mapping is "not available" (Falco's
``<NA>``): a comparison on it is false.
"""

from mamori.rules.testing.reader import (
    TEST_SUFFIXES,
    Expect,
    RuleTest,
    is_test_file,
    read_tests,
)
from mamori.rules.testing.runner import Outcome, Status, run_test, run_tests
from mamori.rules.testing.source import (
    MappingSource,
    RuleTestError,
    build_event,
    mapping_sources,
)

__all__ = [
    "TEST_SUFFIXES",
    "Expect",
    "MappingSource",
    "Outcome",
    "RuleTest",
    "RuleTestError",
    "Status",
    "build_event",
    "is_test_file",
    "mapping_sources",
    "read_tests",
    "run_test",
    "run_tests",
]
