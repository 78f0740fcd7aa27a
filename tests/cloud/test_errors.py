from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from mamori.cloud.aws.errors import classify
from mamori.model import ErrorKind


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Op",
    )


def test_classification() -> None:
    assert classify(_client_error("AccessDeniedException"))[0] is ErrorKind.ACCESS_DENIED
    assert classify(_client_error("403", 403))[0] is ErrorKind.ACCESS_DENIED
    assert classify(_client_error("OptInRequired"))[0] is ErrorKind.UNSUPPORTED
    assert classify(_client_error("ThrottlingException"))[0] is ErrorKind.THROTTLED
    assert classify(_client_error("InternalFailure", 500))[0] is ErrorKind.ERROR
    kind, message = classify(EndpointConnectionError(endpoint_url="https://x"))
    assert kind is ErrorKind.UNSUPPORTED and "x" in message
    assert classify(ValueError("bad csv"))[0] is ErrorKind.ERROR
