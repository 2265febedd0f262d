"""The minimal task binding (enqueue_task, get_task_result, work) against
the real gateway's TaskService."""

from __future__ import annotations

import asyncio
import datetime
import threading

import pytest

import natsgw
from natsgw.aio import AsyncNATSClient
from conftest import SHOULD, org_for


def test_enqueue_work_result(client):
    ids = [client.enqueue_task("emails", "send", f"to{i}") for i in range(5)]
    bad = client.enqueue_task("emails", "boom", b"x", max_retries=0)
    assert client.get_task_result("emails", ids[0]) is None  # not run yet
    threads = set()

    def send(task):
        threads.add(threading.get_ident())
        return b"sent " + task["payload"]

    def boom(task):
        raise RuntimeError("no such mailbox")

    assert client.work("emails", {"send": send, "boom": boom}, concurrency=3, max_tasks=6) == 6
    for i, tid in enumerate(ids):
        r = client.get_task_result("emails", tid, wait_seconds=10)
        assert (r["state"], r["result"]) == ("SUCCEEDED", f"sent to{i}".encode())
    r = client.get_task_result("emails", bad, wait_seconds=10)
    assert r["state"] == "DEAD" and "no such mailbox" in r["error"]
    with pytest.raises(natsgw.NotFoundError):
        client.get_task_result("emails", "no-such-task")


def test_invalid_arguments(client):
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.enqueue_task("bad queue!", "t")
    assert ei.value.field == "queue", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.enqueue_task("q", "t", priority="urgent")
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.work("q", {"t": lambda task: None}, concurrency=0)
    assert ei.value.field == "concurrency"


def test_cross_org(gateway, org):
    a = natsgw.NATSClient(target=gateway.addr, organization_id=org, user_id="a")
    b = natsgw.NATSClient(target=gateway.addr, organization_id=org_for(org + "-other"), user_id="b")
    with a, b:
        secret = a.enqueue_task("jobs", "t", b"secret")
        with pytest.raises((natsgw.NotFoundError, natsgw.InvalidArgumentError)):
            b.get_task_result("jobs", secret)
        # b's worker on its own "jobs" sees only b's task: the marker comes
        # after a's task was enqueued, so had a's leaked, b would see it first
        # or alongside.
        mine = b.enqueue_task("jobs", "t", b"marker")
        got = []
        assert b.work("jobs", {"t": lambda task: got.append(task["payload"])}, max_tasks=1) == 1
        assert got == [b"marker"]
        assert b.get_task_result("jobs", mine, wait_seconds=10)["state"] == "SUCCEEDED"
        assert a.get_task_result("jobs", secret) is None  # still waiting in a's queue


def test_aio_enqueue_and_result(gateway, org, client):
    async def main():
        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            tid = await c.enqueue_task("aq", "t", b"p")
            assert await c.get_task_result("aq", tid) is None
            return tid
    tid = asyncio.run(asyncio.wait_for(main(), 60))
    client.work("aq", {"t": lambda task: task["payload"] * 2}, max_tasks=1)

    async def result():
        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            return await c.get_task_result("aq", tid, wait_seconds=10)
    assert asyncio.run(asyncio.wait_for(result(), 60))["result"] == b"pp"


def test_handler_outcomes(client):
    """A return succeeds, TaskFailed is dead at once (its retries unused),
    RetryAfter retries after its delay, any other exception retries after
    the task's backoff until max_retries, then the task is dead."""
    q = "outcomes"
    flaky = client.enqueue_task(q, "flaky", b"f", max_retries=3)
    fatal = client.enqueue_task(q, "fatal", b"x", max_retries=5)
    oops = client.enqueue_task(q, "oops", b"o", max_retries=1,
                               backoff={"initial_seconds": 0.1, "multiplier": 1, "max_seconds": 1})
    eta = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=0.5)
    later = client.enqueue_task(q, "later", b"h", eta=eta, headers={"X-Trace": "t-1"}, result_ttl_seconds=60)
    runs = {"flaky": 0, "fatal": 0, "oops": 0, "later": 0}
    seen = {}

    def flaky_h(task):
        runs["flaky"] += 1
        if runs["flaky"] == 1:
            raise natsgw.RetryAfter(0.2)
        return b"ok after %d" % task["retries"]

    def fatal_h(task):
        runs["fatal"] += 1
        raise natsgw.TaskFailed("bad input")

    def oops_h(task):
        runs["oops"] += 1
        raise ValueError("disk full")

    def later_h(task):
        runs["later"] += 1
        seen["at"] = datetime.datetime.now(datetime.timezone.utc)
        seen["headers"] = task["headers"]
        return "done"

    handled = client.work(q, {"flaky": flaky_h, "fatal": fatal_h, "oops": oops_h, "later": later_h},
                          concurrency=2, max_tasks=6, timeout_seconds=SHOULD)
    assert handled == 6, runs
    assert runs == {"flaky": 2, "fatal": 1, "oops": 2, "later": 1}
    r = client.get_task_result(q, flaky, wait_seconds=10)
    assert (r["state"], r["result"], r["retries"]) == ("SUCCEEDED", b"ok after 1", 1)
    r = client.get_task_result(q, fatal, wait_seconds=10)
    assert (r["state"], r["error"], r["retries"]) == ("DEAD", "bad input", 0)
    r = client.get_task_result(q, oops, wait_seconds=10)
    assert r["state"] == "DEAD" and "ValueError: disk full" in r["error"] and r["retries"] == 1, r
    r = client.get_task_result(q, later, wait_seconds=10)
    assert (r["state"], r["result"], r["headers"]) == ("SUCCEEDED", b"done", {"X-Trace": "t-1"})
    assert seen["headers"] == {"X-Trace": "t-1"}
    assert seen["at"] >= eta, (seen["at"], eta)  # never before its eta


def test_enqueue_option_errors(client):
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.enqueue_task("q", "t", result_ttl_seconds=0.5)
    assert "result_ttl" in ei.value.field, ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.enqueue_task("q", "t", backoff={"initial": 1})
    assert ei.value.field == "backoff", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.enqueue_task("q", "t", eta="tomorrow")
    assert ei.value.field == "eta", ei.value


def test_inspection(client):
    """Stats, listings, get, cancel, retry, pause/resume and purge on one
    queue, every state change checked through the gateway."""
    q = "insp"
    a = client.enqueue_task(q, "ok", b"a")
    b = client.enqueue_task(q, "ok", b"b", delay_seconds=3600)
    c = client.enqueue_task(q, "bad", b"c", max_retries=4)
    s = client.task_queue_stats(q)
    assert {k: s[k] for k in ("scheduled", "queued", "running", "retrying", "succeeded", "dead", "paused")} == \
        {"scheduled": 1, "queued": 2, "running": 0, "retrying": 0, "succeeded": 0, "dead": 0, "paused": False}
    assert [x["id"] for x in client.list_tasks(q, "QUEUED")] == [a, c]
    assert [x["id"] for x in client.list_tasks(q, "scheduled")] == [b]
    assert len(client.list_tasks(q, "QUEUED", limit=1)) == 1
    got = client.get_task(q, b)
    assert (got["state"], got["payload"], got["task_type"]) == ("SCHEDULED", b"b", "ok")
    assert got["enqueued_at"] is not None and got["finished_at"] is None
    assert client.get_task(q, "no-such-task") is None
    assert q in client.list_task_queues()

    with pytest.raises(natsgw.FailedPreconditionError):
        client.cancel_task(q, a)  # queued: too late to cancel
    client.cancel_task(q, b)
    assert client.get_task(q, b) is None and client.task_queue_stats(q)["scheduled"] == 0

    client.pause_task_queue(q)
    assert client.task_queue_stats(q)["paused"] is True
    client.resume_task_queue(q)
    assert client.task_queue_stats(q)["paused"] is False

    def bad(task):
        raise natsgw.TaskFailed("always")
    assert client.work(q, {"ok": lambda task: b"fine", "bad": bad}, max_tasks=2, timeout_seconds=SHOULD) == 2
    assert client.get_task_result(q, c, wait_seconds=10)["state"] == "DEAD"
    s = client.task_queue_stats(q)
    assert (s["succeeded"], s["dead"], s["queued"]) == (1, 1, 0), s
    assert [x["id"] for x in client.list_tasks(q, "DEAD")] == [c]

    with pytest.raises(natsgw.NotFoundError):
        client.retry_task(q, a)  # succeeded, not dead
    client.retry_task(q, c)
    got = client.get_task(q, c)
    assert (got["state"], got["retries"]) == ("QUEUED", 0), got

    assert client.purge_task_queue(q, ["queued"]) == 1
    assert client.get_task(q, c) is None
    assert client.purge_task_queue(q) >= 1  # a's result
    s = client.task_queue_stats(q)
    assert sum(s[k] for k in ("scheduled", "queued", "running", "retrying", "succeeded", "dead")) == 0, s


def test_inspection_invalid_arguments(client):
    client.enqueue_task("inv", "t")
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.list_tasks("inv", "LOST")
    assert ei.value.field == "state", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.purge_task_queue("inv", ["queued", "gone"])
    assert ei.value.field == "states[1]", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.list_tasks("inv", "QUEUED", limit=5000)
    assert ei.value.field == "limit", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.task_queue_stats("never-created")
    assert ei.value.field == "queue", ei.value


def test_inspection_cross_org(gateway, org):
    a = natsgw.NATSClient(target=gateway.addr, organization_id=org, user_id="a")
    b = natsgw.NATSClient(target=gateway.addr, organization_id=org_for(org + "-insp"), user_id="b")
    with a, b:
        dead = a.enqueue_task("private", "t", b"secret", max_retries=0)

        def fail(task):
            raise natsgw.TaskFailed("x")
        assert a.work("private", {"t": fail}, max_tasks=1, timeout_seconds=SHOULD) == 1
        assert a.get_task_result("private", dead, wait_seconds=10)["state"] == "DEAD"
        # b's listing holds exactly b's own marker queue, made after a's.
        b.enqueue_task("marker", "t")
        assert b.list_task_queues() == ["marker"]
        for call in (lambda: b.task_queue_stats("private"), lambda: b.list_tasks("private", "DEAD"),
                     lambda: b.retry_task("private", dead), lambda: b.purge_task_queue("private"),
                     lambda: b.pause_task_queue("private"), lambda: b.cancel_task("private", dead)):
            with pytest.raises((natsgw.InvalidArgumentError, natsgw.NotFoundError)):
                call()
        assert b.list_tasks("marker", "DEAD") == []
        with pytest.raises(natsgw.NotFoundError):
            b.retry_task("marker", dead)
        # a's queue is untouched.
        s = a.task_queue_stats("private")
        assert (s["dead"], s["paused"]) == (1, False)
        assert a.get_task("private", dead)["state"] == "DEAD"


def test_aio_inspection(gateway, org, client):
    async def main():
        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            x = await c.enqueue_task("aiq", "t", b"x", delay_seconds=3600)
            y = await c.enqueue_task("aiq", "t", b"y")
            s = await c.task_queue_stats("aiq")
            assert (s["scheduled"], s["queued"]) == (1, 1), s
            assert [t["id"] for t in await c.list_tasks("aiq", "QUEUED")] == [y]
            assert (await c.get_task("aiq", x))["state"] == "SCHEDULED"
            assert await c.get_task("aiq", "nope") is None
            assert "aiq" in await c.list_task_queues()
            await c.pause_task_queue("aiq")
            assert (await c.task_queue_stats("aiq"))["paused"] is True
            await c.resume_task_queue("aiq")
            assert (await c.task_queue_stats("aiq"))["paused"] is False
            await c.cancel_task("aiq", x)
            assert await c.get_task("aiq", x) is None
            with pytest.raises(natsgw.NotFoundError):
                await c.retry_task("aiq", y)  # queued, not dead
            assert await c.purge_task_queue("aiq", ["QUEUED"]) == 1
            assert (await c.task_queue_stats("aiq"))["queued"] == 0
    asyncio.run(asyncio.wait_for(main(), 60))


def test_aio_work(gateway, org, client):
    """AsyncNATSClient.work: coroutine and plain handlers, two tasks running
    at once on the loop (each waits for the other to start), the outcome
    exceptions, and drain after max_tasks."""
    q = "aiowork"
    pair = [client.enqueue_task(q, "pair", str(i)) for i in range(2)]
    retry = client.enqueue_task(q, "retry", b"r")
    dead = client.enqueue_task(q, "dead", b"d", max_retries=5)
    sync = client.enqueue_task(q, "sync", b"s")

    async def main():
        started = {"pair": 0, "retry": 0}
        both = asyncio.Event()

        async def pair_h(task):
            started["pair"] += 1
            if started["pair"] == 2:
                both.set()
            await asyncio.wait_for(both.wait(), SHOULD)  # only returns if both run at once
            return b"p" + task["payload"]

        async def retry_h(task):
            started["retry"] += 1
            if started["retry"] == 1:
                raise natsgw.RetryAfter(0.1)
            return b"second time"

        async def dead_h(task):
            raise natsgw.TaskFailed("nope")

        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            n = await c.work(q, {"pair": pair_h, "retry": retry_h, "dead": dead_h,
                                 "sync": lambda task: task["payload"].upper()},
                             concurrency=2, max_tasks=6, timeout_seconds=SHOULD)
            assert n == 6, started
            return [await c.get_task_result(q, tid, wait_seconds=10) for tid in pair + [retry, dead, sync]]
    p0, p1, r, d, s = asyncio.run(asyncio.wait_for(main(), 60))
    assert (p0["result"], p1["result"]) == (b"p0", b"p1")
    assert (r["state"], r["result"], r["retries"]) == ("SUCCEEDED", b"second time", 1)
    assert (d["state"], d["error"], d["retries"]) == ("DEAD", "nope", 0)
    assert (s["state"], s["result"]) == ("SUCCEEDED", b"S")
    assert client.task_queue_stats(q)["running"] == 0


def test_unencodable_result_fails_the_task(client):
    """A handler returning neither bytes, str nor None (an int would
    otherwise become that many zero bytes) makes the task DEAD, naming the
    type."""
    ids = [client.enqueue_task("unenc", "t", str(i), max_retries=3) for i in range(2)]
    results = {"0": 5, "1": {"a": 1}}
    assert client.work("unenc", {"t": lambda task: results[task["payload"].decode()]},
                       max_tasks=2, timeout_seconds=SHOULD) == 2
    for tid, name in zip(ids, ("int", "dict")):
        r = client.get_task_result("unenc", tid, wait_seconds=10)
        assert (r["state"], r["retries"]) == ("DEAD", 0), r
        assert r["error"] == f"result: a handler returns bytes, str or None, not {name}", r


def test_aio_work_cancelled(gateway, org, client):
    """Cancelling AsyncNATSClient.work ends its stream and cancels the
    handler it was running; the task, without an outcome, runs again on
    another worker after its timeout."""
    q = "aiocancel"
    tid = client.enqueue_task(q, "t", b"held", timeout_seconds=1)

    async def main():
        started = asyncio.Event()
        cancelled = []

        async def hold(task):
            started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(task["id"])
                raise

        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            w = asyncio.ensure_future(c.work(q, {"t": hold}))
            await asyncio.wait_for(started.wait(), SHOULD)
            w.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(w, SHOULD)
        return cancelled
    assert asyncio.run(asyncio.wait_for(main(), 60)) == [tid]
    runs = []
    assert client.work(q, {"t": lambda task: runs.append(task["retries"]) or b"second"},
                       max_tasks=1, timeout_seconds=SHOULD) == 1
    r = client.get_task_result(q, tid, wait_seconds=10)
    assert (r["state"], r["result"]) == ("SUCCEEDED", b"second"), r


def test_list_tasks_pages(gateway, org, client):
    """list_tasks_page walks a state's tasks a page at a time, oldest first,
    every task once (sync and async)."""
    ids = [client.enqueue_task("paged", "t", str(i)) for i in range(7)]
    seen, token = [], None
    while True:
        page = client.list_tasks_page("paged", "QUEUED", limit=3, page_token=token)
        assert len(page["tasks"]) <= 3
        seen += [x["id"] for x in page["tasks"]]
        token = page["next_page_token"]
        if not token:
            break
        assert len(seen) < 20, "pages never end"
    assert seen == ids

    async def first():
        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            return await c.list_tasks_page("paged", "QUEUED", limit=2)
    p = asyncio.run(asyncio.wait_for(first(), 60))
    assert [x["id"] for x in p["tasks"]] == ids[:2] and p["next_page_token"]
