"""Realistic secrets for tests, generated (seeded) so no real credential is ever committed
and no test fixture matches a scanner's allow-list by accident."""

from __future__ import annotations

import base64
import json
import random
import string

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM = string.ascii_letters + string.digits


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_tokens(seed: int = 8) -> dict[str, str]:
    """rule id -> one secret of that kind."""
    rng = random.Random(seed)
    head = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = base64.urlsafe_b64encode(json.dumps({"sub": _pick(rng, ALNUM, 12)}).encode())
    sig = _pick(rng, ALNUM + "-_", 43)
    return {
        "secret_aws_access_key_id": "AKIA" + _pick(rng, B32, 16),
        "secret_aws_secret_access_key": _pick(rng, ALNUM + "/+", 40),
        "secret_github_token": "ghp_" + _pick(rng, ALNUM, 36),
        "secret_gitlab_token": "glpat-" + _pick(rng, ALNUM + "_-", 20),
        "secret_slack_token": "xoxb-"
        + _pick(rng, string.digits, 12)
        + "-"
        + _pick(rng, string.digits, 13)
        + "-"
        + _pick(rng, ALNUM, 24),
        "secret_stripe_live_key": "sk_live_" + _pick(rng, ALNUM, 24),
        "secret_google_api_key": "AIza" + _pick(rng, ALNUM + "-_", 35),
        "secret_jwt": f"{head.decode().rstrip('=')}.{body.decode().rstrip('=')}.{sig}",
        "secret_generic_assignment": _pick(rng, ALNUM + "!#%", 20),
        "secret_private_key": "\n".join(_pick(rng, ALNUM + "+/", 64) for _ in range(6)),
    }
