"""Task queues (TaskService): conversion shared by both clients, and the
synchronous worker loop of NATSClient.work."""

from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import logging
import queue as _queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, List, Mapping, Optional

import grpc

from natsgw import _convert as cv
from natsgw import errors
from natsgw import types as t
from google.protobuf import timestamp_pb2

from natsgw._proto.natsgw.v1 import task_pb2

log = logging.getLogger("natsgw")

TASKS = "tasks"
_PRIORITY = {"low": 1, "normal": 2, "high": 3}
_STATES = {0: "", 1: "SCHEDULED", 2: "QUEUED", 3: "RUNNING", 4: "RETRYING", 5: "SUCCEEDED", 6: "DEAD"}
_PRIORITIES = {0: "normal", 1: "low", 2: "normal", 3: "high"}


class RetryAfter(Exception):
    """Raised by a task handler: run the task again after ``seconds``
    instead of its backoff (it is dead once its max_retries are used up).
    The Go SDK's natsgw.RetryAfter."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = seconds


class TaskFailed(Exception):
    """Raised by a task handler: the task is dead at once, without retries,
    with this message as its error. The Go SDK's natsgw.Fail."""


def task(m: Any) -> t.TaskInfo:
    return {"id": m.id, "queue": m.queue, "task_type": m.task_type, "payload": m.payload,
            "headers": cv.headers_of(m.headers), "priority": _PRIORITIES.get(m.priority, "normal"),
            "state": _STATES.get(m.state, ""), "retries": m.retries, "max_retries": m.max_retries,
            "error": m.error, "result": m.result,
            "enqueued_at": cv.timestamp(m.enqueued_at, m.HasField("enqueued_at")),
            "finished_at": cv.timestamp(m.finished_at, m.HasField("finished_at"))}


def _eta(eta: Optional[_dt.datetime]) -> Optional[timestamp_pb2.Timestamp]:
    if eta is None:
        return None
    if not isinstance(eta, _dt.datetime):
        raise errors.invalid_argument("eta", f"must be a datetime (got {type(eta).__name__})")
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(eta.timestamp() * 1e9))
    return ts


def _backoff(backoff: Optional[Mapping[str, float]]) -> Optional[task_pb2.Backoff]:
    if backoff is None:
        return None
    unknown = set(backoff) - {"initial_seconds", "multiplier", "max_seconds"}
    if unknown:
        raise errors.invalid_argument("backoff", f"unknown keys {sorted(unknown)}; "
                                                 "use initial_seconds, multiplier, max_seconds")
    return task_pb2.Backoff(initial=cv.duration(backoff.get("initial_seconds")),
                            multiplier=float(backoff.get("multiplier", 0)), max=cv.duration(backoff.get("max_seconds")))


def enqueue(queue: str, task_type: str, payload: cv.Data, delay_seconds: Optional[float], priority: Optional[str],
            max_retries: Optional[int], timeout_seconds: Optional[float], unique_id: Optional[str],
            eta: Optional[_dt.datetime] = None, headers: cv.Headers = None,
            backoff: Optional[Mapping[str, float]] = None, result_ttl_seconds: Optional[float] = None) -> cv.Op:
    spec = task_pb2.TaskSpec(task_type=task_type, payload=cv.to_bytes(payload), delay=cv.duration(delay_seconds),
                             eta=_eta(eta), priority=cv._enum(_PRIORITY, priority, "priority"),
                             timeout=cv.duration(timeout_seconds), unique_id=unique_id or "",
                             backoff=_backoff(backoff), result_ttl=cv.duration(result_ttl_seconds))
    cv.set_headers(spec.headers, headers)
    if max_retries is not None:
        spec.max_retries = max_retries
    return cv.Op(TASKS, "Enqueue", task_pb2.EnqueueRequest(queue=queue, task=spec), lambda r: r.task_id)


def get_result(queue: str, task_id: str, wait_seconds: Optional[float]) -> cv.Op:
    def convert(r: Any) -> Optional[t.TaskInfo]:
        return task(r.task) if r.ready else None
    return cv.Op(TASKS, "GetResult", task_pb2.GetResultRequest(queue=queue, task_id=task_id,
                                                               wait=cv.duration(wait_seconds)),
                 convert, timeout=(wait_seconds or 0) + 30.0)


_STATE_NUMBERS = {name.lower(): n for n, name in _STATES.items() if name}


def _state(state: str, field: str) -> int:
    n = _STATE_NUMBERS.get(str(state).lower()) if isinstance(state, str) else None
    if n is None:
        raise errors.invalid_argument(field, f"must be one of {', '.join(s.upper() for s in _STATE_NUMBERS)} "
                                             f"(got {state!r})")
    return n


def queue_stats(queue: str) -> cv.Op:
    def convert(r: Any) -> t.TaskQueueStats:
        s = r.stats
        return {"queue": s.queue, "scheduled": s.scheduled, "queued": s.queued, "running": s.running,
                "retrying": s.retrying, "succeeded": s.succeeded, "dead": s.dead, "paused": s.paused,
                "paused_until": cv.timestamp(s.paused_until, s.HasField("paused_until")),
                "rate_limits": dict(s.rate_limits)}
    return cv.Op(TASKS, "GetQueueStats", task_pb2.GetQueueStatsRequest(queue=queue), convert)


def list_tasks(queue: str, state: str, limit: int, page_token: Optional[str] = None, page: bool = False) -> cv.Op:
    def convert(r: Any) -> Any:
        tasks = [task(m) for m in r.tasks]
        return {"tasks": tasks, "next_page_token": r.next_page_token} if page else tasks
    return cv.Op(TASKS, "ListTasks", task_pb2.ListTasksRequest(queue=queue, state=_state(state, "state"),
                                                               limit=limit, page_token=page_token or ""),
                 convert)


def get_task(queue: str, task_id: str) -> cv.Op:
    return cv.Op(TASKS, "GetTask", task_pb2.GetTaskRequest(queue=queue, task_id=task_id),
                 lambda r: task(r.task), none_on=cv.NOT_FOUND)


def retry_task(queue: str, task_id: str) -> cv.Op:
    return cv.Op(TASKS, "RetryTask", task_pb2.RetryTaskRequest(queue=queue, task_id=task_id), lambda r: None)


def cancel_task(queue: str, task_id: str) -> cv.Op:
    return cv.Op(TASKS, "CancelTask", task_pb2.CancelTaskRequest(queue=queue, task_id=task_id), lambda r: None)


def purge_queue(queue: str, states: Optional[Iterable[str]]) -> cv.Op:
    if isinstance(states, str):
        states = [states]
    nums = [_state(s, f"states[{i}]") for i, s in enumerate(states or [])]
    return cv.Op(TASKS, "PurgeQueue", task_pb2.PurgeQueueRequest(queue=queue, states=nums), lambda r: r.purged)


def list_queues() -> cv.Op:
    return cv.Op(TASKS, "ListQueues", task_pb2.ListQueuesRequest(), lambda r: list(r.queues))


def pause_queue(queue: str) -> cv.Op:
    return cv.Op(TASKS, "PauseQueue", task_pb2.PauseQueueRequest(queue=queue), lambda r: None)


def resume_queue(queue: str) -> cv.Op:
    return cv.Op(TASKS, "ResumeQueue", task_pb2.ResumeQueueRequest(queue=queue), lambda r: None)


def outcome(task_id: str, result: Any, exc: Optional[BaseException]) -> task_pb2.TaskOutcome:
    """A handler's return value or exception as an outcome: a return is
    success (bytes/str as the result, None as no result), TaskFailed is dead
    at once, RetryAfter a retry after its delay, any other exception a retry
    after the task's backoff (max_retries apply to both retries)."""
    if isinstance(exc, TaskFailed):
        return task_pb2.TaskOutcome(task_id=task_id, fail=task_pb2.TaskFailure(error=str(exc) or "failed"))
    if isinstance(exc, RetryAfter):
        return task_pb2.TaskOutcome(task_id=task_id, retry=task_pb2.TaskRetry(
            error=str(exc), delay=cv.duration(max(0.0, exc.seconds))))
    if exc is not None:
        return task_pb2.TaskOutcome(task_id=task_id, retry=task_pb2.TaskRetry(error=f"{type(exc).__name__}: {exc}"))
    if result is not None and not isinstance(result, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"a handler returns bytes, str or None, not {type(result).__name__}")
    return task_pb2.TaskOutcome(task_id=task_id, success=task_pb2.TaskSuccess(
        result=b"" if result is None else cv.to_bytes(result)))


def outcome_frame(m: Any, result: Any, exc: Optional[BaseException]) -> task_pb2.WorkRequest:
    """The frame reporting task m's outcome; a result that cannot be
    encoded fails the task."""
    if exc is not None:
        log.info("natsgw: task %s (%s) raised: %s", m.id, m.task_type, exc)
    try:
        o = outcome(m.id, result, exc)
    except Exception as e:
        o = task_pb2.TaskOutcome(task_id=m.id, fail=task_pb2.TaskFailure(error=f"result: {e}"))
    return task_pb2.WorkRequest(outcomes=[o])


def run_worker(client: Any, queue: str, handlers: Mapping[str, Callable[[t.TaskInfo], Any]], concurrency: int,
               timeout_seconds: Optional[float], max_tasks: Optional[int]) -> int:
    """Takes tasks of the handlers' types from queue and runs them on
    ``concurrency`` threads until timeout_seconds pass or max_tasks are done
    (then drains: every task handed out gets its outcome). Returns the
    number of tasks handled."""
    if concurrency < 1:
        raise errors.invalid_argument("concurrency", f"must be at least 1 (got {concurrency})")
    if not handlers:
        raise errors.invalid_argument("handlers", "must name at least one task type")
    out: "_queue.Queue[Optional[task_pb2.WorkRequest]]" = _queue.Queue()
    out.put(task_pb2.WorkRequest(start=task_pb2.WorkStart(queue=queue, task_types=sorted(handlers),
                                                          max_in_flight=concurrency)))
    done = 0
    lock = threading.Lock()
    draining = threading.Event()

    def frames() -> Iterator[task_pb2.WorkRequest]:
        while True:
            f = out.get()
            if f is None:
                return
            yield f

    def drain() -> None:
        if not draining.is_set():
            draining.set()
            out.put(task_pb2.WorkRequest(drain=True))

    def run_one(m: Any) -> None:
        nonlocal done
        result, exc = None, None
        try:
            result = handlers[m.task_type](task(m))
        except Exception as e:  # the handler's failure is the task's, not the loop's
            exc = e
        out.put(outcome_frame(m, result, exc))
        with lock:
            done += 1
            if max_tasks is not None and done >= max_tasks:
                drain()

    client._ensure()
    timer = threading.Timer(timeout_seconds, drain) if timeout_seconds is not None else None
    call = client._stubs[TASKS].Work(frames(), metadata=client._md)
    try:
        if timer is not None:
            timer.daemon = True
            timer.start()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="natsgw-task") as pool:
            for resp in call:
                for m in resp.tasks:
                    pool.submit(run_one, m)
    except grpc.RpcError as e:
        raise errors.from_rpc_error(e) from None
    finally:
        if timer is not None:
            timer.cancel()
        out.put(None)
    return done


async def run_async_worker(client: Any, queue: str, handlers: Mapping[str, Callable[[t.TaskInfo], Any]],
                           concurrency: int, timeout_seconds: Optional[float], max_tasks: Optional[int]) -> int:
    """run_worker on asyncio: each task is an asyncio task (a handler may be
    a coroutine function or a plain one); the gateway's max_in_flight
    (``concurrency``) bounds how many run at once."""
    if concurrency < 1:
        raise errors.invalid_argument("concurrency", f"must be at least 1 (got {concurrency})")
    if not handlers:
        raise errors.invalid_argument("handlers", "must name at least one task type")
    end = object()
    out: "asyncio.Queue[Any]" = asyncio.Queue()
    out.put_nowait(task_pb2.WorkRequest(start=task_pb2.WorkStart(queue=queue, task_types=sorted(handlers),
                                                                 max_in_flight=concurrency)))
    done = 0
    draining = False
    running: "set[asyncio.Future[None]]" = set()

    async def frames() -> AsyncIterator[task_pb2.WorkRequest]:
        while True:
            f = await out.get()
            if f is end:
                return
            yield f

    def drain() -> None:
        nonlocal draining
        if not draining:
            draining = True
            out.put_nowait(task_pb2.WorkRequest(drain=True))

    async def run_one(m: Any) -> None:
        nonlocal done
        result, exc = None, None
        try:
            result = handlers[m.task_type](task(m))
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:  # the handler's failure is the task's, not the loop's
            exc = e
        out.put_nowait(outcome_frame(m, result, exc))
        done += 1
        if max_tasks is not None and done >= max_tasks:
            drain()

    await client._ensure()
    timer = asyncio.get_running_loop().call_later(timeout_seconds, drain) if timeout_seconds is not None else None
    call = client._stubs[TASKS].Work(frames(), metadata=client._md)
    try:
        async for resp in call:
            for m in resp.tasks:
                fut = asyncio.ensure_future(run_one(m))
                running.add(fut)
                fut.add_done_callback(running.discard)
    except grpc.RpcError as e:
        raise errors.from_rpc_error(e) from None
    except asyncio.CancelledError:  # the caller gave up: so do the handlers
        for f in running:
            f.cancel()
        raise
    finally:
        if timer is not None:
            timer.cancel()
        call.cancel()  # a no-op once the stream ended; ends it when this coroutine was cancelled
        if running:
            await asyncio.gather(*list(running), return_exceptions=True)
        out.put_nowait(end)
    return done
