"""Exceptions raised by the natsgw clients.

Every failure is a :class:`NATSGWError`. The subclass follows the gRPC status
code of the failed call, and the details the gateway attaches (the
``grpc-status-details-bin`` trailer, a ``google.rpc.Status``) fill in the
specifics: the field of an :class:`InvalidArgumentError`, the retry delay of a
:class:`RateLimitedError`, the reason of every error.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, List, Optional, Tuple

import grpc

from natsgw._proto.natsgw_rpc import error_details_pb2, status_pb2

__all__ = [
    "NATSGWError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "ResourceExhaustedError",
    "RateLimitedError",
    "TimeoutError",
    "UnavailableError",
    "NoRespondersError",
    "CancelledError",
    "DataLossError",
    "InternalError",
    "from_rpc_error",
]


class NATSGWError(Exception):
    """Base of every natsgw error.

    Attributes:
        code: the gRPC status code name, for example ``"NOT_FOUND"``.
        message: the gateway's message (it names the field, limit or thing).
        reason: the ``ErrorInfo`` reason when the gateway sent one
            (for example ``"NO_RESPONDERS"``, ``"RATE_LIMITED"``), else ``""``.
        details: every decoded detail message (``google.rpc`` error details).
    """

    code = "UNKNOWN"

    def __init__(self, message: str, *, code: Optional[str] = None, reason: str = "",
                 details: Optional[List[Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.reason = reason
        self.details: List[Any] = details or []

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgumentError(NATSGWError, ValueError):
    """A malformed argument. ``field`` names it (``"subject"``,
    ``"messages[2].headers"``); ``violations`` lists every
    ``(field, description)``."""

    code = "INVALID_ARGUMENT"

    @property
    def field(self) -> str:
        v = self.violations
        return v[0][0] if v else ""

    @property
    def violations(self) -> List[Tuple[str, str]]:
        out: List[Tuple[str, str]] = []
        for d in self.details:
            if isinstance(d, error_details_pb2.BadRequest):
                out.extend((fv.field, fv.description) for fv in d.field_violations)
        return out


class NotFoundError(NATSGWError, LookupError):
    """A stream, consumer, bucket, key, object or subscription does not exist."""

    code = "NOT_FOUND"


class AlreadyExistsError(NATSGWError):
    """A create found the thing already there with another configuration (the
    message names the setting), or ``kv_create`` found the key."""

    code = "ALREADY_EXISTS"


class FailedPreconditionError(NATSGWError):
    """An expected revision or sequence did not match: read again, then retry."""

    code = "FAILED_PRECONDITION"


class AbortedError(NATSGWError):
    """A concurrent change; retrying as is makes sense."""

    code = "ABORTED"


class OutOfRangeError(NATSGWError):
    """An object range starts past the object's end."""

    code = "OUT_OF_RANGE"


class PermissionDeniedError(NATSGWError, PermissionError):
    """Outside the caller's permissions, or another organization's token."""

    code = "PERMISSION_DENIED"


class UnauthenticatedError(NATSGWError):
    """A missing or bad token."""

    code = "UNAUTHENTICATED"


class ResourceExhaustedError(NATSGWError):
    """A limit was reached (message size, bucket size, open streams); the
    message names it."""

    code = "RESOURCE_EXHAUSTED"


class RateLimitedError(ResourceExhaustedError):
    """The organization's rate limit; retry after ``retry_delay`` seconds."""

    @property
    def retry_delay(self) -> Optional[float]:
        for d in self.details:
            if isinstance(d, error_details_pb2.RetryInfo):
                return d.retry_delay.seconds + d.retry_delay.nanos / 1e9
        return None


class TimeoutError(NATSGWError, builtins.TimeoutError):
    """The call's deadline or timeout ran out (DEADLINE_EXCEEDED)."""

    code = "DEADLINE_EXCEEDED"


class UnavailableError(NATSGWError, ConnectionError):
    """The gateway (or its NATS) is not reachable or going away: retry."""

    code = "UNAVAILABLE"


class NoRespondersError(UnavailableError):
    """A request found nobody subscribed to its subject."""


class CancelledError(NATSGWError):
    """The call was cancelled (by this client, for example on close)."""

    code = "CANCELLED"


class DataLossError(NATSGWError):
    """An object's data does not match its digest."""

    code = "DATA_LOSS"


class InternalError(NATSGWError):
    """A gateway bug; the details are in the gateway's log."""

    code = "INTERNAL"


_BY_CODE: Dict[grpc.StatusCode, type] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: TimeoutError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.CANCELLED: CancelledError,
    grpc.StatusCode.DATA_LOSS: DataLossError,
    grpc.StatusCode.INTERNAL: InternalError,
}

# google.rpc detail type names -> our wire-compatible copies.
_DETAIL_TYPES = {
    "google.rpc." + name: getattr(error_details_pb2, name)
    for name in ("ErrorInfo", "RetryInfo", "DebugInfo", "QuotaFailure", "PreconditionFailure",
                 "BadRequest", "RequestInfo", "ResourceInfo", "Help", "LocalizedMessage")
}

_CODE_NAMES = {c.value[0]: c for c in grpc.StatusCode}


def decode_details(status_bin: bytes) -> List[Any]:
    """Decodes a serialized google.rpc.Status (the grpc-status-details-bin
    trailer) into its detail messages; unknown types are skipped."""
    st = status_pb2.Status()
    st.ParseFromString(status_bin)
    return decode_any_details(st.details)


def decode_any_details(anys: Any) -> List[Any]:
    out = []
    for a in anys:
        cls = _DETAIL_TYPES.get(a.type_url.rsplit("/", 1)[-1])
        if cls is not None:
            m = cls()
            m.ParseFromString(a.value)
            out.append(m)
    return out


def make_error(code: grpc.StatusCode, message: str, details: List[Any]) -> NATSGWError:
    """Builds the exception for a status code, message and decoded details."""
    reason = ""
    for d in details:
        if isinstance(d, error_details_pb2.ErrorInfo):
            reason = d.reason
            break
    cls = _BY_CODE.get(code, NATSGWError)
    if reason == "NO_RESPONDERS":
        cls = NoRespondersError
    elif reason == "RATE_LIMITED":
        cls = RateLimitedError
    return cls(message, code=code.name, reason=reason, details=details)


def make_error_from_int(code: int, message: str, anys: Any) -> NATSGWError:
    """As make_error, for a status carried in a message body (KV sessions)."""
    return make_error(_CODE_NAMES.get(code, grpc.StatusCode.UNKNOWN), message, decode_any_details(anys))


def strip_field_prefix(err: NATSGWError, prefix: str) -> NATSGWError:
    """Drops prefix from the field paths of err's BadRequest details, where
    a stream's first frame wraps the arguments the caller gave (Serve's
    "start.subject" is the caller's "subject")."""
    for d in err.details:
        if isinstance(d, error_details_pb2.BadRequest):
            for fv in d.field_violations:
                if fv.field.startswith(prefix):
                    fv.field = fv.field[len(prefix):]
    return err


def from_rpc_error(err: grpc.RpcError) -> NATSGWError:
    """Converts a grpc.RpcError (sync or aio) into the matching NATSGWError."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = err.details() if hasattr(err, "details") else str(err)
    details: List[Any] = []
    trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == "grpc-status-details-bin":
            try:
                details = decode_details(value)
            except Exception:  # a malformed trailer must not hide the error
                details = []
    if code == grpc.StatusCode.UNAVAILABLE and (not message or "all backends" in message
                                                or "failed to connect" in message.lower()):
        message = "the gateway is not reachable" + (f" ({message})" if message else "")
    return make_error(code, message or "", details)


def invalid_argument(field: str, rule: str) -> InvalidArgumentError:
    """A client-side InvalidArgumentError naming field and rule, shaped as
    the gateway's (a BadRequest field violation)."""
    br = error_details_pb2.BadRequest()
    br.field_violations.add(field=field, description=rule)
    return InvalidArgumentError(f"{field}: {rule}", details=[br])
