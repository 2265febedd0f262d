"""The asyncio client: ``AsyncNATSClient``, on ``grpc.aio``.

The same methods, arguments and result dicts as ``natsgw.NATSClient``, as
coroutines; subscriptions and watches are async iterators. Requests and
results are built by the same conversion code (``natsgw._convert``) as the
sync client's.

    async with AsyncNATSClient(user_id='svc') as client:
        await client.publish('events.user.login', b'hi')
        sub = await client.subscribe('events.>', background=True)
        async for msg in sub:
            ...
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import logging
import time
from collections import OrderedDict
from typing import Any, AsyncIterator, BinaryIO, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import grpc
import grpc.aio

from natsgw import _convert as cv
from natsgw._proto.natsgw.v1 import consumer_pb2
from natsgw import _publisher, _target, _tasks
from natsgw import types as t
from natsgw._streams import MAILBOX_SIZE, RETRY_CODES, backoff
from natsgw.client import _MAX_TOKENS, _READY_TIMEOUT, _STUBS, DEFAULT_TIMEOUT
from natsgw.errors import (
    InvalidArgumentError,
    NATSGWError,
    NoRespondersError,
    NotFoundError,
    TimeoutError,
    from_rpc_error,
    strip_field_prefix,
)

__all__ = ["AsyncNATSClient", "AsyncSubscription", "AsyncConsumer", "AsyncWatch", "AsyncJetStreamMsg"]

log = logging.getLogger("natsgw")
_END = object()


async def _maybe_await(v: Any) -> Any:
    return await v if inspect.isawaitable(v) else v


class _APublisher:
    """Pipelined publishing over PublishStream (see natsgw._publisher)."""

    def __init__(self, client: "AsyncNATSClient") -> None:
        self._client = client
        self._buf: List[bytes] = []
        self._buf_bytes = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._enqueued = self._confirmed = 0
        self._flush_req = self._closing = False
        self._call: Any = None
        self._reader: Optional["asyncio.Task[None]"] = None
        self._error: Optional[NATSGWError] = None
        self._gen = 0

    def check(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    async def publish(self, encoded: bytes) -> None:
        self.check()
        if self._call is None:
            self._start()
        while self._buf_bytes > _publisher.MAX_BUFFERED and self._call is not None:
            self._progress.clear()
            await self._progress.wait()
        self.check()
        self._buf.append(encoded)
        self._buf_bytes += len(encoded)
        self._enqueued += 1
        self._wake.set()

    async def barrier(self, timeout: Optional[float] = 30.0) -> None:
        """See natsgw._publisher.Publisher.barrier."""
        self.check()
        if self._call is not None and self._confirmed < self._enqueued:
            await self.flush(timeout)

    async def flush(self, timeout: Optional[float] = 30.0) -> None:
        self.check()
        if self._call is None:
            return
        target = self._enqueued
        self._flush_req = True
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._confirmed < target and self._error is None and self._call is not None:
            self._progress.clear()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"flush: the gateway did not confirm {target - self._confirmed} "
                                   f"published messages within {timeout} s")
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        self.check()

    async def close(self) -> None:
        if self._call is None:
            return
        self._closing = True
        self._wake.set()
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 10)
            except asyncio.TimeoutError:
                self._call.cancel()

    def _start(self) -> None:
        self._buf, self._buf_bytes = [], 0
        self._enqueued = self._confirmed = 0
        self._flush_req = self._closing = False
        self._gen += 1
        ch = self._client._channel
        assert ch is not None
        mc = ch.stream_stream(_publisher.METHOD, request_serializer=None, response_deserializer=_publisher.deserialize)
        self._call = mc(self._frames(self._gen), metadata=self._client._md)
        self._reader = asyncio.ensure_future(self._read(self._call))

    async def _frames(self, gen: int) -> AsyncIterator[bytes]:
        while True:
            while not self._buf and not self._flush_req and not self._closing and gen == self._gen:
                self._wake.clear()
                await self._wake.wait()
            if gen != self._gen or (not self._buf and not self._flush_req):
                return
            items, n, size = self._buf, 0, 0
            for n, item in enumerate(items, 1):
                size += len(item)
                if n >= _publisher.MAX_FRAME_MSGS or size >= _publisher.MAX_FRAME_BYTES:
                    break
            if n < len(items):
                self._buf, items = items[n:], items[:n]
            else:
                self._buf = []
            self._buf_bytes -= size
            flush = self._flush_req and not self._buf
            if flush:
                self._flush_req = False
            self._progress.set()
            frame = b"".join(items)
            yield frame + cv.FLUSH_FIELD if flush else frame

    async def _read(self, call: Any) -> None:
        err: Optional[NATSGWError] = None
        try:
            async for resp in call:
                self._confirmed = resp.published_count
                self._progress.set()
        except grpc.RpcError as e:
            if not (self._closing and e.code() == grpc.StatusCode.CANCELLED):
                err = from_rpc_error(e)
        except asyncio.CancelledError:
            pass
        if err is not None and self._confirmed >= self._enqueued:
            err = None  # every message was confirmed: nothing lost (an idle stream broke)
        if err is not None:
            if self._buf:
                err.message += f" ({len(self._buf)} later messages were not sent)"
            self._error = err
        self._buf, self._buf_bytes = [], 0
        self._call = None
        self._gen += 1
        self._wake.set()
        self._progress.set()


class _ALoop:
    """Shared lifecycle of the async long-lived streams: one task that
    re-opens its stream after UNAVAILABLE, with backoff."""

    def __init__(self, client: "AsyncNATSClient", timeout_seconds: Optional[float], what: str) -> None:
        self._client = client
        self._deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self._what = what
        self._stopped = False
        self._ready = asyncio.Event()
        self._done = asyncio.Event()
        self._call: Any = None
        self._task: Optional["asyncio.Task[None]"] = None
        self._ever_ready = False
        self.error: Optional[NATSGWError] = None
        self.reconnects = 0

    @property
    def active(self) -> bool:
        return self._ready.is_set() and not self._done.is_set()

    async def start_background(self, ready_timeout: float) -> None:
        self._task = asyncio.ensure_future(self.run())
        self._client._loops.add(self)
        ready = asyncio.ensure_future(self._ready.wait())
        done = asyncio.ensure_future(self._done.wait())
        try:
            await asyncio.wait({ready, done}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            done.cancel()
        if not self._ready.is_set():
            await self.stop()
            if self.error is not None:
                raise self.error
            raise TimeoutError(f"{self._what}: not confirmed by the gateway within {ready_timeout} s")

    async def run(self) -> None:
        attempt = 0
        try:
            while not self._stopped:
                remaining = None if self._deadline is None else self._deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return
                try:
                    if await self._session(remaining):
                        return
                except grpc.RpcError as e:
                    if self._stopped:
                        return
                    code = e.code()
                    if code == grpc.StatusCode.DEADLINE_EXCEEDED and self._deadline is not None:
                        return
                    self.error = strip_field_prefix(from_rpc_error(e), "start.")
                    if code not in RETRY_CODES:
                        return
                    if not self._ever_ready and (code != grpc.StatusCode.UNAVAILABLE or attempt >= 4):
                        return
                finally:
                    if self._ready.is_set():
                        self._ever_ready = True
                        attempt = 0
                    self._ready.clear()
                    self._call = None
                await asyncio.sleep(backoff(attempt))
                attempt += 1
                self.reconnects += 1
        except asyncio.CancelledError:
            pass
        finally:
            self._done.set()
            await self._finish()
            self._client._loops.discard(self)

    async def _session(self, remaining: Optional[float]) -> bool:
        raise NotImplementedError

    async def _finish(self) -> None:
        pass

    async def stop(self) -> None:
        self._stopped = True
        if self._call is not None:
            self._call.cancel()
        if self._task is not None and self._task is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except asyncio.TimeoutError:
                self._task.cancel()

    async def wait(self, timeout: Optional[float] = None) -> bool:
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False


class _Queue:
    """A bounded mailbox (see natsgw._streams._Mailbox): a full one makes
    the stream's reader wait, so gRPC flow control pushes back."""

    def __init__(self) -> None:
        self._q: "asyncio.Queue[Any]" = asyncio.Queue(MAILBOX_SIZE)
        self._closed = False

    async def put(self, item: Any) -> None:
        await self._q.put(item)

    def close(self) -> None:
        self._closed = True
        try:
            self._q.put_nowait(_END)
        except asyncio.QueueFull:
            pass  # get() notices _closed once the queue is drained

    async def get(self, timeout: Optional[float]) -> Optional[Any]:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self._closed and self._q.empty():
                return None
            wait = 0.1 if deadline is None else min(0.1, deadline - loop.time())
            if wait <= 0:
                return None
            try:
                item = await asyncio.wait_for(self._q.get(), wait)
            except asyncio.TimeoutError:
                continue
            if item is _END:
                self._q.put_nowait(_END)
                return None
            return item

    async def iterate(self) -> AsyncIterator[Any]:
        while True:
            item = await self.get(None)
            if item is None:
                return
            yield item


class AsyncSubscription(_ALoop):
    """The async form of natsgw.Subscription (a Serve stream): ``async for
    msg in sub``, ``await sub.unsubscribe()``, ``dropped``. A callback may
    be a plain function or a coroutine function; its bytes result answers
    a request."""

    def __init__(self, client: "AsyncNATSClient", subject: str, callback: Optional[Callable[[Any], Any]],
                 queue_group: Optional[str], timeout_seconds: Optional[float], buffer_size: int = 0) -> None:
        super().__init__(client, timeout_seconds, "subscription")
        self.subject, self.queue_group = subject, queue_group
        self._cb = callback
        self._buffer_size = buffer_size
        self._queue = _Queue()
        self.dropped = self.received = self.max_payload = 0
        self.subscription_id = ""

    async def _session(self, remaining: Optional[float]) -> bool:
        out: "asyncio.Queue[Any]" = asyncio.Queue()
        out.put_nowait(cv.serve_start(self.subject, self.queue_group, self._buffer_size))

        async def frames() -> AsyncIterator[Any]:
            while True:
                item = await out.get()
                if item is _END:
                    return
                yield item

        call = self._client._stubs[cv.MESSAGING].Serve(frames(), timeout=remaining, metadata=self._client._md)
        self._call = call
        try:
            async for resp in call:
                if resp.HasField("ready"):
                    self.subscription_id = resp.ready.subscription_id
                    self.max_payload = resp.ready.max_payload
                    self._ready.set()
                self.dropped += resp.dropped
                for m in resp.messages:
                    self.received += 1
                    await self._deliver(cv.message(m), out)
            return True
        finally:
            out.put_nowait(_END)

    async def _deliver(self, msg: Dict[str, Any], out: "asyncio.Queue[Any]") -> None:
        if self._cb is None:
            await self._queue.put(msg)
            return
        try:
            result = await _maybe_await(self._cb(msg))
        except Exception:
            log.exception("natsgw: subscription callback for %r raised", self.subject)
            return
        frame = cv.serve_reply(msg["reply_to"], result)
        if frame is not None:
            if self.max_payload and len(frame.reply.data) > self.max_payload:
                log.error("natsgw: reply to %r is over the gateway's max payload; not sent", msg["subject"])
                return
            out.put_nowait(frame)

    async def _finish(self) -> None:
        self._queue.close()

    async def unsubscribe(self) -> None:
        self._stopped = True
        if self.subscription_id and self._call is not None:
            try:
                await self._client._call(cv.unsubscribe(self.subscription_id), timeout_seconds=5)
            except NATSGWError:
                pass
        await self.stop()

    async def next_msg(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        return await self._queue.get(timeout)

    def __aiter__(self) -> AsyncIterator[Dict[str, Any]]:
        return self._queue.iterate()

    async def __aenter__(self) -> "AsyncSubscription":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.unsubscribe()


class AsyncJetStreamMsg(dict):
    """A pulled or consumed message: a dict (data, sequence, num_delivered,
    ...) with coroutine methods ack(), nak(delay), term(reason), in_progress()."""

    __slots__ = ("_settle", "settled")

    def __init__(self, fields: Dict[str, Any], settle: Callable[..., Any]) -> None:
        super().__init__(fields)
        self._settle = settle
        self.settled = False

    async def ack(self) -> None:
        self.settled = True
        await self._settle(self, "ack")

    async def nak(self, delay: Optional[float] = None) -> None:
        self.settled = True
        await self._settle(self, "nak", delay)

    async def term(self, reason: str = "") -> None:
        self.settled = True
        await self._settle(self, "term", None, reason)

    async def in_progress(self) -> None:
        await self._settle(self, "in_progress")


class AsyncConsumer(_ALoop):
    """The async consume worker loop (see natsgw.Consumer): up to
    ``concurrency`` handler coroutines at once; return acks, False naks,
    an exception naks with backoff. Stops gracefully."""

    def __init__(self, client: "AsyncNATSClient", stream: str, consumer: str, handler: Callable[[Any], Any],
                 concurrency: int, max_in_flight: Optional[int], timeout_seconds: Optional[float],
                 max_messages: Optional[int]) -> None:
        super().__init__(client, None, "consume")
        self.stream, self.consumer = stream, consumer
        self._handler = handler
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._max_in_flight = max_in_flight or 2 * max(1, concurrency)
        self._max_messages = max_messages
        self._timeout = timeout_seconds
        self._out: Optional["asyncio.Queue[Any]"] = None
        self._stopping = False
        self._inflight = 0
        self._accepted = 0
        self._tasks: "set[asyncio.Task[None]]" = set()
        self.processed = self.failed = 0

    async def run(self) -> None:
        timer = None
        if self._timeout is not None:
            timer = asyncio.get_running_loop().call_later(self._timeout, self._begin_stop)
        try:
            await super().run()
        finally:
            if timer is not None:
                timer.cancel()

    async def _session(self, remaining: Optional[float]) -> bool:
        out: "asyncio.Queue[Any]" = asyncio.Queue()
        out.put_nowait(cv.consume_start(self.stream, self.consumer, self._max_in_flight))

        async def frames() -> AsyncIterator[Any]:
            while True:
                item = await out.get()
                if item is _END:
                    return
                yield item

        call = self._client._stubs[cv.CONSUMERS].Consume(frames(), metadata=self._client._md)
        self._call, self._out = call, out
        if self._stopping:
            out.put_nowait(_END)
        try:
            async for resp in call:
                if resp.HasField("ready"):
                    self._ready.set()
                refuse = []
                for m in resp.messages:
                    if not self._stopping and (self._max_messages is None or self._accepted < self._max_messages):
                        self._accepted += 1
                        self._inflight += 1
                        msg = AsyncJetStreamMsg(cv.pulled_fields(m), self._settle_factory(out))
                        task = asyncio.ensure_future(self._handle(msg))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                    else:
                        refuse.append(m.ack_token)
                if refuse:
                    try:
                        await self._client._call(cv.ack_op("nak", refuse))
                    except NATSGWError:
                        log.warning("natsgw: nak of %d unhandled messages failed", len(refuse))
            return True
        finally:
            out.put_nowait(_END)
            self._out = None

    def _settle_factory(self, out: "asyncio.Queue[Any]") -> Callable[..., Any]:
        async def settle(msg: AsyncJetStreamMsg, kind: str, delay: Optional[float] = None, reason: str = "") -> None:
            if kind in ("ack", "nak") and self._out is out:
                out.put_nowait(cv.consume_ack(msg["ack_token"], kind == "ack", delay))
                return
            await self._client._call(cv.ack_op(kind, [msg["ack_token"]], delay, reason))
        return settle

    async def _handle(self, msg: AsyncJetStreamMsg) -> None:
        async with self._sem:
            ok, delay = True, None
            try:
                ok = (await _maybe_await(self._handler(msg))) is not False
            except Exception:
                log.exception("natsgw: consume handler raised; nak with backoff")
                ok, delay = False, cv.backoff_for(msg["num_delivered"])
                self.failed += 1
            try:
                if not msg.settled:
                    await (msg.ack() if ok else msg.nak(delay))
                elif self._out is not None:
                    self._out.put_nowait(consumer_pb2.ConsumeRequest(credit=1))
            except NATSGWError:
                log.exception("natsgw: settling sequence %d failed", msg["sequence"])
        self._inflight -= 1
        self.processed += 1
        if self._max_messages is not None and self.processed >= self._max_messages:
            self._begin_stop()
        elif self._stopping and self._inflight == 0:
            self._half_close()

    def _begin_stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._stopped = True
        if self._inflight == 0:
            self._half_close()

    def _half_close(self) -> None:
        if self._out is not None:
            self._out.put_nowait(_END)
        elif self._call is not None:
            self._call.cancel()

    async def stop(self) -> None:
        self._begin_stop()
        if self._task is not None and self._task is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except asyncio.TimeoutError:
                if self._call is not None:
                    self._call.cancel()
                await asyncio.wait_for(asyncio.shield(self._task), 10)

    async def _finish(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class AsyncWatch(_ALoop):
    """The async key-value watch (see natsgw.Watch): ``async for entry in
    watch``; resumes after a reconnect after the last revision delivered."""

    def __init__(self, client: "AsyncNATSClient", bucket: str, key: Optional[str],
                 callback: Optional[Callable[[Any], Any]], include_history: bool, updates_only: bool,
                 timeout_seconds: Optional[float]) -> None:
        super().__init__(client, timeout_seconds, "kv-watch")
        self.bucket, self.key = bucket, key
        self._cb = callback
        self._include_history, self._updates_only = include_history, updates_only
        self._queue = _Queue()
        self.last_revision = 0
        self.initialized = asyncio.Event()

    async def _session(self, remaining: Optional[float]) -> bool:
        resume = self.last_revision + 1 if self.last_revision else 0
        req = cv.kv_watch_request(self.bucket, self.key, self._include_history, self._updates_only, resume)
        call = self._client._stubs[cv.KV].Watch(req, timeout=remaining, metadata=self._client._md)
        self._call = call
        async for resp in call:
            self._ready.set()
            for e in resp.entries:
                self.last_revision = max(self.last_revision, e.revision)
                entry = cv.kv_seen_entry(self._client._kv_seen, self.bucket, e)
                if self._cb is None:
                    await self._queue.put(entry)
                else:
                    try:
                        await _maybe_await(self._cb(entry))
                    except Exception:
                        log.exception("natsgw: kv_watch callback raised")
            if resp.init_done:
                if not self.last_revision and resp.last_revision:
                    self.last_revision = resp.last_revision
                self.initialized.set()
        return True

    async def _finish(self) -> None:
        self._queue.close()

    async def next(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        return await self._queue.get(timeout)

    def __aiter__(self) -> AsyncIterator[Dict[str, Any]]:
        return self._queue.iterate()


class AsyncNATSClient:
    """natsgw.NATSClient for asyncio: the same constructor, methods and
    results, as coroutines. ``async with`` may be entered again and the
    client reused after the last exit."""

    def __init__(self, host: Optional[str] = None, port: Optional[int] = None, user_id: Optional[str] = None,
                 organization_id: Optional[str] = None, token: Optional[str] = None,
                 tls: Union[bool, str, bytes, grpc.ChannelCredentials, None] = None,
                 target: Optional[str] = None) -> None:
        self._host, self._port, self._target_arg, self._tls = host, port, target, tls
        self._md = _target.metadata(user_id, organization_id, token)
        self.user_id, self.organization_id = user_id, organization_id
        self._depth = 0
        self._channel: Optional[grpc.aio.Channel] = None
        self._stubs: Dict[str, Any] = {}
        self._publisher: Optional[_APublisher] = None
        self._loops: "set[Any]" = set()
        self._tokens: "OrderedDict[Tuple[str, str, int], str]" = OrderedDict()
        self._kv_seen = cv.Revisions()
        self.target = ""

    async def __aenter__(self) -> "AsyncNATSClient":
        self._depth += 1
        await self._ensure()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth == 0:
            await self.close(raise_errors=exc_type is None)

    async def _ensure(self) -> None:
        if self._channel is not None:
            return
        loop = asyncio.get_running_loop()
        self.target = await loop.run_in_executor(None, _target.resolve, self._host, self._port, self._target_arg)
        creds = _target.credentials(self._tls)
        if creds is None:
            ch = grpc.aio.insecure_channel(self.target, options=_target.CHANNEL_OPTIONS)
        else:
            ch = grpc.aio.secure_channel(self.target, creds, options=_target.CHANNEL_OPTIONS)
        if self._channel is not None:  # another task won
            await ch.close()
            return
        self._channel = ch
        self._stubs = {name: cls(ch) for name, cls in _STUBS.items()}
        self._publisher = _APublisher(self)

    async def close(self, raise_errors: bool = False) -> None:
        """Flushes, stops background work and closes; reusable after."""
        ch, pub, loops = self._channel, self._publisher, list(self._loops)
        if ch is None:
            return
        err: Optional[NATSGWError] = None
        if pub is not None:
            try:
                await pub.flush(10.0)
            except NATSGWError as e:
                err = e
            await pub.close()
        for loop in loops:
            await loop.stop()
        self._channel, self._publisher, self._stubs = None, None, {}
        await ch.close()
        if err is not None and raise_errors:
            raise err

    async def _call(self, op: cv.Op, timeout_seconds: Optional[float] = None) -> Any:
        await self._ensure()
        if self._publisher is not None:
            await self._publisher.barrier()  # earlier publishes first, as on one NATS connection
        fn = getattr(self._stubs[op.service], op.method)
        try:
            resp = await fn(op.request, timeout=op.timeout or timeout_seconds or DEFAULT_TIMEOUT, metadata=self._md)
        except grpc.RpcError as e:
            if e.code() in op.none_on:
                return None
            raise from_rpc_error(e) from None
        return op.convert(resp)

    # --- core messaging ---

    async def publish(self, subject: str, data: cv.Data = b"", headers: cv.Headers = None) -> bool:
        await self._ensure()
        assert self._publisher is not None
        await self._publisher.publish(cv.encode_publish(subject, data, headers))
        return True

    async def flush(self, timeout_seconds: float = 30.0) -> None:
        if self._publisher is not None:
            await self._publisher.flush(timeout_seconds)

    async def publish_batch(self, messages: Any) -> t.PublishBatchResult:
        await self.flush()
        return await self._call(cv.publish_batch(messages))

    async def subscribe(self, subject: str, callback: Optional[Callable[[t.Message], Any]] = None,
                        queue_group: Optional[str] = None, timeout_seconds: Optional[float] = None,
                        background: bool = False, buffer_size: int = 0) -> AsyncSubscription:
        if not background and callback is None:
            raise InvalidArgumentError("subscribe: a blocking subscription needs a callback; "
                                       "use background=True to iterate")
        await self._ensure()
        if self._publisher is not None:
            await self._publisher.barrier()  # messages published before this call are not delivered to it
        sub = AsyncSubscription(self, subject, callback, queue_group, timeout_seconds, buffer_size)
        if background:
            await sub.start_background(_READY_TIMEOUT)
            return sub
        self._loops.add(sub)
        await sub.run()
        if sub.error is not None and not sub._ever_ready:
            raise sub.error
        return sub

    async def serve(self, subject: str, handler: Callable[[t.Message], Any], queue_group: Optional[str] = None,
                    timeout_seconds: Optional[float] = None, background: bool = True) -> AsyncSubscription:
        return await self.subscribe(subject, handler, queue_group=queue_group, timeout_seconds=timeout_seconds,
                                    background=background)

    async def request(self, subject: str, data: cv.Data = b"", timeout_seconds: float = 5.0,
                      headers: cv.Headers = None, raise_on_error: bool = False) -> Optional[t.Message]:
        try:
            return await self._call(cv.request(subject, data, timeout_seconds, headers))
        except (TimeoutError, NoRespondersError):
            if raise_on_error:
                raise
            return None

    async def reply(self, reply_to: str, data: cv.Data = b"", headers: cv.Headers = None) -> bool:
        return await self._call(cv.reply(reply_to, data, headers))

    # --- streams ---

    async def create_stream(self, name: str, subjects: Optional[Sequence[str]] = None, max_msgs: Optional[int] = None,
                            max_bytes: Optional[int] = None, **config: Any) -> t.StreamInfo:
        return await self._call(cv.create_stream(cv.stream_config(name, subjects, max_msgs=max_msgs,
                                                                  max_bytes=max_bytes, **config)))

    async def update_stream(self, name: str, subjects: Optional[Sequence[str]] = None, max_msgs: Optional[int] = None,
                            max_bytes: Optional[int] = None, **config: Any) -> t.StreamInfo:
        return await self._call(cv.update_stream(cv.stream_config(name, subjects, max_msgs=max_msgs,
                                                                  max_bytes=max_bytes, **config)))

    async def stream_info(self, name: str) -> Optional[t.StreamInfo]:
        return await self._call(cv.get_stream(name))

    async def list_streams(self) -> List[t.StreamInfo]:
        return await self._call(cv.list_streams())

    async def delete_stream(self, name: str) -> bool:
        return await self._call(cv.delete_stream(name))

    async def purge_stream(self, name: str, subject: Optional[str] = None, keep: Optional[int] = None,
                           up_to_sequence: Optional[int] = None) -> int:
        return await self._call(cv.purge_stream(name, subject, keep, up_to_sequence))

    async def publish_to_stream(self, stream_name: str, subject: str, data: cv.Data = b"", headers: cv.Headers = None,
                                msg_id: Optional[str] = None, expected_last_sequence: Optional[int] = None,
                                ttl_seconds: Optional[float] = None) -> t.StreamPublishResult:
        return await self._call(cv.publish_to_stream(stream_name, subject, data, headers, msg_id,
                                                     expected_last_sequence, ttl_seconds))

    async def get_stream_message(self, stream_name: str, sequence: Optional[int] = None,
                                 last_by_subject: Optional[str] = None) -> Optional[Dict[str, Any]]:
        return await self._call(cv.get_stream_message(stream_name, sequence, last_by_subject))

    # --- consumers ---

    async def create_consumer(self, stream_name: str, consumer_name: str,
                              filter_subject: Union[None, str, Sequence[str]] = None, **config: Any) -> t.ConsumerInfo:
        return await self._call(cv.create_consumer(stream_name, cv.consumer_config(consumer_name, filter_subject,
                                                                                    **config)))

    async def consumer_info(self, stream_name: str, consumer_name: str) -> Optional[t.ConsumerInfo]:
        return await self._call(cv.get_consumer(stream_name, consumer_name))

    async def list_consumers(self, stream_name: str) -> List[t.ConsumerInfo]:
        return await self._call(cv.list_consumers(stream_name))

    async def delete_consumer(self, stream_name: str, consumer_name: str) -> bool:
        return await self._call(cv.delete_consumer(stream_name, consumer_name))

    async def pull_messages(self, stream_name: str, consumer_name: str, batch_size: int = 10,
                            timeout_seconds: Optional[float] = None) -> List[AsyncJetStreamMsg]:
        msgs = await self._call(cv.pull(stream_name, consumer_name, batch_size, timeout_seconds))
        for m in msgs:
            key = (stream_name, consumer_name, m.stream_sequence)
            self._tokens[key] = m.ack_token
            self._tokens.move_to_end(key)
        while len(self._tokens) > _MAX_TOKENS:
            self._tokens.popitem(last=False)
        return [AsyncJetStreamMsg(cv.pulled_fields(m), self._settle) for m in msgs]

    async def _settle(self, msg: AsyncJetStreamMsg, kind: str, delay: Optional[float] = None, reason: str = "") -> None:
        await self._call(cv.ack_op(kind, [msg["ack_token"]], delay, reason))
        if kind in ("ack", "term"):
            self._tokens.pop((msg["stream"], msg["consumer"], msg["sequence"]), None)

    def _token(self, stream: str, consumer: str, sequence: int) -> str:
        tok = self._tokens.get((stream, consumer, sequence))
        if tok is None:
            raise NotFoundError(f"no message with sequence {sequence} was pulled from {stream}/{consumer} "
                                f"by this client (or it was already acknowledged)")
        return tok

    async def ack_message(self, stream_name: str, consumer_name: str, sequence: int) -> bool:
        await self._call(cv.ack_op("ack", [self._token(stream_name, consumer_name, sequence)]))
        self._tokens.pop((stream_name, consumer_name, sequence), None)
        return True

    async def nak_message(self, stream_name: str, consumer_name: str, sequence: int,
                          delay_seconds: Optional[float] = None) -> bool:
        return await self._call(cv.ack_op("nak", [self._token(stream_name, consumer_name, sequence)], delay_seconds))

    async def term_message(self, stream_name: str, consumer_name: str, sequence: int, reason: str = "") -> bool:
        r = await self._call(cv.ack_op("term", [self._token(stream_name, consumer_name, sequence)], None, reason))
        self._tokens.pop((stream_name, consumer_name, sequence), None)
        return r

    async def in_progress(self, stream_name: str, consumer_name: str, sequence: int) -> bool:
        return await self._call(cv.ack_op("in_progress", [self._token(stream_name, consumer_name, sequence)]))

    async def consume(self, stream_name: str, consumer_name: str, handler: Callable[[AsyncJetStreamMsg], Any],
                      concurrency: int = 1, max_in_flight: Optional[int] = None,
                      timeout_seconds: Optional[float] = None, max_messages: Optional[int] = None,
                      background: bool = False) -> AsyncConsumer:
        await self._ensure()
        c = AsyncConsumer(self, stream_name, consumer_name, handler, concurrency, max_in_flight, timeout_seconds,
                          max_messages)
        if background:
            await c.start_background(_READY_TIMEOUT)
            return c
        self._loops.add(c)
        await c.run()
        if c.error is not None and not c._ever_ready:
            raise c.error
        return c

    # --- key-value ---

    async def kv_put(self, bucket: str, key: str, value: cv.Data, ttl_seconds: Optional[float] = None) -> int:
        """As NATSClient.kv_put."""
        return await self._call(cv.kv_put(bucket, key, value, self._kv_seen, ttl_seconds))

    async def kv_get(self, bucket: str, key: str, revision: Optional[int] = None,
                     consistent: bool = False) -> Optional[t.KVEntry]:
        """As NATSClient.kv_get (reads your own writes on any instance)."""
        return await self._call(cv.kv_get(bucket, key, self._kv_seen, revision, consistent))

    async def kv_mget(self, bucket: str, keys: Sequence[str], consistent: bool = False) -> List[Optional[t.KVEntry]]:
        """As NATSClient.kv_mget: a KVEntry or None per key, in order."""
        return await self._call(cv.kv_mget(bucket, keys, self._kv_seen, consistent))

    async def kv_mput(self, bucket: str, items: Union[Mapping[str, cv.Data], Iterable[Tuple[str, cv.Data]]],
                      ttl_seconds: Optional[float] = None) -> List[t.KVPutResult]:
        """As NATSClient.kv_mput: a KVPutResult per item, in order."""
        return await self._call(cv.kv_mput(bucket, items, self._kv_seen, ttl_seconds))

    async def kv_incr(self, bucket: str, key: str, delta: int = 1) -> int:
        """As NATSClient.kv_incr: the counter's new value."""
        return await self._call(cv.kv_incr(bucket, key, delta, self._kv_seen))

    async def kv_expire(self, bucket: str, key: str, ttl_seconds: float) -> int:
        """As NATSClient.kv_expire (0 removes the TTL): the new revision."""
        return await self._call(cv.kv_expire(bucket, key, ttl_seconds, self._kv_seen))

    async def kv_create(self, bucket: str, key: str, value: cv.Data, ttl_seconds: Optional[float] = None) -> int:
        return await self._call(cv.kv_create(bucket, key, value, self._kv_seen, ttl_seconds))

    async def kv_update(self, bucket: str, key: str, value: cv.Data, last_revision: int) -> int:
        return await self._call(cv.kv_update(bucket, key, value, last_revision, self._kv_seen))

    async def kv_delete(self, bucket: str, key: str, purge: bool = False) -> bool:
        return await self._call(cv.kv_delete(bucket, key, self._kv_seen, purge))

    async def kv_purge(self, bucket: str, key: str) -> bool:
        return await self._call(cv.kv_delete(bucket, key, self._kv_seen, True))

    async def kv_keys_page(self, bucket: str, match: Optional[str] = None, limit: Optional[int] = None,
                           page_token: Optional[str] = None) -> t.KVKeysPage:
        """As NATSClient.kv_keys_page: {"keys": [...], "next_page_token": str}."""
        return await self._call(cv.kv_keys_page(bucket, match, limit, page_token))

    async def _server_stream(self, service: str, method: str, req: Any) -> List[Any]:
        await self._ensure()
        out = []
        try:
            async for r in getattr(self._stubs[service], method)(req, timeout=DEFAULT_TIMEOUT, metadata=self._md):
                out.append(r)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise from_rpc_error(e) from None
        return out

    async def kv_keys(self, bucket: str, filter: Optional[str] = None) -> List[str]:
        return [k for r in await self._server_stream(cv.KV, "Keys", cv.kv_keys_request(bucket, filter)) for k in r.keys]

    async def kv_history(self, bucket: str, key: str) -> List[t.KVEntry]:
        return [cv.kv_seen_entry(self._kv_seen, bucket, e) for r in await self._server_stream(cv.KV, "History",
                                                                           cv.kv_history_request(bucket, key))
                for e in r.entries]

    async def kv_watch(self, bucket: str, key: Optional[str] = None, callback: Optional[Callable[[Any], Any]] = None,
                       include_history: bool = False, updates_only: bool = False,
                       timeout_seconds: Optional[float] = None) -> AsyncWatch:
        await self._ensure()
        w = AsyncWatch(self, bucket, key, callback, include_history, updates_only, timeout_seconds)
        await w.start_background(_READY_TIMEOUT)
        return w

    async def kv_create_bucket(self, bucket: str, history: Optional[int] = None, ttl_seconds: Optional[float] = None,
                               max_bytes: Optional[int] = None, storage: Optional[str] = None,
                               description: Optional[str] = None, counter: bool = False) -> Dict[str, Any]:
        return await self._call(cv.kv_create_bucket(bucket, cv.kv_bucket_config(history, ttl_seconds, max_bytes,
                                                                                storage, description, counter)))

    async def kv_delete_bucket(self, bucket: str) -> bool:
        return await self._call(cv.kv_delete_bucket(bucket, self._kv_seen))

    async def kv_list_buckets(self) -> List[Dict[str, Any]]:
        return await self._call(cv.kv_list_buckets())

    # --- tasks ---

    async def enqueue_task(self, queue: str, task_type: str, payload: cv.Data = b"", *,
                           delay_seconds: Optional[float] = None, priority: Optional[str] = None,
                           max_retries: Optional[int] = None, timeout_seconds: Optional[float] = None,
                           unique_id: Optional[str] = None, eta: Optional[datetime.datetime] = None,
                           headers: cv.Headers = None, backoff: Optional[Mapping[str, float]] = None,
                           result_ttl_seconds: Optional[float] = None) -> str:
        """As NATSClient.enqueue_task: the task's id."""
        return await self._call(_tasks.enqueue(queue, task_type, payload, delay_seconds, priority, max_retries,
                                               timeout_seconds, unique_id, eta, headers, backoff,
                                               result_ttl_seconds))

    async def get_task_result(self, queue: str, task_id: str,
                              wait_seconds: Optional[float] = None) -> Optional[t.TaskInfo]:
        """As NATSClient.get_task_result."""
        return await self._call(_tasks.get_result(queue, task_id, wait_seconds))

    async def work(self, queue: str, handlers: Mapping[str, Callable[[t.TaskInfo], Any]], concurrency: int = 1,
                   timeout_seconds: Optional[float] = None, max_tasks: Optional[int] = None) -> int:
        """As NATSClient.work, on the event loop: a handler may be a
        coroutine function (awaited) or a plain function (called on the
        loop; it should not block); up to ``concurrency`` tasks run at once
        as asyncio tasks. Cancelling the call ends the stream (the tasks it
        held run again after their timeout)."""
        return await _tasks.run_async_worker(self, queue, handlers, concurrency, timeout_seconds, max_tasks)

    async def task_queue_stats(self, queue: str) -> t.TaskQueueStats:
        """As NATSClient.task_queue_stats."""
        return await self._call(_tasks.queue_stats(queue))

    async def list_tasks(self, queue: str, state: str, limit: int = 100) -> List[t.TaskInfo]:
        """As NATSClient.list_tasks."""
        return await self._call(_tasks.list_tasks(queue, state, limit))

    async def list_tasks_page(self, queue: str, state: str, limit: int = 100,
                              page_token: Optional[str] = None) -> t.TaskPage:
        """As NATSClient.list_tasks_page."""
        return await self._call(_tasks.list_tasks(queue, state, limit, page_token, page=True))

    async def get_task(self, queue: str, task_id: str) -> Optional[t.TaskInfo]:
        """As NATSClient.get_task."""
        return await self._call(_tasks.get_task(queue, task_id))

    async def retry_task(self, queue: str, task_id: str) -> None:
        """As NATSClient.retry_task."""
        await self._call(_tasks.retry_task(queue, task_id))

    async def cancel_task(self, queue: str, task_id: str) -> None:
        """As NATSClient.cancel_task."""
        await self._call(_tasks.cancel_task(queue, task_id))

    async def purge_task_queue(self, queue: str, states: Optional[Sequence[str]] = None) -> int:
        """As NATSClient.purge_task_queue."""
        return await self._call(_tasks.purge_queue(queue, states))

    async def list_task_queues(self) -> List[str]:
        """As NATSClient.list_task_queues."""
        return await self._call(_tasks.list_queues())

    async def pause_task_queue(self, queue: str) -> None:
        """As NATSClient.pause_task_queue."""
        await self._call(_tasks.pause_queue(queue))

    async def resume_task_queue(self, queue: str) -> None:
        """As NATSClient.resume_task_queue."""
        await self._call(_tasks.resume_queue(queue))

    # --- objects ---

    async def object_put(self, bucket: str, name: str, data: Union[cv.Data, BinaryIO],
                         metadata: Optional[Mapping[str, str]] = None,
                         description: Optional[str] = None) -> t.ObjectInfo:
        """As NATSClient.object_put; a file object is read a chunk at a time
        (blocking reads, 1 MiB each)."""
        await self._ensure()
        header = cv.object_header(bucket, name, metadata, description, cv.size_of(data))

        async def frames() -> AsyncIterator[Any]:
            yield header
            for chunk in cv.chunks_of(data):
                yield cv.object_data(chunk)
        try:
            resp = await self._stubs[cv.OBJECTS].PutObject(frames(), metadata=self._md)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        return cv.object_info(resp.info)

    async def object_get(self, bucket: str, name: str, into: Optional[BinaryIO] = None) -> Optional[t.ObjectResult]:
        await self._ensure()
        parts: List[bytes] = []
        info: Dict[str, Any] = {}
        try:
            async for r in self._stubs[cv.OBJECTS].GetObject(cv.object_get_request(bucket, name), metadata=self._md):
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

    async def object_info(self, bucket: str, name: str) -> Optional[t.ObjectInfo]:
        return await self._call(cv.object_info_op(bucket, name))

    async def object_list(self, bucket: str, prefix: Optional[str] = None) -> List[t.ObjectInfo]:
        out: List[t.ObjectInfo] = []
        token = ""
        while True:
            try:
                page, token = await self._call(cv.list_objects(bucket, prefix, token))
            except NotFoundError:
                return out
            out.extend(page)
            if not token:
                return out

    async def object_delete(self, bucket: str, name: str) -> bool:
        return await self._call(cv.object_delete(bucket, name))

    async def object_delete_bucket(self, bucket: str) -> bool:
        return await self._call(cv.object_bucket_delete(bucket))

    async def object_list_buckets(self) -> List[Dict[str, Any]]:
        return await self._call(cv.object_bucket_list())

    # --- admin ---

    async def get_statistics(self) -> t.Statistics:
        return await self._call(cv.statistics())

    async def health_check(self, deep_check: bool = False) -> t.Health:
        return await self._call(cv.health(deep_check), timeout_seconds=10)

