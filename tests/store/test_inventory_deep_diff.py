"""Properties of the deep diff: applying the reported changes to the old value gives the
new one, and a value compared with itself has no changes.

Oracles: exact equality of canonical JSON (which keeps `true` apart from `1`) when no list
can be matched by id; equality up to list order (multisets) when some can, since order in
id-matched lists is by design not a change; and in every case the differ itself finding
no difference left between the rebuilt and the new value.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.store.deep_diff import apply_changes, diff_values

KEYS = st.sampled_from(["a", "b", "tags", "x.y", "aws:SourceIp", "", "Statement", "value"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from(["", "0.0.0.0/0", "::/0", "tcp", "Allow", "a b"]),
)
# Natural-id values from a small pool, so duplicates (position fallback) happen too.
IDS = st.one_of(st.sampled_from(["sg-1", "sg-2", "sgr-3", "0.0.0.0/0"]), st.integers(0, 3))


def plain(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """JSON values whose dicts never carry a natural-id field: lists go by position."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)
        ),
        max_leaves=20,
    )


def records(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = st.sampled_from([("id",), ("cidr",), ("rule_number", "egress"), ("key",)])
    return fields.flatmap(
        lambda names: st.builds(
            lambda ids, rest: {**rest, **ids},
            st.fixed_dictionaries({n: IDS for n in names}),
            st.dictionaries(KEYS, inner, max_size=3),
        )
    )


def with_ids(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """JSON values with lists of records carrying natural ids (AWS rules, tags...)."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.lists(records(inner), max_size=4),
            st.dictionaries(KEYS, inner, max_size=4),
        ),
        max_leaves=20,
    )


def mutate(value: Any, data: st.DataObject, make: st.SearchStrategy[Any], depth: int = 0) -> Any:
    """A related value: some keys dropped, added or changed, elements edited or reordered."""
    if depth > 4 or data.draw(st.integers(0, 9)) == 0:
        return data.draw(make) if data.draw(st.booleans()) else value
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if data.draw(st.integers(0, 5)) == 0:
                continue  # dropped
            out[key] = mutate(child, data, make, depth + 1)
        if data.draw(st.booleans()):
            out[data.draw(KEYS)] = data.draw(make)
        return out
    if isinstance(value, list):
        items = [mutate(v, data, make, depth + 1) for v in value]
        if items and data.draw(st.booleans()):
            items.pop(data.draw(st.integers(0, len(items) - 1)))
        if data.draw(st.booleans()):
            items.append(data.draw(make))
        if data.draw(st.booleans()):
            items = data.draw(st.permutations(items))
        return items
    return data.draw(SCALARS)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def unordered(value: Any) -> Any:
    """The value with every list sorted: equality up to list order at every level."""
    if isinstance(value, dict):
        return {k: unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((unordered(v) for v in value), key=canonical)
    return value


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_apply_rebuilds_new_from_old_for_positional_lists(data: st.DataObject) -> None:
    make = plain(SCALARS)
    old = data.draw(make)
    new = mutate(old, data, make)
    changes = diff_values(old, new)
    assert canonical(apply_changes(old, changes)) == canonical(new)
    assert (changes == []) == (canonical(old) == canonical(new))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_apply_rebuilds_new_from_old_with_id_lists(data: st.DataObject) -> None:
    make = with_ids(SCALARS)
    old = data.draw(make)
    new = mutate(old, data, make)
    changes = diff_values(old, new)
    rebuilt = apply_changes(old, changes)
    assert diff_values(rebuilt, new) == []
    assert canonical(unordered(rebuilt)) == canonical(unordered(new))


@settings(max_examples=200, deadline=None)
@given(with_ids(SCALARS))
def test_a_value_has_no_difference_with_itself_or_a_copy(value: Any) -> None:
    assert diff_values(value, value) == []
    assert diff_values(value, json.loads(json.dumps(value))) == []


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_reported_path_is_distinct_and_rendered(data: st.DataObject) -> None:
    make = with_ids(SCALARS)
    old = data.draw(make)
    new = mutate(old, data, make)
    changes = diff_values(old, new)
    assert len({c.path for c in changes}) == len(changes)
    assert all(c.path or not c.steps for c in changes)
