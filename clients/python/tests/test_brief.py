"""Every case of the brief's "Test Results" list, through the real gateway."""

from __future__ import annotations

import json
import queue
import threading

import pytest

import natsgw
from conftest import SHOULD, wait_for


def sink(client, subject, queue_group=None):
    """A background subscription whose messages land in a queue."""
    q: "queue.Queue[dict]" = queue.Queue()
    sub = client.subscribe(subject, q.put, queue_group=queue_group, background=True)
    return sub, q


def recv(q, what="message"):
    try:
        return q.get(timeout=SHOULD)
    except queue.Empty:
        pytest.fail(f"{what}: nothing within {SHOULD} s")


def test_service_health_checks(client):
    health = client.health_check()
    assert health["healthy"] is True
    assert health["jetstream_enabled"] is True
    assert health["connections"] >= 1  # at least this client
    deep = client.health_check(deep_check=True)
    assert deep["healthy"] and deep["jetstream_rtt_seconds"] > 0


def test_basic_publish(client):
    sub, q = sink(client, "events.user.login")
    assert client.publish("events.user.login", b"User logged in") is True
    m = recv(q)
    assert (m["subject"], m["data"]) == ("events.user.login", b"User logged in")
    sub.unsubscribe()


def test_json_publish(client):
    sub, q = sink(client, "events.user.login")
    event = {"user_id": "usr_123", "action": "login", "timestamp": "2025-10-24T10:00:00Z"}
    client.publish("events.user.login", json.dumps(event).encode())
    assert json.loads(recv(q)["data"].decode()) == event


def test_publish_with_headers(client):
    sub, q = sink(client, "events.order.*")
    client.publish("events.order.created", b"Order data", headers={"priority": "high", "source": "web-app"})
    m = recv(q)
    assert m["headers"] == {"priority": "high", "source": "web-app"}
    client.publish("events.order.created", b"x", headers={"tag": ["a", "b"]})
    assert recv(q)["headers_all"]["tag"] == ["a", "b"]


def test_subject_hierarchy_with_wildcards(client):
    one, q1 = sink(client, "orders.*")
    many, q2 = sink(client, "orders.>")
    for s in ["orders.created", "orders.updated", "orders.cancelled", "orders.payment.completed"]:
        client.publish(s, s.encode())
    client.publish("orders.marker", b"")
    got1 = [recv(q1)["subject"] for _ in range(4)]
    got2 = [recv(q2)["subject"] for _ in range(5)]
    assert got1 == ["orders.created", "orders.updated", "orders.cancelled", "orders.marker"]
    assert got2 == ["orders.created", "orders.updated", "orders.cancelled", "orders.payment.completed",
                    "orders.marker"]


def test_binary_data(client):
    sub, q = sink(client, "data.binary")
    data = bytes(range(256))
    client.publish("data.binary", data)
    assert recv(q)["data"] == data


def test_large_messages(client):
    sub, q = sink(client, "data.large")
    large = b"X" * (1024 * 1024)
    client.publish("data.large", large)
    assert recv(q)["data"] == large


def test_bulk_publishing(client):
    sub, q = sink(client, "test.bulk")
    for i in range(1000):
        client.publish("test.bulk", f"Message {i}".encode())
    client.flush()
    got = [recv(q)["data"] for _ in range(1000)]
    assert got == [f"Message {i}".encode() for i in range(1000)]


def test_request_reply(client):
    def handle_request(msg):
        return b"Response data for " + msg["data"]
    responder = client.subscribe("api.users.get", handle_request, background=True)
    response = client.request("api.users.get", b"user_id=123", timeout_seconds=5)
    assert response and response["data"] == b"Response data for user_id=123"
    responder.unsubscribe()
    # Nobody answers: None, as the brief's `if response:` expects...
    assert client.request("api.users.get", b"x", timeout_seconds=1) is None
    # ...or an exception when asked for.
    with pytest.raises(natsgw.NoRespondersError):
        client.request("api.users.get", b"x", timeout_seconds=1, raise_on_error=True)


def test_request_timeout(client):
    quiet = client.subscribe("api.slow", lambda m: None, background=True)  # never answers
    assert client.request("api.slow", b"", timeout_seconds=0.3) is None
    with pytest.raises(natsgw.TimeoutError):
        client.request("api.slow", b"", timeout_seconds=0.3, raise_on_error=True)
    quiet.unsubscribe()


def test_serve_with_queue_group(client):
    served = {"a": 0, "b": 0}

    def responder(name):
        def h(msg):
            served[name] += 1
            return {"data": name.encode(), "headers": {"by": name}}
        return h
    a = client.serve("api.echo", responder("a"), queue_group="echo")
    b = client.serve("api.echo", responder("b"), queue_group="echo")
    for _ in range(40):
        r = client.request("api.echo", b"hi", timeout_seconds=5, raise_on_error=True)
        assert r["data"] in (b"a", b"b") and r["headers"]["by"] == r["data"].decode()
    assert served["a"] + served["b"] == 40
    a.unsubscribe()
    b.unsubscribe()

    @client.handle("api.upper")
    def upper(msg):
        return msg["data"].upper()
    assert client.request("api.upper", b"abc")["data"] == b"ABC"
    upper.subscription.unsubscribe()


def test_kv_operations(client):
    bucket = "app-config"
    r1 = client.kv_put(bucket, "database.host", b"localhost")
    client.kv_put(bucket, "database.port", b"5432")
    client.kv_put(bucket, "cache.ttl", b"300")
    result = client.kv_get(bucket, "database.host")
    assert result["value"].decode() == "localhost" and result["revision"] == r1
    assert sorted(client.kv_keys(bucket)) == ["cache.ttl", "database.host", "database.port"]
    assert client.kv_delete(bucket, "cache.ttl") is True
    assert client.kv_get(bucket, "cache.ttl") is None
    assert client.kv_get(bucket, "missing") is None
    assert sorted(client.kv_keys(bucket)) == ["database.host", "database.port"]
    assert client.kv_keys("no-such-bucket") == []


def test_kv_revisions_cas_history(client):
    b = "cas"
    rev = client.kv_create(b, "k", b"v1")
    with pytest.raises(natsgw.AlreadyExistsError):
        client.kv_create(b, "k", b"again")
    rev2 = client.kv_update(b, "k", b"v2", last_revision=rev)
    assert rev2 > rev
    with pytest.raises(natsgw.FailedPreconditionError):
        client.kv_update(b, "k", b"stale", last_revision=rev)
    assert client.kv_get(b, "k", revision=rev)["value"] == b"v1"
    hist = client.kv_history(b, "k")
    assert [(e["value"], e["operation"]) for e in hist] == [(b"v1", "PUT"), (b"v2", "PUT")]
    client.kv_delete(b, "k")
    assert client.kv_history(b, "k")[-1]["operation"] == "DELETE"


def test_kv_ttl(client):
    client.kv_create("ttl", "session", b"x", ttl_seconds=1)
    assert client.kv_get("ttl", "session")["value"] == b"x"
    wait_for("key expires", lambda: client.kv_get("ttl", "session") is None, timeout=10)


def test_kv_watch(client):
    client.kv_put("w", "a", b"1")
    seen = queue.Queue()
    w = client.kv_watch("w", callback=seen.put)
    assert recv(seen)["value"] == b"1"
    assert w.initialized.wait(SHOULD)
    client.kv_put("w", "b", b"2")
    client.kv_delete("w", "a")
    e1, e2 = recv(seen), recv(seen)
    assert (e1["key"], e1["value"], e2["key"], e2["operation"]) == ("b", b"2", "a", "DELETE")
    w.stop()
    it = client.kv_watch("w", key="b", updates_only=True)
    client.kv_put("w", "b", b"3")
    assert it.next(SHOULD)["value"] == b"3"
    it.stop()


def test_jetstream_stream_creation(client):
    info = client.create_stream("TASKS", subjects=["tasks.>"], max_msgs=10000)
    assert info["name"] == "TASKS" and info["subjects"] == ["tasks.>"] and info["max_msgs"] == 10000
    # Again with the same configuration: fine. With another: AlreadyExists naming the setting.
    client.create_stream("TASKS", subjects=["tasks.>"], max_msgs=10000)
    with pytest.raises(natsgw.AlreadyExistsError) as ei:
        client.create_stream("TASKS", subjects=["tasks.>"], max_msgs=5)
    assert "config.max_msgs 5 (the stream has 10000)" in ei.value.message
    assert client.update_stream("TASKS", subjects=["tasks.>"], max_msgs=5)["max_msgs"] == 5
    assert [s["name"] for s in client.list_streams()] == ["TASKS"]
    assert client.stream_info("NOPE") is None
    assert client.delete_stream("TASKS") is True
    with pytest.raises(natsgw.NotFoundError):
        client.delete_stream("TASKS")


def test_jetstream_persistent_publishing(client):
    client.create_stream(name="EVENTS", subjects=["events.>"], max_msgs=100000, max_bytes=10 * 1024 * 1024)
    result = client.publish_to_stream(stream_name="EVENTS", subject="events.user.signup", data=b"New user registered")
    assert result["sequence"] == 1 and result["stream"] == "EVENTS"
    assert client.publish_to_stream("EVENTS", "events.x", b"2")["sequence"] == 2
    streams = client.list_streams()
    assert [(s["name"], s["messages"]) for s in streams] == [("EVENTS", 2)]
    assert streams[0]["bytes"] > 0
    assert client.get_stream_message("EVENTS", 1)["data"] == b"New user registered"
    assert client.purge_stream("EVENTS") == 2
    client.delete_stream("EVENTS")


def test_jetstream_consumer_creation(client):
    client.create_stream("TASKS", subjects=["tasks.>"])
    info = client.create_consumer(stream_name="TASKS", consumer_name="worker-1", filter_subject="tasks.processing")
    assert info["name"] == "worker-1" and info["filter_subjects"] == ["tasks.processing"]
    assert [c["name"] for c in client.list_consumers("TASKS")] == ["worker-1"]
    assert client.consumer_info("TASKS", "nope") is None


def test_jetstream_pull_and_ack(client):
    client.create_stream("TASKS", subjects=["tasks.>"], max_msgs=10000)
    for i in range(3):
        client.publish_to_stream("TASKS", "tasks.processing", f"task {i}".encode())
    client.create_consumer("TASKS", "worker", filter_subject="tasks.>", ack_wait_seconds=30)
    msgs = client.pull_messages("TASKS", "worker", batch_size=10)
    assert [(m["data"], m["sequence"], m["num_delivered"]) for m in msgs] == \
        [(b"task 0", 1, 1), (b"task 1", 2, 1), (b"task 2", 3, 1)]
    for m in msgs:
        assert client.ack_message("TASKS", "worker", m["sequence"]) is True
    assert client.pull_messages("TASKS", "worker", batch_size=10) == []  # prompt and empty
    info = client.consumer_info("TASKS", "worker")
    assert info["num_ack_pending"] == 0 and info["ack_floor_sequence"] == 3
    with pytest.raises(natsgw.NotFoundError):
        client.ack_message("TASKS", "worker", 99)


def test_message_level_settle(client):
    client.create_stream("Q", subjects=["q.>"])
    client.create_consumer("Q", "w", ack_wait_seconds=30, max_deliver=2)
    client.publish_to_stream("Q", "q.a", b"a")
    client.publish_to_stream("Q", "q.b", b"b")
    a, b = client.pull_messages("Q", "w", batch_size=2)
    a.in_progress()
    a.nak()  # at once
    b.term("bad input")
    again = client.pull_messages("Q", "w", batch_size=2, timeout_seconds=SHOULD)
    assert [(m["data"], m["num_delivered"]) for m in again] == [(b"a", 2)]
    again[0].ack()
    assert client.pull_messages("Q", "w", batch_size=2) == []


def test_pull_waits_for_first_message(client):
    client.create_stream("W", subjects=["w.>"])
    client.create_consumer("W", "w")
    got = []
    t = threading.Thread(target=lambda: got.extend(client.pull_messages("W", "w", 5, timeout_seconds=SHOULD)))
    t.start()
    wait_for("pull waiting", lambda: client.consumer_info("W", "w")["num_waiting"] == 1)
    client.publish_to_stream("W", "w.x", b"late")
    t.join(SHOULD)
    assert [m["data"] for m in got] == [b"late"]


def test_consume_worker(client):
    client.create_stream("JOBS", subjects=["jobs.>"])
    client.create_consumer("JOBS", "workers", ack_wait_seconds=30)
    for i in range(20):
        client.publish_to_stream("JOBS", "jobs.x", str(i).encode())
    seen = []
    lock = threading.Lock()
    failed_once = set()

    def handler(msg):
        n = int(msg["data"])
        with lock:
            if n == 7 and n not in failed_once:
                failed_once.add(n)
                return False  # nak: delivered again
            seen.append((n, msg["num_delivered"]))
    c = client.consume("JOBS", "workers", handler, concurrency=4, max_messages=21, timeout_seconds=SHOULD)
    assert c.processed == 21
    assert sorted(n for n, _ in seen) == list(range(20))
    assert dict(seen)[7] == 2
    assert client.consumer_info("JOBS", "workers")["num_ack_pending"] == 0


def test_object_store(client):
    bucket = "documents"
    doc = b"Document content" * 1000
    result = client.object_put(bucket, "reports/q4.pdf", doc, metadata={"author": "ann"})
    assert result["object_id"] and result["size"] == len(doc)
    objects = client.object_list(bucket)
    assert [(o["name"], o["size"]) for o in objects] == [("reports/q4.pdf", len(doc))]
    got = client.object_get(bucket, "reports/q4.pdf")
    assert got["data"] == doc and got["metadata"] == {"author": "ann"}
    assert client.object_get(bucket, "nope") is None
    assert client.object_delete(bucket, "reports/q4.pdf") is True
    assert client.object_list(bucket) == []
    assert client.object_list("no-bucket") == []


def test_statistics(client, gateway, org):
    client.create_stream("S", subjects=["s.>"])
    client.publish_to_stream("S", "s.1", b"x")
    client.create_consumer("S", "c")
    sub, q = sink(client, "stats.x")
    client.publish("stats.x", b"y")
    recv(q)
    stats = client.get_statistics()
    assert (stats["total_streams"], stats["total_consumers"], stats["total_messages"]) == (1, 1, 1)
    assert stats["in_msgs"] >= 1 and stats["out_msgs"] >= 1
    assert stats["connections"] >= 1
    with natsgw.NATSClient(target=gateway.addr, organization_id=org) as other:
        other.health_check()
        assert other.get_statistics()["connections"] >= 2
    for s in client.list_streams():
        assert {"name", "messages", "bytes"} <= set(s)


def test_batch_publishing(client):
    sub, q = sink(client, "events.batch.*")
    messages = [
        {"subject": "events.batch.1", "data": b"Message 1"},
        {"subject": "events.batch.2", "data": b"Message 2"},
        {"subject": "events.batch.3", "data": b"Message 3", "headers": {"priority": "high"}},
    ]
    result = client.publish_batch(messages)
    assert result["published_count"] == 3
    got = [recv(q) for _ in range(3)]
    assert [m["data"] for m in got] == [b"Message 1", b"Message 2", b"Message 3"]
    assert got[2]["headers"] == {"priority": "high"}


def test_subscribe_with_callback_blocking(client):
    got = []

    def publisher():
        # The subscription is active once the gateway counts it.
        wait_for("subscription active", lambda: client.get_statistics()["subscriptions"] >= 1)
        client.publish("events.order.created", b"Order #12345 created")
        client.flush()

    t = threading.Thread(target=publisher)
    t.start()
    sub = client.subscribe("events.order.*", got.append, timeout_seconds=2)
    t.join()
    assert [m["data"] for m in got] == [b"Order #12345 created"]
    assert sub.received == 1 and not sub.active


def test_subscribe_with_wildcards_and_iteration(client):
    sub = client.subscribe("events.user.*", background=True)
    client.publish("events.user.login", b"1")
    client.publish("events.user.logout", b"2")
    client.publish("events.other.x", b"no")
    client.publish("events.user.marker", b"3")
    it = iter(sub)
    assert [next(it)["data"] for _ in range(3)] == [b"1", b"2", b"3"]
    sub.unsubscribe()
    assert list(it) == []


def test_unsubscribe(client):
    sub, q = sink(client, "unsub.x")
    marker, mq = sink(client, "unsub.marker")
    client.publish("unsub.x", b"before")
    assert recv(q)["data"] == b"before"
    sub.unsubscribe()
    assert not sub.active
    client.publish("unsub.x", b"after")
    client.publish("unsub.marker", b"m")
    recv(mq, "marker")  # published after; the unsubscribed queue must still be empty
    assert q.empty()


def test_queue_groups(client):
    q: "queue.Queue[str]" = queue.Queue()
    w1 = client.subscribe("tasks.processing", lambda m: q.put("w1"), queue_group="workers", background=True)
    w2 = client.subscribe("tasks.processing", lambda m: q.put("w2"), queue_group="workers", background=True)
    for i in range(100):
        client.publish("tasks.processing", f"Task {i}".encode())
    got = [recv(q) for _ in range(100)]
    assert set(got) <= {"w1", "w2"} and len(got) == 100
    w1.unsubscribe()
    w2.unsubscribe()
