"""Long-lived streams of the sync client: subscriptions and responders
(Serve), consume workers (Consume) and key-value watches (Watch).

Each runs on one daemon thread that the client owns, re-opens its stream
after the gateway restarts or an instance goes away (UNAVAILABLE), with
backoff, until it is stopped, its timeout passes or the client closes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, Optional

import grpc

from natsgw import _convert as cv
from natsgw.errors import NATSGWError, from_rpc_error, strip_field_prefix

log = logging.getLogger("natsgw")

# Codes after which a stream is opened again.
RETRY_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL,
                         grpc.StatusCode.RESOURCE_EXHAUSTED})
_BACKOFF_MAX = 2.0
_END = object()


def backoff(attempt: int) -> float:
    return min(_BACKOFF_MAX, 0.05 * (2 ** attempt))


# Messages an iterated subscription or watch holds before its reader waits
# (and the gateway, once its own buffer is full, drops and counts).
MAILBOX_SIZE = 65536


class _Mailbox:
    """A bounded queue between a stream's reader thread and the iterating
    caller. A full mailbox makes the reader wait (so gRPC flow control
    pushes back to the gateway) until the caller takes or the stream stops."""

    def __init__(self, stopped: threading.Event) -> None:
        self._q: "queue.Queue[Any]" = queue.Queue(MAILBOX_SIZE)
        self._stopped = stopped
        self._closed = threading.Event()

    def put(self, item: Any) -> None:
        while not self._stopped.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self._closed.set()
        try:
            self._q.put_nowait(_END)
        except queue.Full:
            pass  # get() notices _closed once the queue is drained

    def get(self, timeout: Optional[float]) -> Optional[Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if wait <= 0:
                return None
            try:
                item = self._q.get(timeout=wait)
            except queue.Empty:
                if self._closed.is_set() and self._q.empty():
                    return None
                continue
            if item is _END:
                self._q.put(_END)
                return None
            return item

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self.get(None)
            if item is None:
                return
            yield item


class _Loop:
    """Shared lifecycle: a thread runs _session until stopped or done."""

    def __init__(self, client: Any, timeout_seconds: Optional[float], what: str) -> None:
        self._client = client
        self._deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self._what = what
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._done = threading.Event()
        self._call: Any = None
        self._thread: Optional[threading.Thread] = None
        self.error: Optional[NATSGWError] = None
        self._ever_ready = False
        #: How many times the stream was opened again after a failure.
        self.reconnects = 0

    @property
    def active(self) -> bool:
        """True while the stream is open and confirmed by the gateway."""
        return self._ready.is_set() and not self._done.is_set()

    def _remaining(self) -> Optional[float]:
        if self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    def start_background(self, ready_timeout: float) -> None:
        self._thread = threading.Thread(target=self.run, name="natsgw-" + self._what, daemon=True)
        self._thread.start()
        self._client._track(self)
        # Wait for the gateway's confirmation (or the first failure).
        t_end = time.monotonic() + ready_timeout
        while not self._ready.wait(0.05):
            if self._done.is_set() or time.monotonic() > t_end:
                self.stop()
                if self.error is not None:
                    raise self.error
                from natsgw.errors import TimeoutError
                raise TimeoutError(f"{self._what}: not confirmed by the gateway within {ready_timeout} s")

    def run(self) -> None:
        attempt = 0
        try:
            while not self._stop.is_set():
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    return
                try:
                    if self._session(remaining):
                        return  # ended by the gateway (Unsubscribe) or by its own end
                except grpc.RpcError as e:
                    if self._stop.is_set():
                        return
                    code = e.code()
                    if code == grpc.StatusCode.DEADLINE_EXCEEDED and self._deadline is not None:
                        return  # the timeout ran out: a normal end
                    self.error = strip_field_prefix(from_rpc_error(e), "start.")
                    if code not in RETRY_CODES:
                        return
                    if not self._ever_ready and (code != grpc.StatusCode.UNAVAILABLE or attempt >= 4):
                        return  # never worked: report instead of retrying forever
                finally:
                    if self._ready.is_set():
                        self._ever_ready = True
                        attempt = 0
                    self._ready.clear()
                    self._call = None
                if self._stop.wait(backoff(attempt)):
                    return
                attempt += 1
                self.reconnects += 1
        finally:
            self._done.set()
            self._finish()
            self._client._untrack(self)

    def _session(self, remaining: Optional[float]) -> bool:
        raise NotImplementedError

    def _finish(self) -> None:
        pass

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        call = self._call
        if call is not None:
            call.cancel()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits until the stream has ended; False on timeout."""
        return self._done.wait(timeout)


class Subscription(_Loop):
    """A subscription (or responder) on a Serve stream.

    Created by ``NATSClient.subscribe(..., background=True)`` and
    ``NATSClient.serve``, active once returned. With a callback, the callback
    runs on the subscription's thread for each message; a callback that
    returns bytes, str or ``{'data':..., 'headers':...}`` answers a request.
    Without one, iterate: ``for msg in sub:`` (ends when unsubscribed).
    """

    def __init__(self, client: Any, subject: str, callback: Optional[Callable[[Any], Any]],
                 queue_group: Optional[str], timeout_seconds: Optional[float], buffer_size: int = 0) -> None:
        super().__init__(client, timeout_seconds, "subscription")
        self.subject = subject
        self.queue_group = queue_group
        self._cb = callback
        self._buffer_size = buffer_size
        self._queue = _Mailbox(self._stop)
        self._out: Optional["queue.SimpleQueue[Any]"] = None
        #: Messages the gateway dropped because this subscriber was slow.
        self.dropped = 0
        #: Messages delivered so far.
        self.received = 0
        #: The gateway's id of the current stream (for Unsubscribe).
        self.subscription_id = ""
        self.max_payload = 0

    def _session(self, remaining: Optional[float]) -> bool:
        out: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        out.put(cv.serve_start(self.subject, self.queue_group, self._buffer_size))

        def frames() -> Iterator[Any]:
            while True:
                item = out.get()
                if item is _END:
                    return
                yield item

        self._out = out
        call = self._client._stubs["messaging"].Serve(frames(), timeout=remaining, metadata=self._client._md)
        self._call = call
        if self._stop.is_set():
            call.cancel()
        try:
            for resp in call:
                if resp.HasField("ready"):
                    self.subscription_id = resp.ready.subscription_id
                    self.max_payload = resp.ready.max_payload
                    self._ready.set()
                if resp.dropped:
                    self.dropped += resp.dropped
                for m in resp.messages:
                    self.received += 1
                    self._deliver(cv.message(m), out)
            return True  # ended with OK: Unsubscribe
        finally:
            out.put(_END)

    def _deliver(self, msg: Dict[str, Any], out: "queue.SimpleQueue[Any]") -> None:
        if self._cb is None:
            self._queue.put(msg)
            return
        try:
            result = self._cb(msg)
        except Exception:
            log.exception("natsgw: subscription callback for %r raised", self.subject)
            return
        frame = cv.serve_reply(msg["reply_to"], result)
        if frame is not None:
            size = len(frame.reply.data)
            if self.max_payload and size > self.max_payload:
                log.error("natsgw: reply of %d bytes to %r is over the gateway's max payload %d; not sent",
                          size, msg["subject"], self.max_payload)
                return
            out.put(frame)

    def _finish(self) -> None:
        self._queue.close()

    def unsubscribe(self) -> None:
        """Ends the subscription. When it returns the gateway no longer
        delivers to it."""
        self._stop.set()
        sid = self.subscription_id
        if sid and self._call is not None:
            try:
                self._client._call(cv.unsubscribe(sid), timeout_seconds=5)
            except NATSGWError:
                pass  # the cancel below ends it too
        self.stop()

    def next_msg(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """The next message (iteration mode), or None on timeout or end."""
        return self._queue.get(timeout)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self._queue)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unsubscribe()


class JetStreamMsg(dict):
    """A pulled or consumed JetStream message: a dict with the keys of
    ``natsgw.types.PulledMessage`` (``data``, ``sequence``,
    ``num_delivered``, ...) and nats-py style methods to settle it."""

    __slots__ = ("_settle", "settled")

    def __init__(self, fields: Dict[str, Any], settle: Callable[..., Any]) -> None:
        super().__init__(fields)
        self._settle = settle
        self.settled = False

    def ack(self) -> None:
        """Acknowledges: done, never deliver again."""
        self.settled = True
        self._settle(self, "ack")

    def nak(self, delay: Optional[float] = None) -> None:
        """Negative ack: deliver again, after delay seconds if given."""
        self.settled = True
        self._settle(self, "nak", delay)

    def term(self, reason: str = "") -> None:
        """Failed for good: never deliver again (dead letter when enabled)."""
        self.settled = True
        self._settle(self, "term", None, reason)

    def in_progress(self) -> None:
        """Still working: restarts the ack wait."""
        self._settle(self, "in_progress")


class Consumer(_Loop):
    """A consume worker loop over ConsumerService/Consume (from
    ``NATSClient.consume``). The handler's return decides: anything but
    False acks, False naks, an exception naks with backoff (1 s, 2 s, 4 s,
    ... up to 60 s by delivery count); a handler that settles the message
    itself (``msg.ack()``, ``msg.term()``, ...) decides alone.

    Stopping is graceful: handlers in flight finish and their acks are sent,
    messages received but not handled are naked for redelivery, then the
    stream ends.
    """

    def __init__(self, client: Any, stream: str, consumer: str, handler: Callable[[JetStreamMsg], Any],
                 concurrency: int, max_in_flight: Optional[int], timeout_seconds: Optional[float],
                 max_messages: Optional[int]) -> None:
        super().__init__(client, None, "consume")
        self.stream, self.consumer = stream, consumer
        self._handler = handler
        self._concurrency = max(1, concurrency)
        self._max_in_flight = max_in_flight or 2 * self._concurrency
        self._max_messages = max_messages
        self._timeout = timeout_seconds
        self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="natsgw-consume")
        self._lock = threading.Lock()
        self._out: Optional["queue.SimpleQueue[Any]"] = None
        self._stopping = False
        self._inflight = 0
        self._accepted = 0
        self._timer: Optional[threading.Timer] = None
        #: Messages handled (settled) so far.
        self.processed = 0
        #: Handler failures (naked with backoff).
        self.failed = 0

    def run(self) -> None:
        if self._timeout is not None:
            self._timer = threading.Timer(self._timeout, self._begin_stop)
            self._timer.daemon = True
            self._timer.start()
        try:
            super().run()
        finally:
            if self._timer is not None:
                self._timer.cancel()

    def _session(self, remaining: Optional[float]) -> bool:
        out: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        out.put(cv.consume_start(self.stream, self.consumer, self._max_in_flight))

        def frames() -> Iterator[Any]:  # acks queued meanwhile go in one frame
            while True:
                item = out.get()
                if item is _END:
                    return
                if not item.HasField("start"):
                    while True:
                        try:
                            more = out.get_nowait()
                        except queue.Empty:
                            break
                        if more is _END:
                            yield item
                            return
                        item.acks.extend(more.acks)
                        item.credit += more.credit
                yield item

        call = self._client._stubs["consumers"].Consume(frames(), metadata=self._client._md)
        with self._lock:
            self._call, self._out = call, out
            stopping = self._stopping
        if stopping:
            out.put(_END)
        try:
            for resp in call:
                if resp.HasField("ready"):
                    self._ready.set()
                refuse = []
                for m in resp.messages:
                    with self._lock:
                        take = not self._stopping and (self._max_messages is None or
                                                       self._accepted < self._max_messages)
                        if take:
                            self._accepted += 1
                            self._inflight += 1
                    if take:
                        msg = JetStreamMsg(cv.pulled_fields(m), self._settle_factory(out))
                        if self._concurrency == 1:
                            self._handle(msg)  # in order, without a thread hop
                        else:
                            self._pool.submit(self._handle, msg)
                    else:
                        refuse.append(m.ack_token)
                if refuse:  # received while stopping: back to NATS at once
                    try:
                        self._client._call(cv.ack_op("nak", refuse))
                    except NATSGWError:
                        log.warning("natsgw: nak of %d unhandled messages failed; NATS redelivers them "
                                    "after ack_wait", len(refuse))
            return True
        finally:
            out.put(_END)
            with self._lock:
                self._out = None

    def _settle_factory(self, out: "queue.SimpleQueue[Any]") -> Callable[..., None]:
        def settle(msg: JetStreamMsg, kind: str, delay: Optional[float] = None, reason: str = "") -> None:
            with self._lock:
                current = self._out is out
            if kind in ("ack", "nak") and current:
                out.put(cv.consume_ack(msg["ack_token"], kind == "ack", delay))
                return
            # Term, in-progress, or a message of an earlier stream: confirmed unary calls.
            self._client._call(cv.ack_op(kind, [msg["ack_token"]], delay, reason))
        return settle

    def _handle(self, msg: JetStreamMsg) -> None:
        ok, delay = True, None
        try:
            ok = self._handler(msg) is not False
        except Exception:
            log.exception("natsgw: consume handler for %s/%s raised; nak with backoff", self.stream, self.consumer)
            ok, delay = False, cv.backoff_for(msg["num_delivered"])
            with self._lock:
                self.failed += 1
        try:
            if not msg.settled:
                msg.ack() if ok else msg.nak(delay)
            else:
                with self._lock:
                    out = self._out
                if out is not None:
                    out.put(self._credit())
        except NATSGWError:
            log.exception("natsgw: settling %s/%s sequence %d failed", self.stream, self.consumer, msg["sequence"])
        with self._lock:
            self._inflight -= 1
            self.processed += 1
            limit = self._max_messages is not None and self.processed >= self._max_messages
            idle = self._stopping and self._inflight == 0
        if limit:
            self._begin_stop()
        elif idle:
            self._half_close()

    def _begin_stop(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            idle = self._inflight == 0
        self._stop.set()
        if idle:
            self._half_close()

    def _half_close(self) -> None:
        with self._lock:
            out, call = self._out, self._call
        if out is not None:
            out.put(_END)  # after every ack queued so far; the gateway then ends the stream
        elif call is not None:
            call.cancel()

    @staticmethod
    def _credit() -> Any:
        from natsgw._proto.natsgw.v1 import consumer_pb2
        return consumer_pb2.ConsumeRequest(credit=1)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops gracefully (see the class doc); cancels after timeout."""
        self._begin_stop()
        t = self._thread
        if t is None or t is threading.current_thread():
            return
        t.join(timeout)
        if t.is_alive():
            call = self._call
            if call is not None:
                call.cancel()
            t.join(timeout)

    def _finish(self) -> None:
        self._pool.shutdown(wait=True)


class Watch(_Loop):
    """A key-value watch (from ``NATSClient.kv_watch``): the current values
    first (unless updates_only), then every change. ``initialized`` is set
    once the current values are delivered. After a reconnect it resumes
    after the last revision delivered, so no change is missed or repeated."""

    def __init__(self, client: Any, bucket: str, key: Optional[str], callback: Optional[Callable[[Any], Any]],
                 include_history: bool, updates_only: bool, timeout_seconds: Optional[float]) -> None:
        super().__init__(client, timeout_seconds, "kv-watch")
        self.bucket, self.key = bucket, key
        self._cb = callback
        self._include_history, self._updates_only = include_history, updates_only
        self._queue = _Mailbox(self._stop)
        self.last_revision = 0
        self.initialized = threading.Event()

    def _session(self, remaining: Optional[float]) -> bool:
        resume = self.last_revision + 1 if self.last_revision else 0
        req = cv.kv_watch_request(self.bucket, self.key, self._include_history, self._updates_only, resume)
        call = self._client._stubs["kv"].Watch(req, timeout=remaining, metadata=self._client._md)
        self._call = call
        if self._stop.is_set():
            call.cancel()
        for resp in call:
            self._ready.set()  # the first response: current values or init_done
            for e in resp.entries:
                self.last_revision = max(self.last_revision, e.revision)
                entry = cv.kv_seen_entry(self._client._kv_seen, self.bucket, e)
                if self._cb is None:
                    self._queue.put(entry)
                else:
                    try:
                        self._cb(entry)
                    except Exception:
                        log.exception("natsgw: kv_watch callback raised")
            if resp.init_done:
                if not self.last_revision and resp.last_revision:
                    self.last_revision = resp.last_revision
                self.initialized.set()
        return True

    def _finish(self) -> None:
        self._queue.close()

    def next(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """The next entry, or None on timeout or end."""
        return self._queue.get(timeout)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self._queue)

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
