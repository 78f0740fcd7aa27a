"""The CloudWatch Logs filter pattern parser and the "covers" comparison.

The independent oracle for `covers` is brute force: a pattern is a boolean function of
its terms, and covers(a, b) must equal "every assignment of the terms that satisfies b
satisfies a" (terms without wildcards are independent conditions). Hypothesis checks
both against that truth table, and that no input crashes the parser.
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.posture.checks.aws._filter_pattern import (
    AllOf,
    AnyOf,
    Node,
    PatternError,
    Term,
    conjunctions,
    covers,
    parse,
    render,
)
from mamori.posture.checks.aws._metric_filters import PATTERNS, matches


def test_terms_and_precedence() -> None:
    node = parse('{ $.a = 1 || $.b != "x y" && $.c NOT EXISTS && $.d IS TRUE }')
    assert node == AnyOf(
        (
            Term("$.a", "=", "1"),
            AllOf(
                (
                    Term("$.b", "!=", "x y"),
                    Term("$.c", "NOT EXISTS"),
                    Term("$.d", "IS", "TRUE"),
                )
            ),
        )
    )
    assert parse("{($.a=1)}") == Term("$.a", "=", "1")
    assert parse('{ $.a = "q\\"uote" }') == Term("$.a", "=", 'q"uote')
    assert parse("{ ((($.a=1)) && ($.b=2 && $.c>=3)) }") == AllOf(
        (Term("$.a", "=", "1"), Term("$.b", "=", "2"), Term("$.c", ">=", "3"))
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ERROR",
        "{ }",
        "{ $.a = }",
        "{ $.a = 1",
        "{ $.a 1 }",
        '{ $.a = "x }',
        "{ a = 1 }",
        "{ $.a = 1 } trailing",
        "{ ($.a = 1 }",
        "{ $.a IS MAYBE }",
        "{" + "(" * 100 + "$.a=1" + ")" * 100 + "}",
    ],
)
def test_rejects(text: str) -> None:
    with pytest.raises(PatternError):
        parse(text)


def test_cis_text_variants() -> None:
    """The forms real accounts use: spacing, quoting, order, extra alternatives."""
    cloudtrail = [parse(p) for p in PATTERNS["cloudwatch_log_metric_filter_cloudtrail_changes"]]
    assert matches(
        "{($.eventName=StopLogging)||($.eventName=StartLogging)||($.eventName=DeleteTrail)"
        '||($.eventName="UpdateTrail")||($.eventName=CreateTrail)||($.eventName=PutEventSelectors)}',
        cloudtrail,
    )
    assert not matches(  # StopLogging missing
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
        "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }",
        cloudtrail,
    )
    assert not matches(  # narrowed to one user
        "{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
        "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
        '($.eventName = StopLogging)) && ($.userIdentity.userName = "bob") }',
        cloudtrail,
    )
    assert matches("{ $.eventName = * }", cloudtrail)  # broader wildcard
    assert not matches("ERROR", cloudtrail) and not matches("", cloudtrail)
    unauthorized = [
        parse(p) for p in PATTERNS["cloudwatch_log_metric_filter_unauthorized_api_calls"]
    ]
    # The v1.x pattern, without the v3.0 exclusions, alarms on more: accepted.
    assert matches(
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        unauthorized,
    )
    assert not matches('{ $.errorCode = "AccessDenied" }', unauthorized)  # no wildcard
    mfa = [parse(p) for p in PATTERNS["cloudwatch_log_metric_filter_sign_in_without_mfa"]]
    sso = PATTERNS["cloudwatch_log_metric_filter_sign_in_without_mfa"][1]
    assert matches(sso, mfa) and not covers(parse(sso), mfa[0])


def test_every_cis_pattern_parses_and_covers_itself_only() -> None:
    for check_id, texts in PATTERNS.items():
        nodes = [parse(t) for t in texts]
        for node in nodes:
            assert covers(node, node), check_id
            assert parse(render(node)) == node, check_id
        for other_id, other in PATTERNS.items():
            if other_id != check_id:
                assert not matches(other[0], nodes), (check_id, other_id)


SELECTORS = st.sampled_from(["$.a", "$.b", "$.c.d", "$.e[0]"])
VALUES = st.text(st.characters(codec="utf-8", exclude_characters="*"), max_size=6)
TERMS = st.one_of(
    st.builds(Term, SELECTORS, st.sampled_from(["=", "!=", "<", ">=", "<="]), VALUES),
    st.builds(Term, SELECTORS, st.sampled_from(["EXISTS", "NOT EXISTS"])),
    st.builds(Term, SELECTORS, st.just("IS"), st.sampled_from(["TRUE", "FALSE", "NULL"])),
)


def _tree(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    parts = st.lists(children, min_size=2, max_size=3)
    return st.one_of(parts.map(lambda ps: _flat(AllOf, ps)), parts.map(lambda ps: _flat(AnyOf, ps)))


def _flat(kind: type[AllOf] | type[AnyOf], parts: list[Node]) -> Node:
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


NODES = st.recursive(TERMS, _tree, max_leaves=6)


def _eval(node: Node, true: set[Term]) -> bool:
    if isinstance(node, Term):
        return node in true
    if isinstance(node, AllOf):
        return all(_eval(p, true) for p in node.parts)
    return any(_eval(p, true) for p in node.parts)


def _terms(node: Node) -> set[Term]:
    return {node} if isinstance(node, Term) else set().union(*(_terms(p) for p in node.parts))


@settings(max_examples=300, deadline=None)
@given(NODES)
def test_render_parse_round_trip(node: Node) -> None:
    assert parse(render(node)) == node


@settings(max_examples=300, deadline=None)
@given(NODES, NODES)
def test_covers_agrees_with_the_truth_table(a: Node, b: Node) -> None:
    terms = sorted(_terms(a) | _terms(b), key=repr)
    expected = all(
        _eval(a, true) or not _eval(b, true)
        for bits in product((False, True), repeat=len(terms))
        for true in [{t for t, bit in zip(terms, bits, strict=True) if bit}]
    )
    assert covers(a, b) == expected
    assert all(_eval(b, set(c)) for c in conjunctions(b))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}()$.ab=!<>&|" *\\EXISTNOTRUFAL1')), max_size=40))
def test_parser_never_crashes(text: str) -> None:
    try:
        node = parse(text)
    except PatternError:
        return
    assert parse(render(node)) == node


@settings(max_examples=200, deadline=None)
@given(NODES, NODES)
def test_alternatives_widen_and_conditions_narrow(a: Node, b: Node) -> None:
    assert covers(a, a)
    assert covers(_flat(AnyOf, [a, b]), a)
    fresh = Term("$.fresh", "=", "only-here")
    assert not covers(_flat(AllOf, [a, fresh]), a)
