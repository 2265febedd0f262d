"""The minimal task binding (enqueue_task, get_task_result, work) against
the real gateway's TaskService."""

from __future__ import annotations

import asyncio
import threading

import pytest

import natsgw
from natsgw.aio import AsyncNATSClient
from conftest import org_for


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
