"""Classify AWS API failures so a scan records them per resource type and goes on."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from mamori.model import ErrorKind

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedAccess",
    "AuthFailure",
    "Forbidden",
}
_UNSUPPORTED = {
    "OptInRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "UnsupportedOperation",
    "InvalidAction",
    "NotImplemented",
    "SubscriptionRequiredException",
    "UnknownOperationException",
    "InvalidRequestException",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}


def classify(exc: BaseException) -> tuple[ErrorKind, str]:
    """(kind, one-line message) for an exception raised while collecting."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = f"{code}: {error.get('Message', '')}".strip()
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED or (code == "403" or status == 403):
            # Some JSON-protocol services answer a denial without a parsable code: 403.
            return ErrorKind.ACCESS_DENIED, message
        if code in _UNSUPPORTED:
            return ErrorKind.UNSUPPORTED, message
        if code in _THROTTLED:
            return ErrorKind.THROTTLED, message
        return ErrorKind.ERROR, message
    if isinstance(exc, EndpointConnectionError):
        return ErrorKind.UNSUPPORTED, f"endpoint unreachable: {exc}"
    if isinstance(exc, NoCredentialsError | NoRegionError):
        return ErrorKind.ERROR, str(exc)
    if isinstance(exc, BotoCoreError):
        return ErrorKind.ERROR, str(exc)
    return ErrorKind.ERROR, f"{type(exc).__name__}: {exc}"
