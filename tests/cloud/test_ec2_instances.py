"""The EC2 instance collector against moto: IMDS options, addresses, interfaces.

The oracle is what run_instances and modify_instance_metadata_options were asked for,
and describe_instances read here for what moto invents (addresses, interface ids).
Not emulated by moto: RunInstances with Ipv6AddressCount (the server errors), so the
IPv6 instance is launched on an interface created with an explicit address; and
ModifyInstanceMetadataOptions resets the options it is not given (AWS keeps them).
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud import netseed
from tests.cloud.conftest import ACCOUNT, REGION


def test_instances_with_imds_options_and_interfaces(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    web = netseed.group(aws, net.vpc, "web", netseed.tcp(443, v4="0.0.0.0/0"))
    ops = netseed.group(aws, net.vpc, "ops")
    strict = netseed.instance(aws, net.public_subnet, [web, ops])
    loose = netseed.instance(aws, net.private_subnet, [ops], tokens="optional", public=False)
    address = netseed.v6_address(aws, net.public_subnet, 0x10)
    v6 = netseed.instance(aws, net.public_subnet, [web], ipv6=address)
    ec2 = netseed.ec2(aws)
    ec2.modify_instance_metadata_options(  # moto forgets the options not restated
        InstanceId=loose, HttpTokens="optional", HttpEndpoint="enabled", HttpPutResponseHopLimit=3
    )
    ec2.create_tags(Resources=[strict], Tags=[{"Key": "Name", "Value": "front"}])
    seen = {
        i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }

    inv = collect([target], regions=[REGION], types=["aws.ec2.instance"])
    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.ec2.instance")}
    assert set(found) == {strict, loose, v6}

    front = found[strict]
    assert front.name == "front"
    assert front.arn == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{strict}"
    a = front.attributes
    assert a["state"] == "running" and a["image_id"] == netseed.AMI
    assert a["metadata_options"]["http_tokens"] == "required"
    assert a["metadata_options"]["http_endpoint"] == "enabled"
    assert a["public_ip"] == seen[strict]["PublicIpAddress"] and a["public_ip"]
    assert a["subnet_id"] == net.public_subnet and a["vpc_id"] == net.vpc
    assert a["security_group_ids"] == sorted([web, ops])
    [eni] = a["network_interfaces"]
    assert eni["id"] == seen[strict]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert eni["public_ip"] == a["public_ip"] and eni["primary"] is True
    assert eni["security_group_ids"] == sorted([web, ops])
    assert eni["private_ips"] == [seen[strict]["PrivateIpAddress"]] == a["private_ips"]
    assert a["launch_time"] and a["launch_time"].endswith("+00:00")

    b = found[loose].attributes
    assert b["metadata_options"]["http_tokens"] == "optional"
    assert b["metadata_options"]["hop_limit"] == 3
    assert b["public_ip"] is None and b["network_interfaces"][0]["public_ip"] is None
    assert b["subnet_id"] == net.private_subnet

    c = found[v6].attributes
    assert c["public_ip"] is None
    assert c["ipv6_addresses"] == [address]
    assert c["network_interfaces"][0]["ipv6_addresses"] == [address]


def test_stopped_instance_and_instance_profile(aws: boto3.Session, target: Target) -> None:
    net = netseed.network(aws)
    iam = aws.client("iam")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    iid = netseed.instance(aws, net.public_subnet, [])
    ec2 = netseed.ec2(aws)
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile["Arn"]}, InstanceId=iid)
    ec2.stop_instances(InstanceIds=[iid])
    inv = collect([target], regions=[REGION], types=["aws.ec2.instance"])
    [inst] = inv.of_type("aws.ec2.instance")
    assert inst.attributes["state"] == "stopped"
    assert inst.attributes["iam_instance_profile_arn"] == profile["Arn"]
