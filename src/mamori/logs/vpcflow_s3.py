"""VPC Flow Logs read straight from their S3 bucket, incrementally.

Flow logs delivered to S3 use CloudTrail's layout with another service folder:
``<prefix>/AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<account>_vpcflowlogs_
<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz``, each file starting with its
format's header line. Listing, cursors, prefetching and error handling are
`CloudTrailS3`'s; only the folder name, the file suffixes and the record parser
(`mamori.logs.vpcflow`) differ.

    reader = VpcFlowS3("s3://flow-bucket/", cursors=StateFile(), notices=notices)
    for record in reader.records(): ...          # only objects not read before
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from mamori.logs.cloudtrail_s3 import CloudTrailS3
from mamori.logs.vpcflow import read_vpc_flow_stream
from mamori.model import Notice


class VpcFlowS3(CloudTrailS3):
    """Incremental reader of a flow log bucket prefix."""

    service = "vpcflowlogs"
    suffixes = (".log.gz", ".log")

    def _stream(self, stream: IO[bytes], uri: str, found: list[Notice]) -> Iterator[dict[str, Any]]:
        return read_vpc_flow_stream(stream, uri, notices=found, limits=self.limits)
