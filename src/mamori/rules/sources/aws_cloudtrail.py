"""The ``aws_cloudtrail`` event source: Falco's CloudTrail plugin fields over records.

An event is one CloudTrail record decoded to a ``dict`` (an element of a log file's
``Records`` array, as `mamori.logs.cloudtrail` yields it). The catalogue and the
extraction rules follow the field reference of Falco's ``cloudtrail`` plugin
(falcosecurity/plugins, ``plugins/cloudtrail``), read as documentation:

- the string fields read one JSON string of the record (``ct.name``: ``eventName``,
  ``ct.request.name``: ``requestParameters.name``...); a missing key, a ``null`` or a
  value of another type is not available, so ``not ct.error exists`` means "no
  ``errorCode``";
- ``ct.request``, ``ct.response``, ``ct.additionaleventdata``,
  ``ct.serviceeventdetails``, ``ct.edgedevicedetails`` render the whole value as
  compact JSON (a string as is);
- ``ct.user`` depends on ``userIdentity.type``: ``userName`` for Root and IAMUser,
  ``invokedBy`` for AWSService, the session issuer's ``userName`` (else
  ``AssumedRole``) for AssumedRole, the type itself for AWSAccount and FederatedUser;
  a known type without the name reads ``<NA>`` as text, an unknown type is not
  available;
- ``ct.readonly`` is ``readOnly`` as ``true``/``false``; without the key, ``false``
  when ``eventName`` starts with a mutating verb (Create, Delete, Put...), else
  ``true``; ``ct.managementevent`` is ``managementEvent`` when it is a boolean;
- ``s3.bytes*`` add ``additionalEventData.bytesTransferredIn/Out`` (integers or
  floats, truncated); ``s3.cnt.get``/``put`` are 1 for GetObject/PutObject and not
  available otherwise, ``s3.cnt.other`` the reverse (what the plugin does, although
  its description says 0);
- ``ct.info`` (also ``evt.plugininfo``) is the plugin's one-line summary: ``USER via
  IP [!]<-|-> NAME`` plus size and S3 URI, bucket, key or host.

``json.value[/pointer]`` (Falco's ``json`` plugin) reads any value of the record;
``evt.time*`` come from ``eventTime``. The engine indexes the source's rules by
``eventName`` (`KeyedPluginSource`): a record meets only the rules whose condition
admits its call, and the unrestricted ones.
"""

from __future__ import annotations

from typing import Any

from mamori.rules.source import sources
from mamori.rules.sources._dispatch import KeyedPluginSource, json_key_fields
from mamori.rules.sources._json_fields import (
    Getter,
    attach_generic,
    compact,
    fixed,
    parse_rfc3339,
    plugin_fields,
    string_at,
    text_at,
)

NAME = "aws_cloudtrail"

TABLE = """
ct.id CHARBUF - the unique ID of the event (eventID)
ct.error CHARBUF - the error code of the event (errorCode); not available without error
ct.errormessage CHARBUF - the description of the error (errorMessage)
ct.time CHARBUF - the timestamp of the event (eventTime)
ct.src CHARBUF - the source of the event (eventSource)
ct.shortsrc CHARBUF - eventSource without its .amazonaws.com trailer
ct.name CHARBUF - the name of the event (eventName)
ct.user CHARBUF - the user of the event (from userIdentity, by identity type)
ct.originaluser CHARBUF - the user name as seen in CloudTrail (session name for AssumedRole)
ct.user.accountid CHARBUF - the account ID of the user (or recipientAccountId)
ct.user.identitytype CHARBUF - the kind of identity (Root, IAMUser, AWSService...)
ct.user.principalid CHARBUF - a unique identifier of the user that made the request
ct.user.arn CHARBUF - the ARN of the user that made the request
ct.region CHARBUF - the region of the event (awsRegion)
ct.response.subnetid CHARBUF - the subnet ID in the response
ct.response.reservationid CHARBUF - the reservation ID in the response
ct.response CHARBUF - all response elements
ct.request.availabilityzone CHARBUF - the availability zone in the request
ct.request.cluster CHARBUF - the cluster in the request
ct.request.functionname CHARBUF - the function name in the request
ct.request.groupname CHARBUF - the group name in the request
ct.request.host CHARBUF - the host in the request
ct.request.name CHARBUF - the name of the entity acted on in the request
ct.request.policy CHARBUF - the policy in the request
ct.request.reason CHARBUF - the reason in the request
ct.request.target CHARBUF - the target in the request
ct.request.documentname CHARBUF - the document name in the request
ct.request.serialnumber CHARBUF - the serial number in the request
ct.request.servicename CHARBUF - the service name in the request
ct.request.subnetid CHARBUF - the subnet ID in the request
ct.request.taskdefinition CHARBUF - the task definition in the request
ct.request.username CHARBUF - the user name in the request
ct.request CHARBUF - all request parameters
ct.srcip CHARBUF - the IP address that made the request (sourceIPAddress)
ct.useragent CHARBUF - the user agent of the request (userAgent)
ct.info CHARBUF - summary information about the event
ct.managementevent CHARBUF - 'true' for a management event, 'false' otherwise
ct.readonly CHARBUF - 'true' if the event only reads information, 'false' otherwise
ct.requestid CHARBUF - the value that identifies the request (requestID)
ct.eventtype CHARBUF - the type of event that generated the record (eventType)
ct.apiversion CHARBUF - the API version of an AwsApiCall (apiVersion)
ct.resources CHARBUF - the resources accessed in the event
ct.recipientaccountid CHARBUF - the account ID that received the event
ct.serviceeventdetails CHARBUF - the service event, its trigger and result
ct.sharedeventid CHARBUF - GUID shared by the copies of one event delivered to accounts
ct.vpcendpointid CHARBUF - the VPC endpoint the request went through
ct.eventcategory CHARBUF - the event category used in LookupEvents calls
ct.addendum.reason CHARBUF - why the event or some of its contents were missing
ct.addendum.updatedfields CHARBUF - the record fields updated by the addendum
ct.addendum.originalrequestid CHARBUF - the original unique ID of the request
ct.addendum.originaleventid CHARBUF - the original event ID
ct.sessioncredentialfromconsole CHARBUF - whether the event came from a console session
ct.edgedevicedetails CHARBUF - the edge devices targeted by the request
ct.tlsdetails.tlsversion CHARBUF - the TLS version of the request
ct.tlsdetails.ciphersuite CHARBUF - the cipher suite of the request
ct.tlsdetails.clientprovidedhostheader CHARBUF - the host name the client called
ct.additionaleventdata CHARBUF - all additional event data
s3.uri CHARBUF - the S3 URI (s3://bucket/key)
s3.bucket CHARBUF - the bucket name of an S3 event
s3.key CHARBUF - the S3 key name
s3.bytes UINT64 - the size of an S3 download or upload, in bytes
s3.bytes.in UINT64 - the size of an S3 upload, in bytes
s3.bytes.out UINT64 - the size of an S3 download, in bytes
s3.cnt.get UINT64 - 1 for GetObject events
s3.cnt.put UINT64 - 1 for PutObject events
s3.cnt.other UINT64 - 1 for events other than GetObject and PutObject
ec2.name CHARBUF - the name of the EC2 instances, from their Name tag
ec2.imageid CHARBUF - the ID of the image used to run the EC2 instance
ecr.repository CHARBUF - the ECR repository in the request
ecr.imagetag CHARBUF - the image tag in the request
iam.role CHARBUF - the IAM role in the request
iam.policy CHARBUF - the IAM policy in the request
"""

_STRINGS: dict[str, tuple[str, ...]] = {
    "ct.id": ("eventID",),
    "ct.error": ("errorCode",),
    "ct.errormessage": ("errorMessage",),
    "ct.time": ("eventTime",),
    "ct.src": ("eventSource",),
    "ct.name": ("eventName",),
    "ct.user.identitytype": ("userIdentity", "type"),
    "ct.user.principalid": ("userIdentity", "principalId"),
    "ct.user.arn": ("userIdentity", "arn"),
    "ct.region": ("awsRegion",),
    "ct.response.subnetid": ("responseElements", "subnetId"),
    "ct.response.reservationid": ("responseElements", "reservationId"),
    "ct.srcip": ("sourceIPAddress",),
    "ct.useragent": ("userAgent",),
    "ct.requestid": ("requestID",),
    "ct.eventtype": ("eventType",),
    "ct.apiversion": ("apiVersion",),
    "ct.recipientaccountid": ("recipientAccountId",),
    "ct.sharedeventid": ("sharedEventID",),
    "ct.vpcendpointid": ("vpcEndpointId",),
    "ct.eventcategory": ("eventCategory",),
    "ct.addendum.reason": ("addendum", "reason"),
    "ct.addendum.updatedfields": ("addendum", "updatedFields"),
    "ct.addendum.originalrequestid": ("addendum", "originalRequestID"),
    "ct.addendum.originaleventid": ("addendum", "originalEventID"),
    "ct.tlsdetails.tlsversion": ("tlsDetails", "tlsVersion"),
    "ct.tlsdetails.ciphersuite": ("tlsDetails", "cipherSuite"),
    "ct.tlsdetails.clientprovidedhostheader": ("tlsDetails", "clientProvidedHostHeader"),
    "s3.bucket": ("requestParameters", "bucketName"),
    "s3.key": ("requestParameters", "key"),
    "ecr.repository": ("requestParameters", "repositoryName"),
    "ecr.imagetag": ("requestParameters", "imageTag"),
    "iam.role": ("requestParameters", "roleName"),
    "iam.policy": ("requestParameters", "policyName"),
}
for _f in ("availabilityZone", "cluster", "functionName", "groupName", "name", "policy",
           "reason", "target", "documentName", "serialNumber", "serviceName", "subnetId",
           "taskDefinition", "userName"):  # fmt: skip
    _STRINGS[f"ct.request.{_f.lower()}"] = ("requestParameters", _f)
_STRINGS["ct.request.host"] = ("requestParameters", "Host")

_VALUES = {
    "ct.request": "requestParameters",
    "ct.response": "responseElements",
    "ct.additionaleventdata": "additionalEventData",
    "ct.serviceeventdetails": "serviceEventDetails",
    "ct.edgedevicedetails": "edgeDeviceDetails",
}

WRITE_PREFIXES = (
    "Start", "Stop", "Create", "Destroy", "Delete", "Add", "Remove", "Terminate", "Put",
    "Associate", "Disassociate", "Attach", "Detach", "Open", "Close", "Wipe", "Update",
    "Upgrade", "Unlink", "Assign", "Unassign", "Suspend", "Set", "Run", "Register",
    "Deregister", "Reboot", "Purchase", "Modify", "Initialize", "Enable", "Disable",
    "Cancel", "Admin", "Activate",
)  # fmt: skip
_NAMED = {"Root": "userName", "IAMUser": "userName", "AWSService": "invokedBy"}


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def user(ev: Any) -> str | None:
    ident = _dict(ev.get("userIdentity"))
    utype = _str(ident.get("type"))
    if utype is None:
        return None
    if utype in _NAMED:
        name = _str(ident.get(_NAMED[utype]))
        return "<NA>" if name is None else name
    if utype == "AssumedRole":
        issuer = _dict(_dict(ident.get("sessionContext")).get("sessionIssuer"))
        name = _str(issuer.get("userName"))
        return "AssumedRole" if name is None else name
    if utype in ("AWSAccount", "FederatedUser"):
        return utype
    return None


def _original_user(ev: Any) -> str | None:
    ident = _dict(ev.get("userIdentity"))
    if ident.get("type") != "AssumedRole":
        return _str(ident.get("userName"))
    parts = (_str(ident.get("arn")) or "").split("/")
    if len(parts) == 3:
        return parts[2]
    pid = (_str(ident.get("principalId")) or "").split(":")
    return pid[1] if len(pid) == 2 else None


def _account(ev: Any) -> str | None:
    return _str(_dict(ev.get("userIdentity")).get("accountId")) or _str(
        ev.get("recipientAccountId")
    )


def _shortsrc(ev: Any) -> str | None:
    src = _str(ev.get("eventSource"))
    return src.removesuffix(".amazonaws.com") if src is not None else None


def readonly(ev: Any) -> str:
    if "readOnly" not in ev:
        name = _str(ev.get("eventName")) or ""
        return "false" if name.startswith(WRITE_PREFIXES) else "true"
    return "true" if ev["readOnly"] is True else "false"


def _boolean(key: str, strings: bool = False) -> Getter:
    def get(ev: Any) -> str | None:
        v = ev.get(key)
        if isinstance(v, bool):
            return "true" if v else "false"
        if strings and v in ("true", "false"):
            return str(v)
        return None

    return get


def _resources(ev: Any) -> str | None:
    res = ev.get("resources")
    if not isinstance(res, list) or not res:
        return None
    return ",".join(compact(r) for r in res) or None


def _u64(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, float) and v != v:  # NaN
        return 0
    return max(0, min(int(v), 2**64 - 1)) if v != float("inf") else 2**64 - 1


def _bytes(which: tuple[str, ...]) -> Getter:
    def get(ev: Any) -> int | None:
        extra = _dict(ev.get("additionalEventData"))
        vals = [_u64(extra.get(k)) for k in which]
        got = [v for v in vals if v is not None]
        return min(sum(got), 2**64 - 1) if got else None

    return get


def _count(names: tuple[str, ...], inside: bool) -> Getter:
    def get(ev: Any) -> int | None:
        return 1 if (ev.get("eventName") in names) is inside else None

    return get


def _s3_uri(ev: Any) -> str | None:
    req = _dict(ev.get("requestParameters"))
    bucket, key = _str(req.get("bucketName")), _str(req.get("key"))
    return f"s3://{bucket}/{key}" if bucket is not None and key is not None else None


def _ec2_name(ev: Any) -> str | None:
    spec = _dict(_dict(ev.get("requestParameters")).get("tagSpecificationSet"))
    items = spec.get("items")
    for item in items if isinstance(items, list) else ():
        item = _dict(item)
        if item.get("resourceType") != "instance" or not isinstance(item.get("tags"), list):
            continue
        for tag in item["tags"]:
            tag = _dict(tag)
            if tag.get("key") == "Name" and _str(tag.get("value")):
                return str(tag["value"])
    return None


def _ec2_image(ev: Any) -> str | None:
    spec = _dict(_dict(ev.get("responseElements")).get("tagSpecificationSet"))
    items = spec.get("items")
    if not isinstance(items, list) or not items:
        return None
    return _str(_dict(items[0]).get("imageId")) or None


def info(ev: Any) -> str:
    """The plugin's one-line summary of a record (``ct.info``)."""
    ident = _dict(ev.get("userIdentity"))
    who = (user(ev) or "<NA>") if isinstance(ident.get("type"), str) else ""
    srcip = _str(ev.get("sourceIPAddress")) or ""
    name = _str(ev.get("eventName"))
    if name is None:
        return "<invalid cloudtrail event: eventName field missing>"
    err = "!" if "errorCode" in ev else ""
    ro = ev.get("readOnly")
    rw = "→" if ro is False else "←"
    text = f"{who} {err}{rw} {name}" if who == srcip else f"{who} via {srcip} {err}{rw} {name}"
    size = _bytes(("bytesTransferredIn", "bytesTransferredOut"))(ev)
    if size:
        text += f" Size={size}"
    req = _dict(ev.get("requestParameters"))
    uri = _s3_uri(ev)
    for label, value in (("URI", uri), ("Bucket", req.get("bucketName")),
                         ("Key", req.get("key")), ("Host", req.get("Host"))):  # fmt: skip
        if isinstance(value, str):
            return f"{text} {label}={value}"
    return text


def timestamp(ev: Any) -> int | None:
    """``eventTime`` in nanoseconds since the epoch."""
    return parse_rfc3339(ev.get("eventTime"))


_GETTERS: dict[str, Getter] = {
    **{name: string_at(*keys) for name, keys in _STRINGS.items()},
    **{name: text_at(key) for name, key in _VALUES.items()},
    "ct.user": user,
    "ct.originaluser": _original_user,
    "ct.user.accountid": _account,
    "ct.shortsrc": _shortsrc,
    "ct.info": info,
    "ct.managementevent": _boolean("managementEvent"),
    "ct.sessioncredentialfromconsole": _boolean("sessionCredentialFromConsole", strings=True),
    "ct.readonly": readonly,
    "ct.resources": _resources,
    "s3.uri": _s3_uri,
    "s3.bytes": _bytes(("bytesTransferredIn", "bytesTransferredOut")),
    "s3.bytes.in": _bytes(("bytesTransferredIn",)),
    "s3.bytes.out": _bytes(("bytesTransferredOut",)),
    "s3.cnt.get": _count(("GetObject",), True),
    "s3.cnt.put": _count(("PutObject",), True),
    "s3.cnt.other": _count(("GetObject", "PutObject"), False),
    "ec2.name": _ec2_name,
    "ec2.imageid": _ec2_image,
}

AWS_CLOUDTRAIL = KeyedPluginSource(
    NAME, plugin_fields(TABLE), "eventName", json_key_fields("ct.name", "eventName")
)
"""The ``aws_cloudtrail`` source: events are CloudTrail records (``dict``)."""

for _name, _getter in _GETTERS.items():
    AWS_CLOUDTRAIL.add_extractor(_name, fixed(_getter))
attach_generic(AWS_CLOUDTRAIL, "cloudtrail", timestamp, info)
sources.add(NAME, AWS_CLOUDTRAIL)
