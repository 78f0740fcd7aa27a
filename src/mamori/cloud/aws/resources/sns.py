"""SNS subscriptions, per region: who is notified through which topic.

`aws.sns.subscription`, one resource per subscription. A confirmed subscription has an
ARN (its id and arn); a pending one has only "PendingConfirmation" in its place and is
identified by "<topic ARN>|<protocol>|<endpoint>". Attributes:

    topic_arn                          str
    protocol                           str ("email", "sqs", "lambda", "https", ...)
    endpoint                           str
    owner                              str (account id)
    confirmed                          bool (the subscription has a real ARN: CIS counts
                                       only these as "active subscribers")
"""

from __future__ import annotations

from collections.abc import Iterator

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.sns.subscription", service="sns", calls=("ListSubscriptions",), id_field="SubscriptionArn"
)
def subscriptions(ctx: AwsContext) -> Iterator[CloudResource]:
    for sub in paginate(ctx.client("sns"), "list_subscriptions", "Subscriptions"):
        arn = str(sub.get("SubscriptionArn", ""))
        topic, protocol = str(sub.get("TopicArn", "")), str(sub.get("Protocol", ""))
        endpoint = str(sub.get("Endpoint", ""))
        confirmed = arn.startswith("arn:")
        yield ctx.resource(
            "aws.sns.subscription",
            arn if confirmed else f"{topic}|{protocol}|{endpoint}",
            name=f"{topic.rsplit(':', 1)[-1]} -> {protocol}:{endpoint}",
            arn=arn if confirmed else None,
            attributes={
                "topic_arn": topic,
                "protocol": protocol,
                "endpoint": endpoint,
                "owner": str(sub.get("Owner", "")),
                "confirmed": confirmed,
            },
        )
