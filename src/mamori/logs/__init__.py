"""Readers of cloud and cluster logs, yielding each record as a ``dict``.

    from mamori.logs import read_cloudtrail, read_k8s_audit
    notices: list[Notice] = []
    for record in read_cloudtrail("AWSLogs/", notices=notices): ...
    for event in read_k8s_audit("audit.log", notices=notices): ...

Records go to the rules engine's ``aws_cloudtrail`` and ``k8s_audit`` sources as they
are. Readers stream and stay bounded (`Limits`): bad input is a warning in
``notices``, never an exception. The S3 bucket reader and the audit webhook endpoint
come later and will feed `read_cloudtrail_stream` / `read_k8s_audit_stream`.
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
