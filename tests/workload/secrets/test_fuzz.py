"""Hypothesis fuzzing of the detectors and the mask: any text is accepted, a planted
token is found wherever it sits, and no match ever carries more than the masked prefix."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.workload.secrets.detectors import detect
from mamori.workload.secrets.mask import MAX_STARS, mask
from tests.workload.secrets.tokens import make_tokens

FUZZ = settings(max_examples=300, deadline=None)
PIECES = [
    "password", "token", "secret", "api_key", "=", ":", " ", '"', "'", "\n", "AKIA", "ghp_",
    "xoxb-", "sk_live_", "AIza", "eyJ", ".", "-----BEGIN RSA PRIVATE KEY-----", "\\n",
    "aws_secret", "A1b2C3d4E5f6G7h8", "/+", "${X}", "EXAMPLE", "glpat-", "github_pat_",
]  # fmt: skip
SEPARATORS = st.sampled_from([" ", "\n", '"', "'", "=", ": ", ",", "(", "\t"])
KNOWN = [
    "secret_aws_access_key_id", "secret_github_token", "secret_gitlab_token",
    "secret_slack_token", "secret_stripe_live_key", "secret_google_api_key", "secret_jwt",
]  # fmt: skip


@FUZZ
@given(st.text(max_size=500))
def test_any_text(text: str) -> None:
    for match in detect(text):
        assert match.line >= 1 and match.column >= 1 and "*" in match.masked


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_secret_shaped_text(text: str) -> None:
    for match in detect(text):
        assert "*" in match.masked


@FUZZ
@given(
    st.sampled_from(KNOWN),
    st.integers(0, 10_000),
    st.text(alphabet=st.characters(blacklist_categories=("L", "N")), max_size=30),
    SEPARATORS,
    SEPARATORS,
)
def test_planted_tokens_are_found_and_masked(
    rule_id: str, seed: int, noise: str, before: str, after: str
) -> None:
    secret = make_tokens(seed)[rule_id]
    text = noise + before + secret + after + noise
    matches = [m for m in detect(text) if m.rule_id == rule_id]
    assert len(matches) == 1, text
    assert secret not in repr(matches[0]) and matches[0].masked == mask(secret)


@FUZZ
@given(st.text(min_size=0, max_size=300))
def test_mask_never_shows_more_than_a_prefix(secret: str) -> None:
    shown = mask(secret)
    keep = 4 if len(secret) >= 16 else len(secret) // 4
    assert shown[:keep] == secret[:keep]
    assert set(shown[keep:]) == {"*"} and len(shown) - keep <= MAX_STARS


def test_jwt_with_a_deeply_nested_header_is_not_a_crash() -> None:
    import base64

    header = b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}"  # json.loads: RecursionError
    head = base64.urlsafe_b64encode(header).decode().rstrip("=")
    assert head.startswith("eyJ") and len(head) < 4096
    assert detect(f"{head}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnopqrstu") == []


def test_hostile_lines_stay_linear() -> None:
    for text in (
        "a" * (1 << 20),
        "token" * (1 << 18),
        "password=" * (1 << 17),
        "A" * (1 << 20),
        "eyJ" + "a" * (1 << 20),
        "-----BEGIN RSA PRIVATE KEY-----" * (1 << 15),
        ("AKIA" + "A" * 16 + " ") * (1 << 14),
    ):
        start = time.perf_counter()
        detect(text)
        assert time.perf_counter() - start < 10, text[:20]
