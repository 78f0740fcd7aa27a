"""The SNS subscription collector against moto.

moto confirms every subscription at once (AWS leaves email and HTTP ones pending until
the endpoint confirms), so a pending subscription cannot be seeded here.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION

SUBSCRIPTION = "aws.sns.subscription"


def test_subscriptions_per_region(aws: boto3.Session, target: Target) -> None:
    sns = aws.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    arn = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")[
        "SubscriptionArn"
    ]
    sns.create_topic(Name="silent")
    aws.client("sns", region_name=OTHER_REGION).create_topic(Name="elsewhere")
    inv = collect([target], regions=[REGION, OTHER_REGION], types=[SUBSCRIPTION])
    assert inv.errors == ()
    (sub,) = inv.of_type(SUBSCRIPTION)
    assert (sub.id, sub.arn, sub.region) == (arn, arn, REGION)
    assert sub.attributes == {
        "topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
        "protocol": "email",
        "endpoint": "secops@example.com",
        "owner": ACCOUNT,
        "confirmed": True,
    }
