"""The synchronous client: ``NATSClient``."""

from __future__ import annotations

import atexit
import datetime
import threading
import weakref
from collections import OrderedDict
from typing import Any, BinaryIO, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from natsgw import _convert as cv
from natsgw import _publisher, _target, _tasks
from natsgw import types as t
from natsgw._proto.natsgw.v1 import (
    admin_pb2_grpc,
    consumer_pb2_grpc,
    kv_pb2_grpc,
    messaging_pb2_grpc,
    object_pb2_grpc,
    stream_pb2_grpc,
    task_pb2_grpc,
)
from natsgw._streams import Consumer, JetStreamMsg, Subscription, Watch
from natsgw.errors import (
    InvalidArgumentError,
    NATSGWError,
    NoRespondersError,
    NotFoundError,
    TimeoutError,
    from_rpc_error,
)

DEFAULT_TIMEOUT = 30.0
_READY_TIMEOUT = 10.0
# Ack tokens remembered for ack_message(stream, consumer, sequence).
_MAX_TOKENS = 100_000

# Clients with an open connection: at interpreter exit their pipelined
# publishes are flushed, so a script that publishes without `with` or
# flush() loses nothing.
_OPEN: "weakref.WeakSet[NATSClient]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for c in list(_OPEN):
        pub = c._publisher
        if pub is not None:
            try:
                pub.flush(timeout=5.0)
            except Exception:  # exiting: report, do not raise
                import logging
                logging.getLogger("natsgw").exception("natsgw: flushing publishes at exit failed")


_STUBS = {
    cv.MESSAGING: messaging_pb2_grpc.MessagingServiceStub,
    cv.STREAMS: stream_pb2_grpc.StreamServiceStub,
    cv.CONSUMERS: consumer_pb2_grpc.ConsumerServiceStub,
    cv.KV: kv_pb2_grpc.KeyValueServiceStub,
    cv.OBJECTS: object_pb2_grpc.ObjectStoreServiceStub,
    cv.ADMIN: admin_pb2_grpc.AdminServiceStub,
    _tasks.TASKS: task_pb2_grpc.TaskServiceStub,
}


class NATSClient:
    """A client of the natsgw gateway: pub/sub, request-reply, JetStream
    streams and consumers, key-value and object stores, statistics, health.

    Args:
        host, port: the gateway. Without them (and without target) the client
            finds it: ``NATSGW_SERVER``, then Consul (``CONSUL_HTTP_ADDR`` or
            the local agent, service ``natsgw``, passing instances only), then
            ``localhost:50056``.
        user_id: who you are inside the organization (``x-natsgw-user``;
            default ``NATSGW_USER``, else the gateway's ``anonymous``).
        organization_id: the organization to act in (open mode; default
            ``NATSGW_ORG``, else ``default``). With a token, the token decides.
        token: bearer token (default ``NATSGW_TOKEN``).
        tls: ``True`` (system roots), a PEM CA file path or bytes, or
            ``grpc.ChannelCredentials``; default plaintext unless
            ``NATSGW_TLS=true`` or ``NATSGW_TLS_CA`` is set.
        target: a gRPC target instead of host/port: ``host:port``,
            ``dns:///host:port`` or ``consul://[agent]/<service>``.

    The client connects on first use. ``with client:`` may be entered again,
    from several threads at once; leaving the outermost ``with`` flushes
    pipelined publishes, stops background subscriptions, consumers and
    watches, and closes the connection; the client can be used again after.
    Every method is safe to call from several threads.
    """

    def __init__(self, host: Optional[str] = None, port: Optional[int] = None, user_id: Optional[str] = None,
                 organization_id: Optional[str] = None, token: Optional[str] = None,
                 tls: Union[bool, str, bytes, grpc.ChannelCredentials, None] = None,
                 target: Optional[str] = None) -> None:
        self._host, self._port, self._target_arg = host, port, target
        self._tls = tls
        self._md = _target.metadata(user_id, organization_id, token)
        self.user_id = user_id
        self.organization_id = organization_id
        self._lock = threading.RLock()
        self._depth = 0
        self._channel: Optional[grpc.Channel] = None
        self._stubs: Dict[str, Any] = {}
        self._publisher: Optional[_publisher.Publisher] = None
        self._loops: "set[Any]" = set()
        self._tokens: "OrderedDict[Tuple[str, str, int], str]" = OrderedDict()
        self._kv_seen = cv.Revisions()
        self.target = ""

    # --- lifecycle ----------------------------------------------------------

    def __enter__(self) -> "NATSClient":
        with self._lock:
            self._depth += 1
        self._ensure()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        with self._lock:
            self._depth -= 1
            last = self._depth <= 0
            self._depth = max(self._depth, 0)
        if last:
            self.close(raise_errors=exc_type is None)

    def _ensure(self) -> None:
        if self._channel is not None:
            return
        with self._lock:
            if self._channel is not None:
                return
            self.target = _target.resolve(self._host, self._port, self._target_arg)
            creds = _target.credentials(self._tls)
            if creds is None:
                ch = grpc.insecure_channel(self.target, options=_target.CHANNEL_OPTIONS)
            else:
                ch = grpc.secure_channel(self.target, creds, options=_target.CHANNEL_OPTIONS)
            self._stubs = {name: cls(ch) for name, cls in _STUBS.items()}
            self._publisher = _publisher.Publisher(
                lambda frames: ch.stream_stream(_publisher.METHOD, request_serializer=None,
                                                response_deserializer=_publisher.deserialize)(
                    frames, metadata=self._md))
            self._channel = ch
            _OPEN.add(self)

    def close(self, raise_errors: bool = False) -> None:
        """Flushes pipelined publishes, stops everything running in the
        background and closes the connection. The client may be used again."""
        with self._lock:
            ch, pub = self._channel, self._publisher
            loops = list(self._loops)
            self._channel, self._publisher, self._stubs = None, None, {}
        _OPEN.discard(self)
        if ch is None:
            return
        err: Optional[NATSGWError] = None
        if pub is not None:
            try:
                pub.flush(timeout=10.0)
            except NATSGWError as e:
                err = e
            pub.close()
        for loop in loops:
            loop._stop.set()
        for loop in loops:
            loop.stop()
        ch.close()
        if err is not None and raise_errors:
            raise err

    def _track(self, loop: Any) -> None:
        with self._lock:
            self._loops.add(loop)

    def _untrack(self, loop: Any) -> None:
        with self._lock:
            self._loops.discard(loop)

    # --- calls --------------------------------------------------------------

    def _call(self, op: cv.Op, timeout_seconds: Optional[float] = None) -> Any:
        self._ensure()
        pub = self._publisher
        if pub is not None:
            pub.barrier()  # earlier publishes first, as on one NATS connection
        fn = getattr(self._stubs[op.service], op.method)
        try:
            resp = fn(op.request, timeout=op.timeout or timeout_seconds or DEFAULT_TIMEOUT, metadata=self._md)
        except grpc.RpcError as e:
            if e.code() in op.none_on:
                return None
            raise from_rpc_error(e) from None
        return op.convert(resp)

    # --- core messaging -----------------------------------------------------

    def publish(self, subject: str, data: cv.Data = b"", headers: cv.Headers = None) -> bool:
        """Publishes a message (at most once, as core NATS). Pipelined: it
        returns once the message is queued; errors surface at the next call
        or at flush(). Returns True."""
        self._ensure()
        pub = self._publisher
        assert pub is not None
        pub.publish(cv.encode_publish(subject, data, headers))
        return True

    def flush(self, timeout_seconds: float = 30.0) -> None:
        """Waits until the gateway has published everything published so far;
        raises the error of a failed pipelined publish."""
        pub = self._publisher
        if pub is not None:
            pub.flush(timeout_seconds)

    def publish_batch(self, messages: Iterable[Mapping[str, Any]]) -> t.PublishBatchResult:
        """Publishes messages (dicts with subject, data, optional headers) in
        order, validated as a whole first. Returns ``published_count``."""
        self.flush()
        return self._call(cv.publish_batch(messages))

    def subscribe(self, subject: str, callback: Optional[Callable[[t.Message], Any]] = None,
                  queue_group: Optional[str] = None, timeout_seconds: Optional[float] = None,
                  background: bool = False, buffer_size: int = 0) -> Subscription:
        """Subscribes to a subject or wildcard pattern.

        Blocking (the default): calls ``callback(msg)`` for each message
        until timeout_seconds pass (None: until the client closes or the
        subscription is ended from another thread), then returns the ended
        Subscription. With ``background=True`` it returns at once a
        Subscription that the gateway has confirmed active (messages
        published after the return are delivered), ended by
        ``unsubscribe()``. A callback that returns bytes (or str, or a dict
        with data and headers) answers a request. Without a callback,
        iterate the subscription. Re-subscribes after a gateway restart.
        """
        if not background and callback is None:
            raise InvalidArgumentError("subscribe: a blocking subscription needs a callback; "
                                       "use background=True to iterate")
        self._ensure()
        if self._publisher is not None:
            self._publisher.barrier()  # messages published before this call are not delivered to it
        sub = Subscription(self, subject, callback, queue_group, timeout_seconds, buffer_size)
        if background:
            sub.start_background(_READY_TIMEOUT)
            return sub
        self._track(sub)
        sub.run()
        if sub.error is not None and not sub._ever_ready:
            raise sub.error
        return sub

    def serve(self, subject: str, handler: Callable[[t.Message], Any], queue_group: Optional[str] = None,
              timeout_seconds: Optional[float] = None, background: bool = True) -> Subscription:
        """Answers requests on a subject with handler(msg)'s result (bytes,
        str, or a dict with data and headers), over one Serve stream. With a
        queue_group several responders share the requests. Returns the
        active responder (``unsubscribe()`` ends it)."""
        return self.subscribe(subject, handler, queue_group=queue_group, timeout_seconds=timeout_seconds,
                              background=background)

    def handle(self, subject: str, queue_group: Optional[str] = None) -> Callable[[Callable[[t.Message], Any]], Callable[[t.Message], Any]]:
        """Decorator form of serve: ``@client.handle('api.echo')``."""
        def register(fn: Callable[[t.Message], Any]) -> Callable[[t.Message], Any]:
            fn.subscription = self.serve(subject, fn, queue_group=queue_group)  # type: ignore[attr-defined]
            return fn
        return register

    def request(self, subject: str, data: cv.Data = b"", timeout_seconds: float = 5.0, headers: cv.Headers = None,
                raise_on_error: bool = False) -> Optional[t.Message]:
        """Sends a request and waits for the first reply (a Message dict).
        None when nobody answers in time or nobody listens, unless
        raise_on_error (then TimeoutError or NoRespondersError)."""
        try:
            return self._call(cv.request(subject, data, timeout_seconds, headers))
        except (TimeoutError, NoRespondersError):
            if raise_on_error:
                raise
            return None

    def reply(self, reply_to: str, data: cv.Data = b"", headers: cv.Headers = None) -> bool:
        """Answers a message that carries ``reply_to``."""
        return self._call(cv.reply(reply_to, data, headers))

    # --- streams ------------------------------------------------------------

    def create_stream(self, name: str, subjects: Optional[Sequence[str]] = None, max_msgs: Optional[int] = None,
                      max_bytes: Optional[int] = None, **config: Any) -> t.StreamInfo:
        """Creates a JetStream stream (creating it again with the same
        configuration succeeds). Options: max_age_seconds, max_msg_size,
        max_msgs_per_subject, storage ('file'|'memory'), retention
        ('limits'|'interest'|'workqueue'), discard ('old'|'new'), replicas,
        description, duplicate_window_seconds, allow_msg_ttl."""
        return self._call(cv.create_stream(cv.stream_config(name, subjects, max_msgs=max_msgs,
                                                            max_bytes=max_bytes, **config)))

    def update_stream(self, name: str, subjects: Optional[Sequence[str]] = None, max_msgs: Optional[int] = None,
                      max_bytes: Optional[int] = None, **config: Any) -> t.StreamInfo:
        """Replaces a stream's configuration (the options of create_stream)."""
        return self._call(cv.update_stream(cv.stream_config(name, subjects, max_msgs=max_msgs,
                                                            max_bytes=max_bytes, **config)))

    def stream_info(self, name: str) -> Optional[t.StreamInfo]:
        """A stream's configuration and state, or None if it does not exist."""
        return self._call(cv.get_stream(name))

    def list_streams(self) -> List[t.StreamInfo]:
        """The organization's streams."""
        return self._call(cv.list_streams())

    def delete_stream(self, name: str) -> bool:
        """Deletes a stream and its messages (NotFoundError if absent)."""
        return self._call(cv.delete_stream(name))

    def purge_stream(self, name: str, subject: Optional[str] = None, keep: Optional[int] = None,
                     up_to_sequence: Optional[int] = None) -> int:
        """Removes a stream's messages (optionally of one subject, keeping
        the newest keep); returns how many were removed."""
        return self._call(cv.purge_stream(name, subject, keep, up_to_sequence))

    def publish_to_stream(self, stream_name: str, subject: str, data: cv.Data = b"", headers: cv.Headers = None,
                          msg_id: Optional[str] = None, expected_last_sequence: Optional[int] = None,
                          ttl_seconds: Optional[float] = None) -> t.StreamPublishResult:
        """Publishes to a stream and waits until it is stored: returns
        stream, sequence and duplicate (msg_id deduplication)."""
        return self._call(cv.publish_to_stream(stream_name, subject, data, headers, msg_id,
                                               expected_last_sequence, ttl_seconds))

    def get_stream_message(self, stream_name: str, sequence: Optional[int] = None,
                           last_by_subject: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """One stored message by sequence or the last of a subject; None if absent."""
        return self._call(cv.get_stream_message(stream_name, sequence, last_by_subject))

    # --- consumers ----------------------------------------------------------

    def create_consumer(self, stream_name: str, consumer_name: str,
                        filter_subject: Union[None, str, Sequence[str]] = None, **config: Any) -> t.ConsumerInfo:
        """Creates a durable pull consumer. Options: deliver_policy ('all',
        'last', 'new', 'by_start_sequence', ...), start_sequence, ack_policy
        ('explicit'|'all'|'none'), ack_wait_seconds, max_deliver,
        max_ack_pending, backoff_seconds, dead_letter, description."""
        return self._call(cv.create_consumer(stream_name, cv.consumer_config(consumer_name, filter_subject, **config)))

    def consumer_info(self, stream_name: str, consumer_name: str) -> Optional[t.ConsumerInfo]:
        """A consumer's configuration and state, or None if absent."""
        return self._call(cv.get_consumer(stream_name, consumer_name))

    def list_consumers(self, stream_name: str) -> List[t.ConsumerInfo]:
        return self._call(cv.list_consumers(stream_name))

    def delete_consumer(self, stream_name: str, consumer_name: str) -> bool:
        return self._call(cv.delete_consumer(stream_name, consumer_name))

    def pull_messages(self, stream_name: str, consumer_name: str, batch_size: int = 10,
                      timeout_seconds: Optional[float] = None) -> List[JetStreamMsg]:
        """Pulls up to batch_size messages. Without timeout_seconds it
        returns at once with what is there (possibly nothing); with it, it
        waits up to that long for the first message. Each message is a dict
        (data, sequence, num_delivered, ...) with ack(), nak(delay),
        term() and in_progress(); ack_message(stream, consumer, sequence)
        also works."""
        msgs = self._call(cv.pull(stream_name, consumer_name, batch_size, timeout_seconds))
        out = []
        with self._lock:
            for m in msgs:
                key = (stream_name, consumer_name, m.stream_sequence)
                self._tokens[key] = m.ack_token
                self._tokens.move_to_end(key)
            while len(self._tokens) > _MAX_TOKENS:
                self._tokens.popitem(last=False)
        for m in msgs:
            out.append(JetStreamMsg(cv.pulled_fields(m), self._settle))
        return out

    def _settle(self, msg: JetStreamMsg, kind: str, delay: Optional[float] = None, reason: str = "") -> None:
        self._call(cv.ack_op(kind, [msg["ack_token"]], delay, reason))
        if kind in ("ack", "term"):
            with self._lock:
                self._tokens.pop((msg["stream"], msg["consumer"], msg["sequence"]), None)

    def _token(self, stream: str, consumer: str, sequence: int, pop: bool) -> str:
        with self._lock:
            key = (stream, consumer, sequence)
            tok = self._tokens.pop(key, None) if pop else self._tokens.get(key)
        if tok is None:
            raise NotFoundError(f"no message with sequence {sequence} was pulled from {stream}/{consumer} "
                                f"by this client (or it was already acknowledged)")
        return tok

    def ack_message(self, stream_name: str, consumer_name: str, sequence: int) -> bool:
        """Acknowledges a message this client pulled, by its stream sequence."""
        tok = self._token(stream_name, consumer_name, sequence, pop=False)
        self._call(cv.ack_op("ack", [tok]))
        self._token(stream_name, consumer_name, sequence, pop=True)
        return True

    def nak_message(self, stream_name: str, consumer_name: str, sequence: int,
                    delay_seconds: Optional[float] = None) -> bool:
        """Asks for redelivery of a pulled message (after delay_seconds)."""
        return self._call(cv.ack_op("nak", [self._token(stream_name, consumer_name, sequence, False)], delay_seconds))

    def term_message(self, stream_name: str, consumer_name: str, sequence: int, reason: str = "") -> bool:
        """Stops redelivery of a pulled message for good."""
        return self._call(cv.ack_op("term", [self._token(stream_name, consumer_name, sequence, True)], None, reason))

    def in_progress(self, stream_name: str, consumer_name: str, sequence: int) -> bool:
        """Restarts a pulled message's ack wait."""
        return self._call(cv.ack_op("in_progress", [self._token(stream_name, consumer_name, sequence, False)]))

    def consume(self, stream_name: str, consumer_name: str, handler: Callable[[JetStreamMsg], Any],
                concurrency: int = 1, max_in_flight: Optional[int] = None, timeout_seconds: Optional[float] = None,
                max_messages: Optional[int] = None, background: bool = False) -> Consumer:
        """Runs a worker loop: handler(msg) for each message, on
        ``concurrency`` threads. A normal return acks, returning False naks,
        an exception naks with backoff; a handler may also settle the message
        itself. Blocks until timeout_seconds pass or max_messages are handled
        (background=True: returns the running Consumer; stop() ends it).
        Re-opens after a gateway restart."""
        self._ensure()
        c = Consumer(self, stream_name, consumer_name, handler, concurrency, max_in_flight, timeout_seconds,
                     max_messages)
        if background:
            c.start_background(_READY_TIMEOUT)
            return c
        self._track(c)
        c.run()
        if c.error is not None and not c._ever_ready:
            raise c.error
        return c

    # --- key-value ----------------------------------------------------------

    def kv_put(self, bucket: str, key: str, value: cv.Data, ttl_seconds: Optional[float] = None) -> int:
        """Stores a value (creating the bucket on first use); returns the
        revision. ttl_seconds (a whole number, at least 1) expires the value
        and replaces the key's kept history; None: the value stays."""
        return self._call(cv.kv_put(bucket, key, value, self._kv_seen, ttl_seconds))

    def kv_get(self, bucket: str, key: str, revision: Optional[int] = None,
               consistent: bool = False) -> Optional[t.KVEntry]:
        """The key's entry (value, revision, ...), or None if absent or deleted.

        The gateway may answer from its read cache, but never with a state
        older than the highest revision of the bucket this client has seen
        (sent as min_revision), so you read your own writes on any gateway
        instance. consistent=True reads NATS, bypassing the cache, to see
        other clients' completed writes at once."""
        return self._call(cv.kv_get(bucket, key, self._kv_seen, revision, consistent))

    def kv_mget(self, bucket: str, keys: Sequence[str], consistent: bool = False) -> List[Optional[t.KVEntry]]:
        """The latest entries of up to 1000 keys in one call, in the order of
        keys: a KVEntry, or None for a key without a value (as kv_get).
        Raises NotFoundError for a missing bucket, InvalidArgumentError for an
        invalid key."""
        return self._call(cv.kv_mget(bucket, keys, self._kv_seen, consistent))

    def kv_mput(self, bucket: str, items: Union[Mapping[str, cv.Data], Iterable[Tuple[str, cv.Data]]],
                ttl_seconds: Optional[float] = None) -> List[t.KVPutResult]:
        """Stores up to 1000 values (a dict or (key, value) pairs) in one
        call, each as kv_put would, creating the bucket on first use. Returns
        a KVPutResult per item in order: its revision, or its error (then
        revision is 0); items are written independently."""
        return self._call(cv.kv_mput(bucket, items, self._kv_seen, ttl_seconds))

    def kv_incr(self, bucket: str, key: str, delta: int = 1) -> int:
        """Adds delta (negative subtracts, 0 reads) to a counter atomically
        and returns its new value. Counters live in counter buckets
        (kv_create_bucket(counter=True)); a missing bucket is created as one,
        any other bucket raises FailedPreconditionError."""
        return self._call(cv.kv_incr(bucket, key, delta, self._kv_seen))

    def kv_expire(self, bucket: str, key: str, ttl_seconds: float) -> int:
        """Gives the key's value a time to live from now (whole seconds, at
        least 1), or with 0 takes its TTL away (Redis EXPIRE / PERSIST).
        Returns the new revision. NotFoundError when the key has no value,
        AbortedError when it changed meanwhile (retry)."""
        return self._call(cv.kv_expire(bucket, key, ttl_seconds, self._kv_seen))

    def kv_create(self, bucket: str, key: str, value: cv.Data, ttl_seconds: Optional[float] = None) -> int:
        """Stores a value only if the key does not exist (AlreadyExistsError);
        ttl_seconds expires it. Returns the revision."""
        return self._call(cv.kv_create(bucket, key, value, self._kv_seen, ttl_seconds))

    def kv_update(self, bucket: str, key: str, value: cv.Data, last_revision: int) -> int:
        """Compare-and-set: stores only if the key's latest revision is
        last_revision (else FailedPreconditionError). Returns the new revision."""
        return self._call(cv.kv_update(bucket, key, value, last_revision, self._kv_seen))

    def kv_delete(self, bucket: str, key: str, purge: bool = False) -> bool:
        """Deletes a key (purge=True also drops its history)."""
        return self._call(cv.kv_delete(bucket, key, self._kv_seen, purge))

    def kv_purge(self, bucket: str, key: str) -> bool:
        return self._call(cv.kv_delete(bucket, key, self._kv_seen, True))

    def kv_keys_page(self, bucket: str, match: Optional[str] = None, limit: Optional[int] = None,
                     page_token: Optional[str] = None) -> t.KVKeysPage:
        """One page of the bucket's keys, sorted: ``{"keys": [...],
        "next_page_token": str}``; pass next_page_token back for the next
        page ("" after the last). match filters with * and >; limit is the
        page size, 1 to 10000 (default 1000). NotFoundError for a missing
        bucket."""
        return self._call(cv.kv_keys_page(bucket, match, limit, page_token))

    def kv_keys(self, bucket: str, filter: Optional[str] = None) -> List[str]:
        """The bucket's keys (optionally matching a filter with * and >);
        an empty list when the bucket does not exist."""
        self._ensure()
        try:
            return [k for r in self._stubs[cv.KV].Keys(cv.kv_keys_request(bucket, filter), timeout=DEFAULT_TIMEOUT,
                                                       metadata=self._md) for k in r.keys]
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise from_rpc_error(e) from None

    def kv_history(self, bucket: str, key: str) -> List[t.KVEntry]:
        """Every kept revision of a key, oldest first (deletions included)."""
        self._ensure()
        try:
            return [cv.kv_seen_entry(self._kv_seen, bucket, e) for r in self._stubs[cv.KV].History(
                cv.kv_history_request(bucket, key), timeout=DEFAULT_TIMEOUT, metadata=self._md) for e in r.entries]
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise from_rpc_error(e) from None

    def kv_watch(self, bucket: str, key: Optional[str] = None, callback: Optional[Callable[[t.KVEntry], Any]] = None,
                 include_history: bool = False, updates_only: bool = False,
                 timeout_seconds: Optional[float] = None) -> Watch:
        """Watches a key or pattern (None: the whole bucket): the current
        values, then every change, as KVEntry dicts to callback or by
        iterating the returned Watch (stop() ends it). Resumes after a
        reconnect without missing or repeating a revision."""
        self._ensure()
        w = Watch(self, bucket, key, callback, include_history, updates_only, timeout_seconds)
        w.start_background(_READY_TIMEOUT)
        return w

    def kv_create_bucket(self, bucket: str, history: Optional[int] = None, ttl_seconds: Optional[float] = None,
                         max_bytes: Optional[int] = None, storage: Optional[str] = None,
                         description: Optional[str] = None, counter: bool = False) -> Dict[str, Any]:
        """Creates a bucket (counter=True: a counter bucket, for kv_incr)."""
        return self._call(cv.kv_create_bucket(bucket, cv.kv_bucket_config(history, ttl_seconds, max_bytes,
                                                                          storage, description, counter)))

    def kv_delete_bucket(self, bucket: str) -> bool:
        return self._call(cv.kv_delete_bucket(bucket, self._kv_seen))

    def kv_list_buckets(self) -> List[Dict[str, Any]]:
        return self._call(cv.kv_list_buckets())

    # --- tasks --------------------------------------------------------------

    def enqueue_task(self, queue: str, task_type: str, payload: cv.Data = b"", *,
                     delay_seconds: Optional[float] = None, priority: Optional[str] = None,
                     max_retries: Optional[int] = None, timeout_seconds: Optional[float] = None,
                     unique_id: Optional[str] = None, eta: Optional[datetime.datetime] = None,
                     headers: cv.Headers = None, backoff: Optional[Mapping[str, float]] = None,
                     result_ttl_seconds: Optional[float] = None) -> str:
        """Adds a task to queue (created on first use) and returns its id.
        delay_seconds (Celery's countdown) or eta (a datetime; naive means
        local time) runs it later; priority is "low", "normal" (default) or
        "high"; max_retries (default 3) and timeout_seconds (how long a
        worker may hold it, default 30) default to the gateway's; unique_id
        deduplicates (the id is then unique_id); headers are delivered with
        the task; backoff ({"initial_seconds": 1, "multiplier": 2,
        "max_seconds": 3600} by default) spaces retries; result_ttl_seconds
        (default a day) keeps the result readable."""
        return self._call(_tasks.enqueue(queue, task_type, payload, delay_seconds, priority, max_retries,
                                         timeout_seconds, unique_id, eta, headers, backoff, result_ttl_seconds))

    def get_task_result(self, queue: str, task_id: str, wait_seconds: Optional[float] = None) -> Optional[t.TaskInfo]:
        """The finished task (state "SUCCEEDED" with its result, or "DEAD"
        with its error), waiting up to wait_seconds (at most 300) for it to
        finish; None if it has not finished by then. NotFoundError for an
        unknown task."""
        return self._call(_tasks.get_result(queue, task_id, wait_seconds))

    def work(self, queue: str, handlers: Mapping[str, Callable[[t.TaskInfo], Any]], concurrency: int = 1,
             timeout_seconds: Optional[float] = None, max_tasks: Optional[int] = None) -> int:
        """Runs a worker: takes tasks of the handlers' types ({task_type:
        handler}) from queue and calls handler(task) on ``concurrency``
        threads. A return is success (bytes or str become the task's result);
        ``raise natsgw.TaskFailed(msg)`` makes it DEAD at once,
        ``raise natsgw.RetryAfter(seconds)`` retries after that delay, and
        any other exception retries after the task's backoff (after
        max_retries retries it is DEAD). Blocks until timeout_seconds pass or
        max_tasks are handled, then drains (every task taken gets its
        outcome); returns how many it handled. Does not reconnect."""
        return _tasks.run_worker(self, queue, handlers, concurrency, timeout_seconds, max_tasks)

    def task_queue_stats(self, queue: str) -> t.TaskQueueStats:
        """A queue's tasks counted by state: {"scheduled", "queued",
        "running", "retrying", "succeeded", "dead": counts, "paused": bool,
        ...}."""
        return self._call(_tasks.queue_stats(queue))

    def list_tasks(self, queue: str, state: str, limit: int = 100) -> List[t.TaskInfo]:
        """Up to limit (at most 1000) of the queue's tasks in state
        ("SCHEDULED", "QUEUED", "RUNNING", "RETRYING", "SUCCEEDED" or
        "DEAD"; any case), oldest first."""
        return self._call(_tasks.list_tasks(queue, state, limit))

    def list_tasks_page(self, queue: str, state: str, limit: int = 100,
                        page_token: Optional[str] = None) -> t.TaskPage:
        """One page of list_tasks: ``{"tasks": [...], "next_page_token":
        str}``; pass next_page_token back for the next page ("" after the
        last)."""
        return self._call(_tasks.list_tasks(queue, state, limit, page_token, page=True))

    def get_task(self, queue: str, task_id: str) -> Optional[t.TaskInfo]:
        """One task in whatever state it is; None when unknown."""
        return self._call(_tasks.get_task(queue, task_id))

    def retry_task(self, queue: str, task_id: str) -> None:
        """Puts a DEAD task back in the queue with its retries reset
        (NotFoundError when it is not dead)."""
        self._call(_tasks.retry_task(queue, task_id))

    def cancel_task(self, queue: str, task_id: str) -> None:
        """Removes a SCHEDULED or RETRYING task before it runs
        (FailedPreconditionError in another state, NotFoundError when
        unknown)."""
        self._call(_tasks.cancel_task(queue, task_id))

    def purge_task_queue(self, queue: str, states: Optional[Sequence[str]] = None) -> int:
        """Removes the queue's tasks in states (every state when None;
        RUNNING counts as QUEUED); returns how many went."""
        return self._call(_tasks.purge_queue(queue, states))

    def list_task_queues(self) -> List[str]:
        """The organization's task queues, sorted."""
        return self._call(_tasks.list_queues())

    def pause_task_queue(self, queue: str) -> None:
        """Stops handing out the queue's tasks until resume_task_queue
        (tasks already handed out run on; enqueueing goes on)."""
        self._call(_tasks.pause_queue(queue))

    def resume_task_queue(self, queue: str) -> None:
        self._call(_tasks.resume_queue(queue))

    # --- objects ------------------------------------------------------------

    def object_put(self, bucket: str, name: str, data: Union[cv.Data, BinaryIO],
                   metadata: Optional[Mapping[str, str]] = None, description: Optional[str] = None) -> t.ObjectInfo:
        """Stores an object (creating the bucket on first use) from bytes or
        a binary file object, streamed in 1 MiB chunks (a file is read a
        chunk at a time). Returns its info: object_id, size, sha256, ..."""
        self._ensure()
        header = cv.object_header(bucket, name, metadata, description, cv.size_of(data))

        def frames() -> Iterable[Any]:
            yield header
            for chunk in cv.chunks_of(data):
                yield cv.object_data(chunk)
        try:
            resp = self._stubs[cv.OBJECTS].PutObject(frames(), metadata=self._md)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return cv.object_info(resp.info)

    def object_get(self, bucket: str, name: str, into: Optional[BinaryIO] = None) -> Optional[t.ObjectResult]:
        """Reads an object: its info plus ``data`` and ``metadata``, or None
        if absent. With ``into`` (a binary file object) the data is written
        there a chunk at a time and ``data`` is empty."""
        self._ensure()
        parts: List[bytes] = []
        info: Dict[str, Any] = {}
        try:
            for r in self._stubs[cv.OBJECTS].GetObject(cv.object_get_request(bucket, name), metadata=self._md):
                if r.HasField("header"):
                    info = dict(cv.object_info(r.header.info))
                elif into is not None:
                    into.write(r.data)
                else:
                    parts.append(r.data)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise from_rpc_error(e) from None
        info["data"] = b"".join(parts)
        return info  # type: ignore[return-value]

    def object_info(self, bucket: str, name: str) -> Optional[t.ObjectInfo]:
        return self._call(cv.object_info_op(bucket, name))

    def object_list(self, bucket: str, prefix: Optional[str] = None) -> List[t.ObjectInfo]:
        """The bucket's objects (name, size, ...); empty if the bucket does not exist."""
        out: List[t.ObjectInfo] = []
        token = ""
        while True:
            try:
                page, token = self._call(cv.list_objects(bucket, prefix, token))
            except NotFoundError:
                return out
            out.extend(page)
            if not token:
                return out

    def object_delete(self, bucket: str, name: str) -> bool:
        return self._call(cv.object_delete(bucket, name))

    def object_delete_bucket(self, bucket: str) -> bool:
        return self._call(cv.object_bucket_delete(bucket))

    def object_list_buckets(self) -> List[Dict[str, Any]]:
        return self._call(cv.object_bucket_list())

    # --- admin --------------------------------------------------------------

    def get_statistics(self) -> t.Statistics:
        """The organization's statistics: total_streams, total_consumers,
        total_messages, connections (clients connected to the gateway
        instance), in_msgs, out_msgs, ..."""
        return self._call(cv.statistics())

    def health_check(self, deep_check: bool = False) -> t.Health:
        """The gateway's health: healthy, jetstream_enabled, connections, ...
        deep_check also has it do a NATS round trip and a JetStream write."""
        return self._call(cv.health(deep_check), timeout_seconds=10)
