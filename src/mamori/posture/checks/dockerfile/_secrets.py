"""Secrets in ENV and ARG: secret-looking names, or values a secret detector recognises.

Names are cut into words (`DB_PASSWORD`, `dbPassword`, `api-key` -> db/password, api/key)
and match when a word is a secret word (password, secret, token, credential, ...) or two
adjacent words make one (api key, access key, private key, auth key, ...), unless the
name ends with a word that makes it a pointer to a secret (..._FILE, _PATH, _URL, ...).
`KEY` alone (GPG_KEY: a public key fingerprint) is not a secret word. Values are shown
masked only.
"""

from __future__ import annotations

import itertools
import re

from mamori.posture.checks.dockerfile._common import Evidence, all_steps
from mamori.workload.dockerfile.model import Dockerfile, ParseError
from mamori.workload.dockerfile.words import expand, name_values
from mamori.workload.secrets.detectors import detect
from mamori.workload.secrets.mask import mask

SECRET_WORDS = {
    "password",
    "passwd",
    "passphrase",
    "pword",
    "secret",
    "secrets",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
}
SECRET_PAIRS = {
    ("api", "key"),
    ("access", "key"),
    ("private", "key"),
    ("auth", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("client", "secret"),
    ("auth", "token"),
}
POINTER_WORDS = {"file", "path", "dir", "url", "uri", "name", "env", "length", "len", "type"}
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def secret_name(name: str) -> bool:
    words = [w.lower() for w in _SPLIT.split(name) if w]
    if not words or words[-1] in POINTER_WORDS:
        return False
    if any(w in SECRET_WORDS for w in words):
        return True
    return any(pair in SECRET_PAIRS for pair in itertools.pairwise(words))


def secrets_in_env_arg(dockerfile: Dockerfile) -> tuple[list[Evidence], str]:
    failures = []
    for stage, _, item in all_steps(dockerfile, "ENV", "ARG"):
        try:
            pairs = name_values(item.rest, dockerfile.escape, legacy=item.cmd == "ENV")
        except ParseError:
            continue
        for name, raw in pairs:
            value = ""
            if raw is not None:
                try:
                    value = expand(raw, {**stage.args, **stage.env}, dockerfile.escape).value
                except ParseError:
                    value = raw
            found = detect(value) if value else []
            if secret_name(name):
                shown = f"={mask(value)}" if value else ""
                message = f"{item.cmd} {name}{shown}: a secret-looking name"
                failures.append(Evidence(item.line, message))
            elif found:
                message = f"{item.cmd} {name}={found[0].masked}: value is a {found[0].rule.title}"
                failures.append(Evidence(item.line, message))
    return failures, "no ENV or ARG holds a secret-looking name or value"
