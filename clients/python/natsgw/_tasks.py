"""Task queues (TaskService): conversion shared by both clients, and the
synchronous worker loop of NATSClient.work."""

from __future__ import annotations

import logging
import queue as _queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Mapping, Optional

import grpc

from natsgw import _convert as cv
from natsgw import errors
from natsgw import types as t
from natsgw._proto.natsgw.v1 import task_pb2

log = logging.getLogger("natsgw")

TASKS = "tasks"
_PRIORITY = {"low": 1, "normal": 2, "high": 3}
_STATES = {0: "", 1: "SCHEDULED", 2: "QUEUED", 3: "RUNNING", 4: "RETRYING", 5: "SUCCEEDED", 6: "DEAD"}


def task(m: Any) -> t.TaskInfo:
    return {"id": m.id, "queue": m.queue, "task_type": m.task_type, "payload": m.payload,
            "state": _STATES.get(m.state, ""), "retries": m.retries, "max_retries": m.max_retries,
            "error": m.error, "result": m.result}


def enqueue(queue: str, task_type: str, payload: cv.Data, delay_seconds: Optional[float], priority: Optional[str],
            max_retries: Optional[int], timeout_seconds: Optional[float], unique_id: Optional[str]) -> cv.Op:
    spec = task_pb2.TaskSpec(task_type=task_type, payload=cv.to_bytes(payload), delay=cv.duration(delay_seconds),
                             priority=cv._enum(_PRIORITY, priority, "priority"),
                             timeout=cv.duration(timeout_seconds), unique_id=unique_id or "")
    if max_retries is not None:
        spec.max_retries = max_retries
    return cv.Op(TASKS, "Enqueue", task_pb2.EnqueueRequest(queue=queue, task=spec), lambda r: r.task_id)


def get_result(queue: str, task_id: str, wait_seconds: Optional[float]) -> cv.Op:
    def convert(r: Any) -> Optional[t.TaskInfo]:
        return task(r.task) if r.ready else None
    return cv.Op(TASKS, "GetResult", task_pb2.GetResultRequest(queue=queue, task_id=task_id,
                                                               wait=cv.duration(wait_seconds)),
                 convert, timeout=(wait_seconds or 0) + 30.0)


def outcome(task_id: str, result: Any, exc: Optional[BaseException]) -> task_pb2.TaskOutcome:
    """A handler's return value or exception as an outcome: a return is
    success (bytes/str as the result, None as no result), an exception a
    retry (the task's backoff and max_retries apply)."""
    if exc is not None:
        return task_pb2.TaskOutcome(task_id=task_id, retry=task_pb2.TaskRetry(error=f"{type(exc).__name__}: {exc}"))
    return task_pb2.TaskOutcome(task_id=task_id, success=task_pb2.TaskSuccess(
        result=b"" if result is None else cv.to_bytes(result)))


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
        info = task(m)
        result, exc = None, None
        try:
            result = handlers[m.task_type](info)
        except Exception as e:  # the handler's failure is the task's, not the loop's
            log.info("natsgw: task %s (%s) raised: %s", m.id, m.task_type, e)
            exc = e
        try:
            o = outcome(m.id, result, exc)
        except Exception as e:  # an unencodable result fails the task
            o = task_pb2.TaskOutcome(task_id=m.id, fail=task_pb2.TaskFailure(error=f"result: {e}"))
        out.put(task_pb2.WorkRequest(outcomes=[o]))
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
