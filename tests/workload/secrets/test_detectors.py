"""The secret detectors: each format found (line, column, masked), placeholders and
look-alikes not, and the cleartext never in a match."""

from __future__ import annotations

import pytest

from mamori.workload.secrets.detectors import RULES, detect, generic_value_ok
from mamori.workload.secrets.entropy import placeholder, shannon
from mamori.workload.secrets.mask import mask
from tests.workload.secrets.tokens import make_tokens

TOKENS = make_tokens()


def found(text: str) -> list[tuple[str, int, int]]:
    return [(m.rule_id, m.line, m.column) for m in detect(text)]


def test_mask_keeps_four_characters_of_long_secrets_only() -> None:
    assert mask("AKIAQWERTYUIOPASDF23") == "AKIA****************"
    assert mask("short-pass") == "sh********"  # under 16: a quarter shown
    assert mask("x" * 200) == "xxxx" + "*" * 32
    assert mask("") == "*"


def test_entropy_and_placeholders() -> None:
    assert shannon("aaaa") == 0.0 and shannon("ab") == 1.0
    assert shannon(TOKENS["secret_generic_assignment"]) > 3.5
    for value in ("AKIAIOSFODNN7EXAMPLE", "xxxxxxxx", "${DB_PASSWORD}", "<your-token>", "changeme"):
        assert placeholder(value), value
    assert not placeholder(TOKENS["secret_github_token"])


@pytest.mark.parametrize(
    "rule_id", [r for r in RULES if r not in ("secret_private_key", "secret_aws_secret_access_key")]
)
def test_each_token_format_is_found_with_line_and_column(rule_id: str) -> None:
    secret = TOKENS[rule_id]
    text = f"first line\n  value: '{secret}'  # trailing\n"
    if rule_id == "secret_generic_assignment":
        text = f"first line\n  password = '{secret}'\n"
    matches = detect(text)
    assert [(m.rule_id, m.line) for m in matches] == [(rule_id, 2)]
    match = matches[0]
    assert text.splitlines()[1][match.column - 1 :].startswith(secret)
    assert secret not in repr(match) and match.masked == mask(secret)


def test_aws_secret_key_only_near_its_key_id_or_name() -> None:
    key_id, secret = TOKENS["secret_aws_access_key_id"], TOKENS["secret_aws_secret_access_key"]
    text = f"[default]\naws_access_key_id = {key_id}\nsomething = {secret}\n"
    assert found(text) == [
        ("secret_aws_access_key_id", 2, 21),
        ("secret_aws_secret_access_key", 3, 13),
    ]
    far = f"digest: {secret}\n" + "\n" * 10 + f"id = {key_id}\n"
    assert [r for r, _, _ in found(far)] == ["secret_aws_access_key_id"]
    assert [r for r, _, _ in found(f'AWS_SECRET_ACCESS_KEY="{secret}"')] == [
        "secret_aws_secret_access_key"
    ]


@pytest.mark.parametrize(
    "header",
    [
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    ],
)
def test_private_keys(header: str) -> None:
    body = TOKENS["secret_private_key"]
    pem = f"{header}\n{body}\n{header.replace('BEGIN', 'END')}\n"
    matches = detect("key: |\n" + pem)
    assert [(m.rule_id, m.line) for m in matches] == [("secret_private_key", 2)]
    assert matches[0].masked.startswith(header) and body.split("\n")[0] not in matches[0].masked
    pgp = f"{header}\nVersion: GnuPG v2\n\n{body}\n"
    assert [m.rule_id for m in detect(pgp)] == ["secret_private_key"]
    inline = '{"key": "' + header + "\\n" + body.replace("\n", "\\n") + '"}'
    assert [m.rule_id for m in detect(inline)] == ["secret_private_key"]


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        'if line.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"):',
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "AKIAQWERTYUIOPASDF2345",  # too long for a key id
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe test key
        "password = 'changeme'",
        'password = "${DB_PASSWORD}"',
        "password = os.environ['DB_PASSWORD']",
        "password: {{ .Values.password }}",
        "password = settings.DATABASE_PASSWORD",
        "secret_file = /run/secrets/db_password_value",
        "token_url = https://auth.example.com/oauth2/token",
        "password = get_password_from_vault(name)",
        "pwd = hunter2",  # low entropy, too short
        "sha256 = 24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d",
        "eyJhbGciOiJIUzI1NiJ9.not-json.x",
        # from the shared IaC corpus: a YAML tag, and names that point at a secret
        "      ServiceToken: !ImportValue AMISearchARN",
        "            secretName: newrelic-config",
        '    adminSecretName: "quobyte-admin-secret"',
        "  api_key_path: conf/keys/api-production.key",
        '    "AllowUsersToChangePassword": "allow_users_to_change_password",',
        '    "secret": "aws_secret_access_key_name",',
    ],
)
def test_look_alikes_and_placeholders_are_not_secrets(text: str) -> None:
    assert detect(text) == []


def test_generic_assignment_forms() -> None:
    secret = TOKENS["secret_generic_assignment"]
    for line in (
        f'DB_PASSWORD="{secret}"',
        f"db_password: {secret}",
        f"export API_KEY={secret}",
        f'"clientSecret": "{secret}",',
        f"spring.datasource.password={secret}",
        f'$token = "{secret}";',
        "  password: c0NhbGVpbzEyMw==",  # a Kubernetes Secret's data (base64 of a password)
    ):
        matches = detect(line)
        assert [m.rule_id for m in matches] == ["secret_generic_assignment"], line
        assert matches[0].masked[4:].strip("*") == "" and matches[0].name
    assert not generic_value_ok("abcdefgh", quoted=True)


def test_several_secrets_on_one_line_and_no_double_report() -> None:
    ghp, key_id = TOKENS["secret_github_token"], TOKENS["secret_aws_access_key_id"]
    assert found(f"token={ghp} id={key_id}") == [
        ("secret_github_token", 1, 7),
        ("secret_aws_access_key_id", 1, 51),
    ]


@pytest.mark.parametrize(
    ("prefix", "length", "rule_id"),
    [
        ("ghp_", 36, "secret_github_token"),
        ("gho_", 36, "secret_github_token"),
        ("ghu_", 36, "secret_github_token"),
        ("ghs_", 36, "secret_github_token"),
        ("ghr_", 36, "secret_github_token"),
        ("github_pat_", 82, "secret_github_token"),
        ("xoxa-", 40, "secret_slack_token"),
        ("xoxp-", 40, "secret_slack_token"),
        ("xoxr-", 40, "secret_slack_token"),
        ("xoxs-", 40, "secret_slack_token"),
        ("ASIA", 16, "secret_aws_access_key_id"),
    ],
)
def test_every_prefix(prefix: str, length: int, rule_id: str) -> None:
    import random

    rng = random.Random(prefix)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" if prefix == "ASIA" else "aB3cD4eF5gH6iJ7k"
    token = prefix + "".join(rng.choice(alphabet) for _ in range(length))
    assert [(m.rule_id, m.masked) for m in detect(f"x={token}")] == [(rule_id, mask(token))]
    assert detect(f"x={token[: -length // 2]}") == [] or rule_id == "secret_slack_token"
