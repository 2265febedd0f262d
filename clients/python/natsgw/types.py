"""The result dictionaries of the natsgw clients, as TypedDicts.

Results are plain dicts (the keys are the contract); these types tell editors
and type checkers which keys exist.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Dict, List, Optional

if sys.version_info >= (3, 8):
    from typing import TypedDict
else:  # pragma: no cover
    from typing_extensions import TypedDict

__all__ = [
    "Message", "PublishBatchResult", "StreamPublishResult", "StreamInfo", "ConsumerInfo",
    "PulledMessage", "KVEntry", "KVPutResult", "KVKeysPage", "TaskInfo", "TaskQueueStats", "TaskPage", "ObjectInfo", "ObjectResult", "Statistics", "Health",
]


class Message(TypedDict):
    """A message delivered to a subscriber or a responder, or a reply."""

    subject: str
    data: bytes
    #: Header values, the first value of each key.
    headers: Dict[str, str]
    #: Every value of every header, in order.
    headers_all: Dict[str, List[str]]
    #: Set when the publisher waits for a reply (answer with client.reply).
    reply_to: str


class PublishBatchResult(TypedDict):
    published_count: int
    success: bool


class StreamPublishResult(TypedDict):
    stream: str
    sequence: int
    duplicate: bool


class StreamInfo(TypedDict):
    name: str
    description: str
    subjects: List[str]
    storage: str
    retention: str
    max_msgs: int
    max_bytes: int
    max_age_seconds: float
    replicas: int
    messages: int
    bytes: int
    first_sequence: int
    last_sequence: int
    consumers: int
    created: Optional[datetime]
    dead_letter_for: str


class ConsumerInfo(TypedDict):
    stream: str
    name: str
    filter_subjects: List[str]
    deliver_policy: str
    ack_policy: str
    ack_wait_seconds: float
    max_deliver: int
    num_pending: int
    num_ack_pending: int
    num_redelivered: int
    num_waiting: int
    delivered_sequence: int
    ack_floor_sequence: int
    dead_letter_stream: str


class PulledMessage(TypedDict):
    """A JetStream message from pull_messages or consume. The objects returned
    are dicts with these keys and also ``ack()``, ``nak(delay=None)``,
    ``term(reason="")`` and ``in_progress()`` methods."""

    subject: str
    data: bytes
    headers: Dict[str, str]
    headers_all: Dict[str, List[str]]
    stream: str
    consumer: str
    #: The stream sequence (what ack_message takes).
    sequence: int
    consumer_sequence: int
    #: How many times this message was delivered, this time included.
    num_delivered: int
    num_pending: int
    timestamp: Optional[datetime]
    ack_token: str


class KVEntry(TypedDict):
    bucket: str
    key: str
    value: bytes
    revision: int
    created: Optional[datetime]
    #: "PUT", "DELETE" or "PURGE" (history and watch show deletions).
    operation: str


class KVPutResult(TypedDict):
    """The outcome of one item of kv_mput."""

    key: str
    #: The stored value's revision; 0 when error is set.
    revision: int
    #: The item's error (a NATSGWError, as the single call would raise), or None.
    error: Optional[Exception]


class KVKeysPage(TypedDict):
    """One page of kv_keys_page."""

    #: The page's keys, sorted.
    keys: List[str]
    #: Pass to the next kv_keys_page call; "" after the last page.
    next_page_token: str


class TaskInfo(TypedDict):
    """A task, as a handler receives it and get_task_result returns it."""

    id: str
    queue: str
    task_type: str
    payload: bytes
    #: Application headers given at enqueue (first value of each).
    headers: Dict[str, str]
    #: "low", "normal" or "high".
    priority: str
    #: "SCHEDULED", "QUEUED", "RUNNING", "RETRYING", "SUCCEEDED" or "DEAD".
    state: str
    #: Retries made so far, and the most allowed.
    retries: int
    max_retries: int
    #: The last error ("" if none).
    error: str
    #: The handler's result (SUCCEEDED).
    result: bytes
    #: When it was enqueued, and when it finished (None until then).
    enqueued_at: Optional[datetime]
    finished_at: Optional[datetime]


class TaskPage(TypedDict):
    """One page of list_tasks_page."""

    #: The page's tasks, oldest first.
    tasks: List[TaskInfo]
    #: Pass to the next list_tasks_page call; "" after the last page.
    next_page_token: str


class TaskQueueStats(TypedDict):
    """task_queue_stats: a queue's tasks counted by state."""

    queue: str
    scheduled: int
    queued: int
    running: int
    retrying: int
    succeeded: int
    dead: int
    #: True while paused (pause_task_queue); paused_until when the pause ends by itself.
    paused: bool
    paused_until: Optional[datetime]
    #: Tasks per second by task type.
    rate_limits: Dict[str, float]


class ObjectInfo(TypedDict):
    bucket: str
    name: str
    object_id: str
    size: int
    sha256: str
    description: str
    metadata: Dict[str, str]
    modified: Optional[datetime]
    chunks: int


class ObjectResult(ObjectInfo):
    """object_get's result: the info plus ``data`` (empty when written into a
    file with ``into=``)."""

    data: bytes


class Statistics(TypedDict):
    total_streams: int
    total_consumers: int
    total_messages: int
    total_bytes: int
    kv_buckets: int
    kv_bytes: int
    object_buckets: int
    object_bytes: int
    subscriptions: int
    connections: int
    in_msgs: int
    in_bytes: int
    out_msgs: int
    out_bytes: int
    since: Optional[datetime]


class Health(TypedDict):
    healthy: bool
    nats_connected: bool
    jetstream_enabled: bool
    nats_server_version: str
    gateway_version: str
    mode: str
    connections: int
    reason: str
    nats_rtt_seconds: float
    jetstream_rtt_seconds: float
