"""Conversion between the brief's arguments and dicts and the gateway's
protobuf messages, shared by the sync and the asyncio client (the httpx
model: one set of models, two transports). Nothing here does I/O.

Every unary operation is an :class:`Op`: which service and method to call,
the request, how to turn the response into the result, and which status
codes mean "no result" (``None``) rather than an error.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import grpc
from google.protobuf import duration_pb2

from natsgw._proto.natsgw.v1 import (
    admin_pb2,
    consumer_pb2,
    kv_pb2,
    message_pb2,
    messaging_pb2,
    object_pb2,
    stream_pb2,
)
from natsgw import errors
from natsgw import types as t

Headers = Optional[Mapping[str, Union[str, Sequence[str]]]]
Data = Union[bytes, bytearray, memoryview, str]

# Service names, the keys of a client's stubs.
MESSAGING, STREAMS, CONSUMERS, KV, OBJECTS, ADMIN = (
    "messaging", "streams", "consumers", "kv", "objects", "admin")


class Op:
    """One unary call: stubs[service].method(request) -> convert(response)."""

    __slots__ = ("service", "method", "request", "convert", "none_on", "timeout")

    def __init__(self, service: str, method: str, request: Any, convert: Callable[[Any], Any],
                 none_on: FrozenSet[grpc.StatusCode] = frozenset(), timeout: Optional[float] = None) -> None:
        self.service, self.method, self.request = service, method, request
        self.convert, self.none_on, self.timeout = convert, none_on, timeout


NOT_FOUND = frozenset({grpc.StatusCode.NOT_FOUND})


def to_bytes(data: Data) -> bytes:
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def duration(seconds: Optional[float]) -> Optional[duration_pb2.Duration]:
    if seconds is None:
        return None
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def seconds(d: Any) -> float:
    return d.seconds + d.nanos / 1e9


def timestamp(ts: Any, present: bool) -> Optional[_dt.datetime]:
    if not present:
        return None
    return _dt.datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=_dt.timezone.utc)


def set_headers(target: Any, headers: Headers) -> None:
    for k, v in (headers or {}).items():
        values = [v] if isinstance(v, str) else list(v)
        target[k].values.extend(values)


def headers_of(m: Any) -> Dict[str, str]:
    return {k: (hv.values[0] if hv.values else "") for k, hv in m.items()}


def headers_all_of(m: Any) -> Dict[str, List[str]]:
    return {k: list(hv.values) for k, hv in m.items()}


# --- core messaging -----------------------------------------------------------------------------

def outgoing(subject: str, data: Data, headers: Headers = None, reply_to: str = "") -> message_pb2.OutgoingMessage:
    m = message_pb2.OutgoingMessage(subject=subject, data=to_bytes(data), reply_to=reply_to)
    set_headers(m.headers, headers)
    return m


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# Varints of 0 .. 16383 (one or two bytes), precomputed for the publish path.
_VARINTS = [_varint(i) for i in range(1 << 14)]


def varint(n: int) -> bytes:
    return _VARINTS[n] if n < 16384 else _varint(n)


# OutgoingMessage.subject fields by subject (field 1, length, bytes), bounded.
_SUBJECT_FIELDS: Dict[str, bytes] = {}


def _subject_field(subject: str) -> bytes:
    f = _SUBJECT_FIELDS.get(subject)
    if f is None:
        s = subject.encode()
        f = b"\x0a" + varint(len(s)) + s
        if len(_SUBJECT_FIELDS) > 4096:
            _SUBJECT_FIELDS.clear()
        _SUBJECT_FIELDS[subject] = f
    return f


def encode_publish(subject: str, data: Data, headers: Headers = None) -> bytes:
    """Encodes one PublishStreamRequest.messages entry (field 1, an
    OutgoingMessage) by hand: the publish hot path. Messages with headers
    go through protobuf."""
    if headers:
        body = outgoing(subject, data, headers).SerializeToString()
        return b"\x0a" + varint(len(body)) + body
    d = data if data.__class__ is bytes else to_bytes(data)  # type: ignore[union-attr]
    subj = _subject_field(subject)
    n = len(d)
    if not n:
        return b"\x0a" + varint(len(subj)) + subj
    dlen = varint(n)
    return b"".join((b"\x0a", varint(len(subj) + 1 + len(dlen) + n), subj, b"\x12", dlen, d))


FLUSH_FIELD = b"\x10\x01"  # PublishStreamRequest.flush = true


def message(m: Any) -> t.Message:
    h = m.headers
    if len(h):
        return {"subject": m.subject, "data": m.data, "headers": headers_of(h), "headers_all": headers_all_of(h),
                "reply_to": m.reply_token}
    return {"subject": m.subject, "data": m.data, "headers": {}, "headers_all": {}, "reply_to": m.reply_token}


def publish_batch(messages: Iterable[Mapping[str, Any]]) -> Op:
    req = messaging_pb2.PublishBatchRequest()
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or "subject" not in m:
            raise errors.invalid_argument(f"messages[{i}]", "must be a dict with 'subject' (and 'data', 'headers')")
        req.messages.append(outgoing(m["subject"], m.get("data", b""), m.get("headers"), m.get("reply_to", "")))
    return Op(MESSAGING, "PublishBatch", req,
              lambda r: {"published_count": r.published_count, "success": True})


def request(subject: str, data: Data, timeout_seconds: float, headers: Headers = None) -> Op:
    req = messaging_pb2.RequestRequest(message=outgoing(subject, data, headers), timeout=duration(timeout_seconds))
    return Op(MESSAGING, "Request", req, lambda r: message(r.reply), timeout=timeout_seconds + 5)


def reply(reply_to: str, data: Data, headers: Headers = None) -> Op:
    req = messaging_pb2.ReplyRequest(reply_token=reply_to, data=to_bytes(data))
    set_headers(req.headers, headers)
    return Op(MESSAGING, "Reply", req, lambda r: True)


def serve_start(subject: str, queue_group: Optional[str], buffer_size: int = 0) -> messaging_pb2.ServeRequest:
    return messaging_pb2.ServeRequest(start=messaging_pb2.ServeStart(
        subject=subject, queue_group=queue_group or "", buffer_size=buffer_size))


def serve_reply(reply_to: str, result: Any) -> Optional[messaging_pb2.ServeRequest]:
    """The Serve frame answering a request with a handler's result: bytes or
    str (the data), or a dict with data and headers. None: no answer."""
    if result is None or not reply_to:
        return None
    if isinstance(result, Mapping):
        r = messaging_pb2.ServeReply(reply_token=reply_to, data=to_bytes(result.get("data", b"")))
        set_headers(r.headers, result.get("headers"))
    else:
        r = messaging_pb2.ServeReply(reply_token=reply_to, data=to_bytes(result))
    return messaging_pb2.ServeRequest(reply=r)


def unsubscribe(subscription_id: str) -> Op:
    return Op(MESSAGING, "Unsubscribe", messaging_pb2.UnsubscribeRequest(subscription_id=subscription_id),
              lambda r: True, none_on=NOT_FOUND)


# --- streams ------------------------------------------------------------------------------------

_STORAGE = {"file": 1, "memory": 2}
_RETENTION = {"limits": 1, "interest": 2, "workqueue": 3, "work_queue": 3}
_DISCARD = {"old": 1, "new": 2}


def _enum(table: Mapping[str, int], value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    try:
        return table[str(value).lower()]
    except KeyError:
        from natsgw.errors import InvalidArgumentError
        raise InvalidArgumentError(f"{what}: {value!r} is not one of {sorted(table)}", code="INVALID_ARGUMENT") from None


_STORAGE_NAMES = {1: "file", 2: "memory"}
_RETENTION_NAMES = {1: "limits", 2: "interest", 3: "workqueue"}


def stream_config(name: str, subjects: Optional[Sequence[str]] = None, *, max_msgs: Optional[int] = None,
                  max_bytes: Optional[int] = None, max_age_seconds: Optional[float] = None,
                  max_msg_size: Optional[int] = None, max_msgs_per_subject: Optional[int] = None,
                  storage: Optional[str] = None, retention: Optional[str] = None, discard: Optional[str] = None,
                  replicas: Optional[int] = None, description: Optional[str] = None,
                  duplicate_window_seconds: Optional[float] = None, allow_msg_ttl: Optional[bool] = None,
                  ) -> stream_pb2.StreamConfig:
    c = stream_pb2.StreamConfig(name=name, subjects=list(subjects or []))
    if description:
        c.description = description
    for field, v in (("max_msgs", max_msgs), ("max_bytes", max_bytes), ("max_msg_size", max_msg_size),
                     ("max_msgs_per_subject", max_msgs_per_subject), ("replicas", replicas)):
        if v is not None and v > 0:
            setattr(c, field, v)
    if max_age_seconds:
        c.max_age.CopyFrom(duration(max_age_seconds))
    if duplicate_window_seconds:
        c.duplicate_window.CopyFrom(duration(duplicate_window_seconds))
    if allow_msg_ttl:
        c.allow_msg_ttl = True
    c.storage = _enum(_STORAGE, storage, "storage")
    c.retention = _enum(_RETENTION, retention, "retention")
    c.discard = _enum(_DISCARD, discard, "discard")
    return c


def stream_info(s: Any) -> t.StreamInfo:
    c, st = s.config, s.state
    return {
        "name": c.name, "description": c.description, "subjects": list(c.subjects),
        "storage": _STORAGE_NAMES.get(c.storage, ""), "retention": _RETENTION_NAMES.get(c.retention, ""),
        "max_msgs": c.max_msgs, "max_bytes": c.max_bytes, "max_age_seconds": seconds(c.max_age),
        "replicas": c.replicas, "messages": st.messages, "bytes": st.bytes,
        "first_sequence": st.first_sequence, "last_sequence": st.last_sequence, "consumers": st.consumers,
        "created": timestamp(s.created, s.HasField("created")), "dead_letter_for": s.dead_letter_for,
    }


def create_stream(config: stream_pb2.StreamConfig) -> Op:
    return Op(STREAMS, "CreateStream", stream_pb2.CreateStreamRequest(config=config), lambda r: stream_info(r.stream))


def update_stream(config: stream_pb2.StreamConfig) -> Op:
    return Op(STREAMS, "UpdateStream", stream_pb2.UpdateStreamRequest(config=config), lambda r: stream_info(r.stream))


def get_stream(name: str) -> Op:
    return Op(STREAMS, "GetStream", stream_pb2.GetStreamRequest(name=name), lambda r: stream_info(r.stream),
              none_on=NOT_FOUND)


def list_streams() -> Op:
    return Op(STREAMS, "ListStreams", stream_pb2.ListStreamsRequest(), lambda r: [stream_info(s) for s in r.streams])


def delete_stream(name: str) -> Op:
    return Op(STREAMS, "DeleteStream", stream_pb2.DeleteStreamRequest(name=name), lambda r: True)


def purge_stream(name: str, subject: Optional[str] = None, keep: Optional[int] = None,
                 up_to_sequence: Optional[int] = None) -> Op:
    req = stream_pb2.PurgeStreamRequest(name=name, subject=subject or "", keep=keep or 0,
                                        up_to_sequence=up_to_sequence or 0)
    return Op(STREAMS, "PurgeStream", req, lambda r: r.purged)


def publish_to_stream(stream: str, subject: str, data: Data, headers: Headers = None, msg_id: Optional[str] = None,
                      expected_last_sequence: Optional[int] = None, ttl_seconds: Optional[float] = None) -> Op:
    m = stream_pb2.StreamPublish(subject=subject, data=to_bytes(data), msg_id=msg_id or "")
    set_headers(m.headers, headers)
    if expected_last_sequence is not None:
        m.expected_last_sequence = expected_last_sequence
    if ttl_seconds:
        m.ttl.CopyFrom(duration(ttl_seconds))
    return Op(STREAMS, "PublishToStream", stream_pb2.PublishToStreamRequest(stream=stream, message=m),
              lambda r: {"stream": r.stream, "sequence": r.sequence, "duplicate": r.duplicate})


def get_stream_message(stream: str, sequence: Optional[int] = None, last_by_subject: Optional[str] = None) -> Op:
    req = stream_pb2.GetStreamMessageRequest(stream=stream, sequence=sequence or 0,
                                             last_by_subject=last_by_subject or "")

    def conv(r: Any) -> Dict[str, Any]:
        m = r.message
        return {"subject": m.subject, "sequence": m.sequence, "data": m.data, "headers": headers_of(m.headers),
                "headers_all": headers_all_of(m.headers), "time": timestamp(m.time, m.HasField("time"))}
    return Op(STREAMS, "GetStreamMessage", req, conv, none_on=NOT_FOUND)


# --- consumers ----------------------------------------------------------------------------------

_DELIVER = {"all": 1, "last": 2, "new": 3, "by_start_sequence": 4, "by_start_time": 5, "last_per_subject": 6}
_DELIVER_NAMES = {v: k for k, v in _DELIVER.items()}
_ACK = {"explicit": 1, "all": 2, "none": 3}
_ACK_NAMES = {v: k for k, v in _ACK.items()}


def consumer_config(name: str, filter_subject: Union[None, str, Sequence[str]] = None, *,
                    deliver_policy: Optional[str] = None, start_sequence: Optional[int] = None,
                    ack_policy: Optional[str] = None, ack_wait_seconds: Optional[float] = None,
                    max_deliver: Optional[int] = None, max_ack_pending: Optional[int] = None,
                    backoff_seconds: Optional[Sequence[float]] = None, description: Optional[str] = None,
                    dead_letter: bool = False, inactive_threshold_seconds: Optional[float] = None,
                    ) -> consumer_pb2.ConsumerConfig:
    c = consumer_pb2.ConsumerConfig(name=name, description=description or "", dead_letter=dead_letter)
    if isinstance(filter_subject, str):
        c.filter_subjects.append(filter_subject)
    elif filter_subject:
        c.filter_subjects.extend(filter_subject)
    c.deliver_policy = _enum(_DELIVER, deliver_policy, "deliver_policy")
    if start_sequence:
        c.opt_start_sequence = start_sequence
        if not deliver_policy:
            c.deliver_policy = _DELIVER["by_start_sequence"]
    c.ack_policy = _enum(_ACK, ack_policy, "ack_policy")
    if ack_wait_seconds:
        c.ack_wait.CopyFrom(duration(ack_wait_seconds))
    if max_deliver and max_deliver > 0:
        c.max_deliver = max_deliver
    if max_ack_pending and max_ack_pending > 0:
        c.max_ack_pending = max_ack_pending
    for b in backoff_seconds or ():
        c.backoff.append(duration(b))
    if inactive_threshold_seconds:
        c.inactive_threshold.CopyFrom(duration(inactive_threshold_seconds))
    return c


def consumer_info(c: Any) -> t.ConsumerInfo:
    cfg = c.config
    return {
        "stream": c.stream, "name": c.name, "filter_subjects": list(cfg.filter_subjects),
        "deliver_policy": _DELIVER_NAMES.get(cfg.deliver_policy, ""), "ack_policy": _ACK_NAMES.get(cfg.ack_policy, ""),
        "ack_wait_seconds": seconds(cfg.ack_wait), "max_deliver": cfg.max_deliver,
        "num_pending": c.num_pending, "num_ack_pending": c.num_ack_pending, "num_redelivered": c.num_redelivered,
        "num_waiting": c.num_waiting, "delivered_sequence": c.delivered.stream_sequence,
        "ack_floor_sequence": c.ack_floor.stream_sequence, "dead_letter_stream": c.dead_letter_stream,
    }


def create_consumer(stream: str, config: consumer_pb2.ConsumerConfig) -> Op:
    return Op(CONSUMERS, "CreateConsumer", consumer_pb2.CreateConsumerRequest(stream=stream, config=config),
              lambda r: consumer_info(r.consumer))


def get_consumer(stream: str, name: str) -> Op:
    return Op(CONSUMERS, "GetConsumer", consumer_pb2.GetConsumerRequest(stream=stream, name=name),
              lambda r: consumer_info(r.consumer), none_on=NOT_FOUND)


def list_consumers(stream: str) -> Op:
    return Op(CONSUMERS, "ListConsumers", consumer_pb2.ListConsumersRequest(stream=stream),
              lambda r: [consumer_info(c) for c in r.consumers])


def delete_consumer(stream: str, name: str) -> Op:
    return Op(CONSUMERS, "DeleteConsumer", consumer_pb2.DeleteConsumerRequest(stream=stream, name=name),
              lambda r: True)


def pulled_fields(m: Any) -> Dict[str, Any]:
    return {
        "subject": m.subject, "data": m.data, "headers": headers_of(m.headers),
        "headers_all": headers_all_of(m.headers), "stream": m.stream, "consumer": m.consumer,
        "sequence": m.stream_sequence, "consumer_sequence": m.consumer_sequence,
        "num_delivered": m.delivery_count, "num_pending": m.pending,
        "timestamp": timestamp(m.timestamp, m.HasField("timestamp")), "ack_token": m.ack_token,
    }


def pull(stream: str, consumer: str, batch: int, wait_seconds: Optional[float]) -> Op:
    req = consumer_pb2.PullRequest(stream=stream, consumer=consumer, batch=batch)
    if wait_seconds is None or wait_seconds <= 0:
        req.no_wait = True
        timeout = 30.0
    else:
        req.max_wait.CopyFrom(duration(wait_seconds))
        timeout = wait_seconds + 10
    return Op(CONSUMERS, "Pull", req, lambda r: list(r.messages), timeout=timeout)


def ack_op(kind: str, tokens: List[str], delay_seconds: Optional[float] = None, reason: str = "") -> Op:
    if kind == "ack":
        return Op(CONSUMERS, "Ack", consumer_pb2.AckRequest(ack_tokens=tokens), lambda r: True)
    if kind == "nak":
        return Op(CONSUMERS, "Nak", consumer_pb2.NakRequest(ack_tokens=tokens, delay=duration(delay_seconds)),
                  lambda r: True)
    if kind == "term":
        return Op(CONSUMERS, "Term", consumer_pb2.TermRequest(ack_tokens=tokens, reason=reason), lambda r: True)
    return Op(CONSUMERS, "InProgress", consumer_pb2.InProgressRequest(ack_tokens=tokens), lambda r: True)


def consume_start(stream: str, consumer: str, max_in_flight: int) -> consumer_pb2.ConsumeRequest:
    return consumer_pb2.ConsumeRequest(start=consumer_pb2.ConsumeStart(
        stream=stream, consumer=consumer, max_in_flight=max_in_flight))


def consume_ack(token: str, ok: bool, nak_delay: Optional[float]) -> consumer_pb2.ConsumeRequest:
    op = consumer_pb2.AckOperation(ack_token=token, kind=1 if ok else 2)
    if not ok and nak_delay:
        op.delay.CopyFrom(duration(nak_delay))
    return consumer_pb2.ConsumeRequest(acks=[op], credit=1)


def backoff_for(num_delivered: int) -> float:
    """Nak delay after a failed delivery: 1 s, 2 s, 4 s, ... at most 60 s."""
    return float(min(60, 2 ** max(0, num_delivered - 1)))


# --- key-value ----------------------------------------------------------------------------------

_KV_OPS = {1: "PUT", 2: "DELETE", 3: "PURGE"}


def kv_entry(bucket: str, e: Any) -> t.KVEntry:
    return {"bucket": bucket, "key": e.key, "value": e.value, "revision": e.revision,
            "created": timestamp(e.created, e.HasField("created")), "operation": _KV_OPS.get(e.operation, "")}


class Revisions:
    """The highest revision of each bucket a client has seen (every write's
    revision, every entry read), sent as min_revision on reads so that a
    client reads its own writes and never goes back in time, whichever
    gateway instance answers. Safe from several threads."""

    def __init__(self) -> None:
        self._seen: Dict[str, int] = {}
        self._lock = threading.Lock()

    def saw(self, bucket: str, revision: int) -> int:
        """Records revision of bucket; returns it."""
        if revision:
            with self._lock:
                if revision > self._seen.get(bucket, 0):
                    self._seen[bucket] = revision
        return revision

    def min(self, bucket: str) -> int:
        """The highest revision of bucket seen (0: none)."""
        with self._lock:
            return self._seen.get(bucket, 0)

    def forget(self, bucket: str) -> None:
        """Drops bucket's revision (the bucket was deleted: a new one starts at 1)."""
        with self._lock:
            self._seen.pop(bucket, None)


def kv_seen_entry(seen: Revisions, bucket: str, e: Any) -> t.KVEntry:
    seen.saw(bucket, e.revision)
    return kv_entry(bucket, e)


def _ttl(ttl_seconds: Optional[float], field: str) -> Optional[duration_pb2.Duration]:
    if ttl_seconds is None:
        return None
    if ttl_seconds < 0:
        raise errors.invalid_argument(field, f"must not be negative (got {ttl_seconds})")
    return duration(ttl_seconds)


def kv_put(bucket: str, key: str, value: Data, seen: Revisions, ttl_seconds: Optional[float] = None) -> Op:
    return Op(KV, "Put", kv_pb2.KeyValueServicePutRequest(bucket=bucket, key=key, value=to_bytes(value),
                                                         ttl=_ttl(ttl_seconds, "ttl_seconds") if ttl_seconds else None),
              lambda r: seen.saw(bucket, r.revision))


def kv_get(bucket: str, key: str, seen: Revisions, revision: Optional[int] = None, consistent: bool = False) -> Op:
    return Op(KV, "Get", kv_pb2.KeyValueServiceGetRequest(bucket=bucket, key=key, revision=revision or 0,
                                                         consistent=consistent, min_revision=seen.min(bucket)),
              lambda r: kv_seen_entry(seen, bucket, r.entry), none_on=NOT_FOUND)


def kv_create(bucket: str, key: str, value: Data, seen: Revisions, ttl_seconds: Optional[float] = None) -> Op:
    return Op(KV, "Create", kv_pb2.KeyValueServiceCreateRequest(bucket=bucket, key=key, value=to_bytes(value),
                                                               ttl=duration(ttl_seconds)),
              lambda r: seen.saw(bucket, r.revision))


def kv_update(bucket: str, key: str, value: Data, last_revision: int, seen: Revisions) -> Op:
    return Op(KV, "Update", kv_pb2.KeyValueServiceUpdateRequest(bucket=bucket, key=key, value=to_bytes(value),
                                                               revision=last_revision),
              lambda r: seen.saw(bucket, r.revision))


def kv_delete(bucket: str, key: str, seen: Revisions, purge: bool = False,
              expected_revision: Optional[int] = None) -> Op:
    if purge:
        return Op(KV, "Purge", kv_pb2.KeyValueServicePurgeRequest(bucket=bucket, key=key,
                                                                 expected_revision=expected_revision or 0),
                  lambda r: seen.saw(bucket, r.revision) >= 0)
    return Op(KV, "Delete", kv_pb2.KeyValueServiceDeleteRequest(bucket=bucket, key=key,
                                                               expected_revision=expected_revision or 0),
              lambda r: seen.saw(bucket, r.revision) >= 0)


def _key_error(e: Any) -> errors.NATSGWError:
    return errors.make_error_from_int(e.code, e.message, e.details)


def _mget_results(bucket: str, seen: Revisions, r: Any) -> List[Optional[t.KVEntry]]:
    out: List[Optional[t.KVEntry]] = []
    for res in r.results:
        if res.HasField("error"):
            if res.error.code == grpc.StatusCode.NOT_FOUND.value[0]:
                out.append(None)
                continue
            raise _key_error(res.error)
        out.append(kv_seen_entry(seen, bucket, res.entry))
    return out


def kv_mget(bucket: str, keys: Sequence[str], seen: Revisions, consistent: bool = False) -> Op:
    if isinstance(keys, (str, bytes)):
        raise errors.invalid_argument("keys", "must be a list of keys, not one string")
    return Op(KV, "GetMany", kv_pb2.KeyValueServiceGetManyRequest(bucket=bucket, keys=list(keys), consistent=consistent,
                                                                 min_revision=seen.min(bucket)),
              lambda r: _mget_results(bucket, seen, r))


def _mput_results(bucket: str, seen: Revisions, r: Any) -> List[t.KVPutResult]:
    return [{"key": res.key, "revision": seen.saw(bucket, res.revision),
             "error": _key_error(res.error) if res.HasField("error") else None} for res in r.results]


def kv_mput(bucket: str, items: Union[Mapping[str, Data], Iterable[Tuple[str, Data]]], seen: Revisions,
            ttl_seconds: Optional[float] = None) -> Op:
    pairs = items.items() if isinstance(items, Mapping) else items
    ttl = _ttl(ttl_seconds, "ttl_seconds") if ttl_seconds else None
    req = kv_pb2.KeyValueServicePutManyRequest(bucket=bucket, items=[
        kv_pb2.KeyValuePutItem(key=k, value=to_bytes(v), ttl=ttl) for k, v in pairs])
    return Op(KV, "PutMany", req, lambda r: _mput_results(bucket, seen, r))


def kv_incr(bucket: str, key: str, delta: int, seen: Revisions) -> Op:
    def convert(r: Any) -> int:
        seen.saw(bucket, r.revision)
        return int(r.value)
    return Op(KV, "Increment", kv_pb2.KeyValueServiceIncrementRequest(bucket=bucket, key=key, delta=delta), convert)


def kv_expire(bucket: str, key: str, ttl_seconds: float, seen: Revisions) -> Op:
    return Op(KV, "Expire", kv_pb2.KeyValueServiceExpireRequest(bucket=bucket, key=key,
                                                               ttl=_ttl(ttl_seconds, "ttl_seconds")),
              lambda r: seen.saw(bucket, r.revision))


def kv_keys_page(bucket: str, match: Optional[str] = None, limit: Optional[int] = None,
                 page_token: Optional[str] = None) -> Op:
    if limit is not None and not 1 <= limit <= 10000:
        raise errors.invalid_argument("limit", f"must be between 1 and 10000 (got {limit})")
    return Op(KV, "ListKeys", kv_pb2.KeyValueServiceListKeysRequest(bucket=bucket, filter=match or "",
                                                                   page_size=limit or 0, page_token=page_token or ""),
              lambda r: {"keys": list(r.keys), "next_page_token": r.next_page_token})


def kv_bucket_config(history: Optional[int] = None, ttl_seconds: Optional[float] = None,
                     max_bytes: Optional[int] = None, storage: Optional[str] = None,
                     description: Optional[str] = None, counter: bool = False) -> kv_pb2.KeyValueBucketConfig:
    c = kv_pb2.KeyValueBucketConfig(description=description or "", history=history or 0,
                                    max_bytes=max_bytes or 0, storage=_enum(_STORAGE, storage, "storage"),
                                    counter=counter)
    if ttl_seconds:
        c.ttl.CopyFrom(duration(ttl_seconds))
    return c


def kv_bucket_info(b: Any) -> Dict[str, Any]:
    return {"bucket": b.bucket, "values": b.values, "bytes": b.bytes, "history": b.config.history,
            "counter": b.config.counter,
            "ttl_seconds": seconds(b.config.ttl), "created": timestamp(b.created, b.HasField("created"))}


def kv_create_bucket(bucket: str, config: kv_pb2.KeyValueBucketConfig) -> Op:
    return Op(KV, "CreateBucket", kv_pb2.KeyValueServiceCreateBucketRequest(bucket=bucket, config=config),
              lambda r: kv_bucket_info(r.info))


def kv_delete_bucket(bucket: str, seen: Revisions) -> Op:
    def convert(r: Any) -> bool:
        seen.forget(bucket)
        return True
    return Op(KV, "DeleteBucket", kv_pb2.KeyValueServiceDeleteBucketRequest(bucket=bucket), convert)


def kv_list_buckets() -> Op:
    return Op(KV, "ListBuckets", kv_pb2.KeyValueServiceListBucketsRequest(),
              lambda r: [kv_bucket_info(b) for b in r.buckets])


def kv_keys_request(bucket: str, filter: Optional[str]) -> Any:
    return kv_pb2.KeyValueServiceKeysRequest(bucket=bucket, filter=filter or "")


def kv_history_request(bucket: str, key: str) -> Any:
    return kv_pb2.KeyValueServiceHistoryRequest(bucket=bucket, key=key)


def kv_watch_request(bucket: str, key: Optional[str], include_history: bool, updates_only: bool,
                     resume_from: int) -> Any:
    return kv_pb2.KeyValueServiceWatchRequest(bucket=bucket, key=key or "", include_history=include_history,
                                              updates_only=updates_only and not resume_from,
                                              resume_from_revision=resume_from)


# --- objects ------------------------------------------------------------------------------------

OBJECT_CHUNK = 1 << 20  # the gateway takes data frames of at most 1 MiB


def object_info(i: Any) -> t.ObjectInfo:
    return {"bucket": i.bucket, "name": i.name, "object_id": i.object_id, "size": i.size,
            "sha256": i.sha256.hex(), "description": i.description, "metadata": dict(i.metadata),
            "modified": timestamp(i.modified, i.HasField("modified")), "chunks": i.chunks}


def object_header(bucket: str, name: str, metadata: Optional[Mapping[str, str]], description: Optional[str],
                  size: Optional[int]) -> object_pb2.PutObjectRequest:
    h = object_pb2.PutObjectHeader(bucket=bucket, name=name, description=description or "",
                                   metadata=dict(metadata or {}))
    if size is not None:
        h.expected_size = size
    return object_pb2.PutObjectRequest(header=h)


def object_data(chunk: bytes) -> object_pb2.PutObjectRequest:
    return object_pb2.PutObjectRequest(data=chunk)


def object_get_request(bucket: str, name: str) -> Any:
    return object_pb2.GetObjectRequest(bucket=bucket, name=name)


def list_objects_request(bucket: str, prefix: Optional[str], page_token: str) -> Any:
    return object_pb2.ListObjectsRequest(bucket=bucket, prefix=prefix or "", page_token=page_token)


def list_objects(bucket: str, prefix: Optional[str], page_token: str) -> Op:
    return Op(OBJECTS, "ListObjects", list_objects_request(bucket, prefix, page_token),
              lambda r: ([object_info(o) for o in r.objects], r.next_page_token))


def object_info_op(bucket: str, name: str) -> Op:
    return Op(OBJECTS, "GetObjectInfo", object_pb2.GetObjectInfoRequest(bucket=bucket, name=name),
              lambda r: object_info(r.info), none_on=NOT_FOUND)


def object_delete(bucket: str, name: str) -> Op:
    return Op(OBJECTS, "DeleteObject", object_pb2.DeleteObjectRequest(bucket=bucket, name=name), lambda r: True)


def object_bucket_delete(bucket: str) -> Op:
    return Op(OBJECTS, "DeleteObjectBucket", object_pb2.DeleteObjectBucketRequest(bucket=bucket), lambda r: True)


def object_bucket_list() -> Op:
    return Op(OBJECTS, "ListObjectBuckets", object_pb2.ListObjectBucketsRequest(),
              lambda r: [{"bucket": b.bucket, "size": b.size, "description": b.description} for b in r.buckets])


def chunks_of(data_or_file: Any) -> Iterable[bytes]:
    """Yields the data in chunks of at most OBJECT_CHUNK: from bytes-like
    data (sliced without copying the whole), or from a file object read a
    chunk at a time (so a large file never sits in memory)."""
    if isinstance(data_or_file, str):
        data_or_file = data_or_file.encode()
    if isinstance(data_or_file, (bytes, bytearray, memoryview)):
        mv = memoryview(data_or_file)
        for i in range(0, len(mv), OBJECT_CHUNK):
            yield bytes(mv[i:i + OBJECT_CHUNK])
        return
    read = getattr(data_or_file, "readinto", None)
    if read is not None:
        buf = bytearray(OBJECT_CHUNK)
        while True:
            n = read(buf)
            if not n:
                return
            yield bytes(buf[:n])
    while True:
        chunk = data_or_file.read(OBJECT_CHUNK)
        if not chunk:
            return
        yield chunk if isinstance(chunk, bytes) else to_bytes(chunk)


def size_of(data_or_file: Any) -> Optional[int]:
    if isinstance(data_or_file, (bytes, bytearray, memoryview)):
        return len(data_or_file)
    if isinstance(data_or_file, str):
        return len(data_or_file.encode())
    return None


# --- admin --------------------------------------------------------------------------------------

def statistics() -> Op:
    def conv(r: Any) -> t.Statistics:
        return {
            "total_streams": r.streams, "total_consumers": r.consumers, "total_messages": r.messages,
            "total_bytes": r.bytes, "kv_buckets": r.kv_buckets, "kv_bytes": r.kv_bytes,
            "object_buckets": r.object_buckets, "object_bytes": r.object_bytes,
            "subscriptions": r.subscriptions, "connections": r.connections,
            "in_msgs": r.in_msgs, "in_bytes": r.in_bytes, "out_msgs": r.out_msgs, "out_bytes": r.out_bytes,
            "since": timestamp(r.since, r.HasField("since")),
        }
    return Op(ADMIN, "GetStatistics", admin_pb2.GetStatisticsRequest(), conv)


def health(deep: bool) -> Op:
    def conv(r: Any) -> t.Health:
        return {
            "healthy": r.healthy, "nats_connected": r.nats_connected, "jetstream_enabled": r.jetstream_enabled,
            "nats_server_version": r.nats_server_version, "gateway_version": r.gateway_version,
            "mode": {1: "embedded", 2: "external"}.get(r.mode, ""), "connections": r.connections,
            "reason": r.reason, "nats_rtt_seconds": seconds(r.nats_rtt),
            "jetstream_rtt_seconds": seconds(r.jetstream_rtt),
        }
    return Op(ADMIN, "Health", admin_pb2.HealthRequest(deep=deep), conv)
