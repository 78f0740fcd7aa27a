"""Masking: the form in which a secret is shown anywhere (findings, tables, SARIF, logs).

The first 4 characters stay (enough to tell an `AKIA` key from a `ghp_` token, and what
the providers' own consoles show); every other character becomes `*`, up to 32 of them.
Secrets shorter than 16 characters keep only a quarter of their length, so a short
password is never half revealed.
"""

from __future__ import annotations

MAX_STARS = 32


def mask(secret: str) -> str:
    keep = 4 if len(secret) >= 16 else len(secret) // 4
    return secret[:keep] + "*" * min(max(len(secret) - keep, 1), MAX_STARS)
