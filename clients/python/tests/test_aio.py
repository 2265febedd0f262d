"""The core cases on natsgw.aio.AsyncNATSClient."""

from __future__ import annotations

import asyncio
import os

import pytest

import natsgw
from natsgw.aio import AsyncNATSClient
from conftest import SHOULD


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


@pytest.fixture()
def aclient(gateway, org):
    return lambda: AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="pytest-aio")


def test_pubsub_request_reply(aclient):
    async def main():
        async with aclient() as c:
            sub = await c.subscribe("events.user.*", background=True)
            for i in range(1000):
                await c.publish("events.user.login", f"m{i}".encode(), headers={"i": str(i)} if i == 0 else None)
            await c.flush()
            got = []
            async for m in sub:
                got.append(m)
                if len(got) == 1000:
                    break
            assert [m["data"] for m in got] == [f"m{i}".encode() for i in range(1000)]
            assert got[0]["headers"] == {"i": "0"}

            async def handler(msg):
                return b"re: " + msg["data"]
            responder = await c.serve("api.echo", handler, queue_group="q")
            r = await c.request("api.echo", b"hi", timeout_seconds=5)
            assert r["data"] == b"re: hi"
            await responder.unsubscribe()
            assert await c.request("api.echo", b"hi", timeout_seconds=1) is None
            with pytest.raises(natsgw.NoRespondersError):
                await c.request("api.echo", b"hi", timeout_seconds=1, raise_on_error=True)
            res = await c.publish_batch([{"subject": "events.user.a", "data": b"1"}])
            assert res["published_count"] == 1
            await sub.unsubscribe()
    run(main())


def test_blocking_subscribe_with_timeout(aclient):
    async def main():
        async with aclient() as c:
            got = []

            async def publisher():
                while (await c.get_statistics())["subscriptions"] < 1:
                    await asyncio.sleep(0.01)
                await c.publish("orders.created", b"x")
                await c.flush()
            task = asyncio.ensure_future(publisher())
            sub = await c.subscribe("orders.*", got.append, timeout_seconds=2)
            await task
            assert [m["data"] for m in got] == [b"x"] and not sub.active
    run(main())


def test_jetstream_pull_ack_and_consume(aclient):
    async def main():
        async with aclient() as c:
            await c.create_stream("TASKS", subjects=["tasks.>"], max_msgs=10000)
            for i in range(5):
                r = await c.publish_to_stream("TASKS", "tasks.processing", str(i).encode())
                assert r["sequence"] == i + 1
            await c.create_consumer("TASKS", "worker", filter_subject="tasks.>")
            msgs = await c.pull_messages("TASKS", "worker", batch_size=2)
            assert [(m["sequence"], m["num_delivered"]) for m in msgs] == [(1, 1), (2, 1)]
            assert await c.ack_message("TASKS", "worker", 1)
            await msgs[1].ack()
            seen = []

            async def handler(msg):
                seen.append(int(msg["data"]))
            worker = await c.consume("TASKS", "worker", handler, concurrency=2, max_messages=3)
            assert sorted(seen) == [2, 3, 4] and worker.processed == 3
            info = await c.consumer_info("TASKS", "worker")
            assert info["num_ack_pending"] == 0
            assert [s["name"] for s in await c.list_streams()] == ["TASKS"]
            stats = await c.get_statistics()
            assert stats["total_streams"] == 1 and stats["total_messages"] == 5 and stats["connections"] >= 1
            assert (await c.health_check())["jetstream_enabled"]
    run(main())


def test_kv_and_watch(aclient):
    async def main():
        async with aclient() as c:
            rev = await c.kv_put("cfg", "a", b"1")
            assert (await c.kv_get("cfg", "a"))["revision"] == rev
            assert await c.kv_get("cfg", "nope") is None
            with pytest.raises(natsgw.FailedPreconditionError):
                await c.kv_update("cfg", "a", b"2", last_revision=rev + 100)
            w = await c.kv_watch("cfg")
            assert (await w.next(SHOULD))["value"] == b"1"
            await c.kv_put("cfg", "b", b"2")
            assert (await w.next(SHOULD))["key"] == "b"
            await w.stop()
            assert sorted(await c.kv_keys("cfg")) == ["a", "b"]
            assert [e["value"] for e in await c.kv_history("cfg", "a")] == [b"1"]
            with pytest.raises(natsgw.InvalidArgumentError) as ei:
                await c.kv_get("cfg", "a..b")
            assert ei.value.field == "key"
    run(main())


def test_objects_and_large_messages(aclient):
    async def main():
        async with aclient() as c:
            big = os.urandom(5 * 1024 * 1024)
            info = await c.object_put("docs", "big.bin", big, metadata={"k": "v"})
            assert info["size"] == len(big) and info["object_id"]
            got = await c.object_get("docs", "big.bin")
            assert got["data"] == big and got["metadata"] == {"k": "v"}
            assert [o["name"] for o in await c.object_list("docs")] == ["big.bin"]
            assert await c.object_delete("docs", "big.bin")
            assert await c.object_get("docs", "big.bin") is None
            sub = await c.subscribe("big", background=True)
            await c.publish("big", big)
            assert (await sub.next_msg(SHOULD))["data"] == big
    run(main())


def test_reconnect(own_gateway):
    gw = own_gateway()

    async def main():
        async with AsyncNATSClient(target=gw.addr, organization_id="aio-reconnect") as c:
            sub = await c.subscribe("events.>", background=True)
            await asyncio.get_running_loop().run_in_executor(None, gw.restart)
            deadline = asyncio.get_running_loop().time() + SHOULD
            while not sub.active:
                assert asyncio.get_running_loop().time() < deadline, "subscription did not come back"
                await asyncio.sleep(0.02)
            await c.publish("events.x", b"after")
            await c.flush()
            assert (await sub.next_msg(SHOULD))["data"] == b"after"
            assert sub.reconnects >= 1
    run(main())


def test_errors_surface(aclient):
    async def main():
        async with aclient() as c:
            await c.publish("ok", b"")
            await c.publish("bad subject", b"")
            with pytest.raises(natsgw.InvalidArgumentError):
                await c.flush()
            await c.publish("ok", b"")  # a new stream
            await c.flush()
            with pytest.raises(natsgw.InvalidArgumentError) as ei:
                await c.subscribe("bad subject", background=True)
            assert ei.value.field == "subject"
            with pytest.raises(natsgw.NotFoundError):
                await c.consume("NOPE", "w", lambda m: None, max_messages=1)
    run(main())


def test_consume_handler_failure_naks(aclient):
    async def main():
        async with aclient() as c:
            await c.create_stream("J", subjects=["j.>"])
            await c.create_consumer("J", "w", ack_wait_seconds=30)
            await c.publish_to_stream("J", "j.x", b"boom")
            calls = []

            async def handler(msg):
                calls.append(msg["num_delivered"])
                if msg["num_delivered"] == 1:
                    raise RuntimeError("first try fails")
            # The nak's backoff after the first delivery is 1 s.
            w = await c.consume("J", "w", handler, max_messages=2, timeout_seconds=SHOULD)
            assert calls == [1, 2] and w.failed == 1
    run(main())
