"""natsgw: the Python client of the natsgw gateway.

    from natsgw import NATSClient

    with NATSClient(user_id='your-service') as client:
        client.publish('events.user.login', b'User logged in')

``NATSClient`` is synchronous; ``natsgw.aio.AsyncNATSClient`` has the same
methods as coroutines. Results are dicts (see ``natsgw.types``); failures are
``natsgw.errors.NATSGWError`` subclasses.
"""

from natsgw.client import NATSClient
from natsgw._streams import Consumer, JetStreamMsg, Subscription, Watch
from natsgw._tasks import RetryAfter, TaskFailed
from natsgw.errors import (
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    DataLossError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NATSGWError,
    NoRespondersError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    RateLimitedError,
    ResourceExhaustedError,
    TimeoutError,
    UnauthenticatedError,
    UnavailableError,
)

__version__ = "0.1.0"

__all__ = [
    "NATSClient", "Subscription", "Consumer", "Watch", "JetStreamMsg", "RetryAfter", "TaskFailed",
    "NATSGWError", "InvalidArgumentError", "NotFoundError", "AlreadyExistsError", "FailedPreconditionError",
    "AbortedError", "OutOfRangeError", "PermissionDeniedError", "UnauthenticatedError", "ResourceExhaustedError",
    "RateLimitedError", "TimeoutError", "UnavailableError", "NoRespondersError", "CancelledError",
    "DataLossError", "InternalError",
]
