"""Network and compute part: VPCs, flow logs, subnets, security groups, NACLs, instances,
volumes and snapshots, spread over the seeded regions.

moto's defaults are part of the account and of the truth: every region has a default VPC
(no flow logs: 3.7 FAIL) and every VPC a default security group that allows traffic
from itself and all egress (5.4 FAIL unless the seeder revokes them) and a default NACL
that allows everything from 0.0.0.0/0 (5.1 FAIL).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from _aws_moto import REGIONS
from _aws_seed import Clients, Truth, region_of, run_all
from _aws_seed_data import make_bucket

V4, V6 = "0.0.0.0/0", "::/0"


def _tcp(port: int, cidr: str, to: int | None = None) -> dict[str, Any]:
    ranges = (
        {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    )
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port if to is None else to, **ranges}


# security group profiles: rules, 5.2 ok (no admin port from 0.0.0.0/0), 5.3 ok (from ::/0)
SG_PROFILES: list[tuple[list[dict[str, Any]], bool, bool]] = [
    ([_tcp(22, V4)], False, True),
    ([_tcp(3389, V6)], True, False),
    ([_tcp(443, V4), _tcp(22, "10.0.0.0/8")], True, True),
    ([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": V4}]}], False, True),
    ([_tcp(0, V6, 65535), _tcp(80, V4)], True, False),
]
# NACL profiles: (rule number, protocol, action, cidr, port range), 5.1 ok. Profile 3
# allows everything at rule 100 but denies 22 and 3389 first: effectively closed.
NACL_PROFILES: list[tuple[list[tuple[int, str, str, str, tuple[int, int]]], bool]] = [
    ([], True),
    ([(100, "6", "allow", V4, (22, 22))], False),
    ([(100, "6", "allow", V4, (443, 443)), (110, "6", "allow", "10.0.0.0/8", (3389, 3389))], True),
    (
        [
            (90, "6", "deny", V4, (22, 22)),
            (91, "6", "deny", V4, (3389, 3389)),
            (100, "-1", "allow", V4, (0, 65535)),
        ],
        True,
    ),
]


def _indices(n: int, region: str) -> list[int]:
    return [i for i in range(n) if region_of(i) == region]


def _vpcs(ec2: Any, s3: Any, region: str, n: int, truth: Truth) -> list[tuple[str, int]]:
    bucket = f"flowlogs-{region}"
    make_bucket(s3, bucket, region, truth, pab=True, tls=True)
    vpcs = []
    for i in _indices(n, region):
        vpc = ec2.create_vpc(CidrBlock=f"10.{i % 250}.0.0/16")["Vpc"]["VpcId"]
        if i % 2 == 0:
            ec2.create_flow_logs(
                ResourceIds=[vpc],
                ResourceType="VPC",
                TrafficType="ALL",
                LogDestinationType="s3",
                LogDestination=f"arn:aws:s3:::{bucket}",
            )
            truth.count("vpc_flow_log")
        truth.put("3.7", vpc, i % 2 == 0)
        vpcs.append((vpc, i % 250))
    truth.count("vpc", len(vpcs))
    _defaults(ec2, [v for v, _ in vpcs], truth)
    return vpcs


def _defaults(ec2: Any, created: list[str], truth: Truth) -> None:
    """Truth for what moto made: default VPC, default SGs (even VPCs: rules revoked), NACLs."""
    tighten = set(created[::2])
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
        truth.put("3.7", vpc["VpcId"], False)
        truth.count("vpc")
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])
    for sg in groups["SecurityGroups"]:
        ok = sg["VpcId"] in tighten
        if ok and sg["IpPermissions"]:
            ec2.revoke_security_group_ingress(
                GroupId=sg["GroupId"], IpPermissions=sg["IpPermissions"]
            )
        if ok and sg["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(
                GroupId=sg["GroupId"], IpPermissions=sg["IpPermissionsEgress"]
            )
        truth.put("5.4", sg["GroupId"], ok)
        truth.put("5.2", sg["GroupId"], True)
        truth.put("5.3", sg["GroupId"], True)
        truth.count("security_group")
    acls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])
    for acl in acls["NetworkAcls"]:
        truth.put("5.1", acl["NetworkAclId"], False)
        truth.count("network_acl")


def _subnets(ec2: Any, region: str, vpcs: list[tuple[str, int]], n: int, truth: Truth) -> list[str]:
    subnets = []
    for k, _ in enumerate(_indices(n, region)):
        vpc, octet = vpcs[k % len(vpcs)]
        subnets.append(
            ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=f"10.{octet}.{k // len(vpcs) % 256}.0/24",
                AvailabilityZone=f"{region}a",
            )["Subnet"]["SubnetId"]
        )
    truth.count("subnet", len(subnets))
    return subnets


def _security_groups(ec2: Any, region: str, vpcs: list[str], n: int, truth: Truth) -> None:
    for k, j in enumerate(_indices(n, region)):
        rules, ok4, ok6 = SG_PROFILES[j % len(SG_PROFILES)]
        sg = ec2.create_security_group(
            GroupName=f"bench-{j:05d}", Description="bench", VpcId=vpcs[k % len(vpcs)]
        )["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=rules)
        truth.put("5.2", sg, ok4)
        truth.put("5.3", sg, ok6)
        truth.put("5.4", sg, True, required=False)  # not a default group
        truth.count("security_group")


def _nacls(ec2: Any, region: str, vpcs: list[str], n: int, truth: Truth) -> None:
    for k, j in enumerate(_indices(n, region)):
        entries, ok = NACL_PROFILES[j % len(NACL_PROFILES)]
        acl = ec2.create_network_acl(VpcId=vpcs[k % len(vpcs)])["NetworkAcl"]["NetworkAclId"]
        for rule, proto, action, cidr, (lo, hi) in entries:
            ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=rule,
                Protocol=proto,
                RuleAction=action,
                Egress=False,
                CidrBlock=cidr,
                PortRange={"From": lo, "To": hi},
            )
        truth.put("5.1", acl, ok)
        truth.count("network_acl")


def _instances(ec2: Any, region: str, subnets: list[str], n: int, truth: Truth) -> None:
    """Even indices IMDSv2 required, odd optional; one run_instances batch for each."""
    mine = _indices(n, region)
    image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    required = sum(1 for j in mine if j % 2 == 0)
    for tokens, count in (("required", required), ("optional", len(mine) - required)):
        if not count:
            continue
        extra = {"SubnetId": subnets[0]} if subnets else {}
        made = ec2.run_instances(
            ImageId=image,
            InstanceType="t3.micro",
            MinCount=count,
            MaxCount=count,
            MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
            **extra,
        )["Instances"]
        for inst in made:
            truth.put("5.6", inst["InstanceId"], tokens == "required")
        truth.count("ec2_instance", len(made))


def _volumes(ec2: Any, region: str, counts: dict[str, int], truth: Truth) -> None:
    volumes = []
    for j in _indices(counts["volumes"], region):
        volumes.append(
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=j % 2 == 0)[
                "VolumeId"
            ]
        )
    truth.count("ebs_volume", len(volumes))
    for k, _ in enumerate(_indices(counts["snapshots"], region)):
        if volumes:
            ec2.create_snapshot(VolumeId=volumes[k % len(volumes)])
            truth.count("ebs_snapshot")


def seed_network(aws: Clients, counts: dict[str, int], truth: Truth) -> None:
    def region_tasks(region: str) -> None:
        ec2 = aws("ec2", region)
        made = _vpcs(ec2, aws("s3", region), region, counts["vpcs"], truth)
        subnets = _subnets(ec2, region, made, counts["subnets"], truth)
        vpcs = [v for v, _ in made]
        tasks: list[Callable[[], None]] = [
            lambda: _security_groups(ec2, region, vpcs, counts["security_groups"], truth),
            lambda: _nacls(ec2, region, vpcs, counts["nacls"], truth),
            lambda: _instances(ec2, region, subnets, counts["instances"], truth),
            lambda: _volumes(ec2, region, counts, truth),
        ]
        run_all(tasks, workers=4)

    run_all([partial(region_tasks, r) for r in REGIONS], workers=len(REGIONS))
