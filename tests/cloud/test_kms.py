"""The KMS collector against moto: every key, rotation asked only where AWS rotates.

moto does not enforce that rotation is unavailable for keys pending deletion or with
imported material; the collector does not ask for those, which is tested here by the
absence of a rotation status where one could have been read.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import REGION


def test_keys_rotation_and_aliases(aws: boto3.Session, target: Target) -> None:
    kms = aws.client("kms")

    def new(**kwargs: str) -> str:
        return str(kms.create_key(**kwargs)["KeyMetadata"]["KeyId"])

    rotating, still, signing, doomed = (
        new(),
        new(),
        new(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"),
        new(),
    )
    kms.enable_key_rotation(KeyId=rotating)
    kms.enable_key_rotation(KeyId=doomed)
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    kms.create_alias(AliasName="alias/app", TargetKeyId=rotating)
    kms.create_alias(AliasName="alias/app-old", TargetKeyId=rotating)

    inv = collect([target], regions=[REGION], types=["aws.kms.key"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.kms.key")}
    listed = {
        k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]
    }
    assert set(found) == listed  # every key, whoever manages it
    app = found[rotating]
    assert app.name == "alias/app" and app.attributes["aliases"] == ["alias/app", "alias/app-old"]
    assert app.arn == kms.describe_key(KeyId=rotating)["KeyMetadata"]["Arn"]
    view = {
        k: (
            found[k].attributes["key_manager"],
            found[k].attributes["key_spec"],
            found[k].attributes["key_state"],
            found[k].attributes["rotation_enabled"],
        )
        for k in (rotating, still, signing, doomed)
    }
    assert view == {
        rotating: ("CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled", True),
        still: ("CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled", False),
        signing: ("CUSTOMER", "RSA_2048", "Enabled", None),
        doomed: ("CUSTOMER", "SYMMETRIC_DEFAULT", "PendingDeletion", None),
    }
    assert all(found[k].attributes["errors"] == {} for k in view)
