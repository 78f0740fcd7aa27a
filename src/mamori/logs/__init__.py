"""Readers of cloud and cluster logs, yielding each record as a ``dict``.

    from mamori.logs import read_cloudtrail, read_k8s_audit
    notices: list[Notice] = []
    for record in read_cloudtrail("AWSLogs/", notices=notices): ...
    for event in read_k8s_audit("audit.log", notices=notices): ...

Records go to the rules engine's ``aws_cloudtrail``, ``k8s_audit`` and ``vpc_flow``
sources as they are. Readers stream and stay bounded (`Limits`): bad input is a warning
in ``notices``, never an exception. Also here: `cloudtrail_s3.CloudTrailS3` (a bucket
read incrementally, cursors per prefix) and `vpcflow.read_vpc_flow` (VPC Flow Logs); the
audit webhook endpoint is `mamori.app.k8s_audit_server` (docs/logs.md).
"""

from mamori.logs._io import Limits
from mamori.logs.cloudtrail import cloudtrail_files, read_cloudtrail, read_cloudtrail_stream
from mamori.logs.k8s_audit import read_k8s_audit, read_k8s_audit_stream

__all__ = [
    "Limits",
    "cloudtrail_files",
    "read_cloudtrail",
    "read_cloudtrail_stream",
    "read_k8s_audit",
    "read_k8s_audit_stream",
]
