"""EFS encryption (CIS 2.4.1) and KMS rotation (CIS 3.6) checks on moto-seeded resources."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import Inventory
from mamori.posture.check import Result, Verdict, checks
from tests.cloud.conftest import REGION


def scan(target: Target, check_id: str) -> tuple[Inventory, list[Result]]:
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    return inv, list(cls().run(inv))


def verdicts(results: list[Result]) -> dict[str, Verdict]:
    return {r.resource.id: r.verdict for r in results if r.resource is not None}


def test_efs_encryption(aws: boto3.Session, target: Target) -> None:
    efs = aws.client("efs")
    sealed = efs.create_file_system(CreationToken="a", Encrypted=True)["FileSystemId"]
    plain = efs.create_file_system(CreationToken="b", Encrypted=False)["FileSystemId"]
    results = scan(target, "efs_encryption_at_rest_enabled")[1]
    assert verdicts(results) == {sealed: Verdict.PASS, plain: Verdict.FAIL}


def test_kms_rotation_judges_only_enabled_customer_symmetric_keys(
    aws: boto3.Session, target: Target
) -> None:
    kms = aws.client("kms")

    def new(**kwargs: str) -> str:
        return str(kms.create_key(**kwargs)["KeyMetadata"]["KeyId"])

    rotating, still, disabled, doomed = new(), new(), new(), new()
    signing = new(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    hmac = new(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    kms.enable_key_rotation(KeyId=rotating)
    kms.disable_key(KeyId=disabled)
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)

    inv, results = scan(target, "kms_cmk_rotation_enabled")

    assert verdicts(results) == {rotating: Verdict.PASS, still: Verdict.FAIL}
    assert not {disabled, doomed, signing, hmac} & set(verdicts(results))

    # Undescribable keys and keys whose material AWS cannot rotate are MANUAL; keys AWS
    # manages are outside the control (moto cannot make one: it reports every key as
    # the customer's).
    found = {r.id: r for r in inv.of_type("aws.kms.key")}
    hidden = found[still].model_copy(
        update={"attributes": {"key_manager": None, "errors": {"describe": "AccessDenied: x"}}}
    )
    imported = found[rotating].model_copy(
        update={
            "attributes": {
                **found[rotating].attributes,
                "origin": "EXTERNAL",
                "rotation_enabled": None,
            }
        }
    )
    aws_managed = found[disabled].model_copy(
        update={"attributes": {**found[still].attributes, "key_manager": "AWS"}}
    )
    cls = checks.get("kms_cmk_rotation_enabled")
    results = list(cls().run(Inventory(resources=(hidden, imported, aws_managed))))
    assert verdicts(results) == {still: Verdict.MANUAL, rotating: Verdict.MANUAL}
