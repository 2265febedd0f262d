"""Pipelined publishing over MessagingService/PublishStream (sync client).

``publish`` encodes the message and appends it to a buffer; a generator that
gRPC drains on its own thread turns everything buffered into one frame (up to
10000 messages or 4 MiB), so a loop of publishes costs no round trip each.
``flush`` asks the gateway to confirm everything sent so far. A failed
stream's error is kept and raised by the next publish or flush.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional

import grpc

from natsgw import _convert as cv
from natsgw.errors import NATSGWError, UnavailableError, from_rpc_error
from natsgw._proto.natsgw.v1 import messaging_pb2

METHOD = "/natsgw.v1.MessagingService/PublishStream"
MAX_FRAME_MSGS = 10000
MAX_FRAME_BYTES = 4 << 20
# The sender waits up to LINGER seconds for a frame to fill when it has
# fewer than LINGER_BELOW messages (flush and close do not wait).
LINGER = 0.002
LINGER_BELOW = 1000
# Publishers wait when this much is buffered and not yet handed to gRPC.
MAX_BUFFERED = 16 << 20


class Publisher:
    def __init__(self, open_call: Callable[[Any], Any]) -> None:
        # open_call(request_iterator) -> a stream_stream call
        self._open_call = open_call
        self._cond = threading.Condition()
        self._buf: List[bytes] = []
        self._buf_bytes = 0
        self._waiting = False
        self._enqueued = 0  # messages enqueued on the current stream
        self._confirmed = 0  # published_count the gateway confirmed on it
        self._flush_req = False
        self._closing = False
        self._call: Any = None
        self._reader: Optional[threading.Thread] = None
        self._error: Optional[NATSGWError] = None
        self._gen = 0  # stream generation: a frames generator of an ended stream returns

    # --- producer side ----------------------------------------------------

    def publish(self, encoded: bytes) -> None:
        with self._cond:
            if self._error is not None:
                self._raise_error()
            if self._call is None:
                self._start()
            while self._buf_bytes > MAX_BUFFERED and self._call is not None:
                self._cond.wait(1.0)
            if self._error is not None:
                self._raise_error()
            self._buf.append(encoded)
            self._buf_bytes += len(encoded)
            self._enqueued += 1
            if self._waiting:  # wake the sender once, not on every publish
                self._waiting = False
                self._cond.notify_all()

    def check(self) -> None:
        """Raises the error of an earlier pipelined publish, once."""
        if self._error is not None:
            with self._cond:
                if self._error is not None:
                    self._raise_error()

    def barrier(self, timeout: Optional[float] = 30.0) -> None:
        """Before another call of the client: raises an earlier publish's
        error, and flushes when published messages are not confirmed yet, so
        that the call cannot overtake them (a NATS connection keeps one
        client's operations in order; here publishes travel on their own
        stream). Costs nothing when nothing is pending."""
        self.check()
        if self._call is not None and self._confirmed < self._enqueued:
            self.flush(timeout)

    def flush(self, timeout: Optional[float] = 30.0) -> None:
        with self._cond:
            if self._error is not None:
                self._raise_error()
            if self._call is None:
                return
            target = self._enqueued
            self._flush_req = True
            self._cond.notify_all()
            ok = self._cond.wait_for(lambda: self._confirmed >= target or self._error is not None
                                     or self._call is None, timeout)
            if self._error is not None:
                self._raise_error()
            if not ok:
                from natsgw.errors import TimeoutError
                raise TimeoutError(f"flush: the gateway did not confirm {target - self._confirmed} "
                                   f"published messages within {timeout} s")

    def close(self, timeout: float = 10.0) -> None:
        """Ends the stream after sending what is buffered."""
        with self._cond:
            call, reader = self._call, self._reader
            if call is None:
                return
            self._closing = True
            self._cond.notify_all()
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)
        if reader is not None and reader.is_alive():
            call.cancel()
            reader.join(timeout)

    def _raise_error(self) -> None:
        err, self._error = self._error, None
        assert err is not None
        raise err

    def _start(self) -> None:
        self._buf, self._buf_bytes = [], 0
        self._enqueued = self._confirmed = 0
        self._flush_req = self._closing = False
        self._gen += 1
        self._call = self._open_call(self._frames(self._gen))
        self._reader = threading.Thread(target=self._read, args=(self._call,), name="natsgw-publish", daemon=True)
        self._reader.start()

    # --- gRPC side ----------------------------------------------------------

    def _frames(self, gen: int):  # runs on gRPC's request-consumer thread
        while True:
            with self._cond:
                while not self._buf and not self._flush_req and not self._closing and gen == self._gen:
                    self._waiting = True
                    self._cond.wait()
                self._waiting = False
                if len(self._buf) < LINGER_BELOW and not self._flush_req and not self._closing:
                    # Linger for more (a publish loop fills a frame in
                    # this time): one frame per message would cost a gRPC
                    # send each, and the GIL hand-offs with it.
                    self._cond.wait(LINGER)
                if gen != self._gen or (not self._buf and not self._flush_req):
                    return  # closing with nothing left
                items, n, size = self._buf, 0, 0
                for n, item in enumerate(items, 1):
                    size += len(item)
                    if n >= MAX_FRAME_MSGS or size >= MAX_FRAME_BYTES:
                        break
                if n < len(items):
                    self._buf = items[n:]
                    items = items[:n]
                else:
                    self._buf = []
                self._buf_bytes -= size
                flush = self._flush_req and not self._buf
                if flush:
                    self._flush_req = False
                self._cond.notify_all()
            frame = b"".join(items)
            yield frame + cv.FLUSH_FIELD if flush else frame

    def _read(self, call: Any) -> None:
        err: Optional[NATSGWError] = None
        try:
            for resp in call:
                with self._cond:
                    self._confirmed = resp.published_count
                    self._cond.notify_all()
        except grpc.RpcError as e:
            if not (self._closing and e.code() == grpc.StatusCode.CANCELLED):
                err = from_rpc_error(e)
        except Exception as e:  # never lose the error silently
            err = UnavailableError(f"publish stream failed: {e}")
        with self._cond:
            if err is not None and self._confirmed >= self._enqueued:
                err = None  # every message was confirmed: nothing lost (an idle stream broke)
            if err is not None:
                lost = len(self._buf)
                if lost:
                    err.message += f" ({lost} later messages were not sent)"
                self._error = err
            self._buf, self._buf_bytes = [], 0
            self._call = None
            self._gen += 1
            self._cond.notify_all()


def deserialize(b: bytes) -> Any:
    return messaging_pb2.PublishStreamResponse.FromString(b)
