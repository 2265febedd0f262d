"""Errors, tenancy, sizes, pipelining and reconnection."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
import queue
import threading
import tracemalloc

import pytest

import natsgw
from conftest import SHOULD, org_for, wait_for


def test_invalid_argument_names_the_field(client):
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_get("cfg", "a..b")
    assert ei.value.field == "key" and ei.value.code == "INVALID_ARGUMENT"
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, natsgw.NATSGWError)
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.publish_batch([{"subject": "ok"}, {"subject": "bad subject"}])
    assert ei.value.field.startswith("messages[1]")
    with pytest.raises(natsgw.InvalidArgumentError):
        client.create_stream("S", subjects=["s.>"], storage="tape")


def test_not_found_and_permission_denied(client, gateway):
    with pytest.raises(natsgw.NotFoundError):
        client.delete_consumer("NOPE", "c")
    client.create_stream("S", subjects=["s.>"])
    client.create_consumer("S", "c")
    client.publish_to_stream("S", "s.x", b"x")
    (m,) = client.pull_messages("S", "c")
    # Another organization cannot act on this organization's ack token.
    with natsgw.NATSClient(target=gateway.addr, organization_id=org_for("intruder")) as other:
        with pytest.raises(natsgw.PermissionDeniedError):
            other._settle(m, "ack")
    m.ack()


def test_pipelined_publish_error_surfaces(client):
    client.publish("ok.subject", b"1")
    client.publish("bad..subject", b"2")  # queued; the gateway refuses it
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.flush()
    assert "subject" in ei.value.field
    client.publish("ok.subject", b"3")  # a new stream
    client.flush()


def test_pipelined_publish_error_at_next_call(client):
    client.publish("bad subject", b"")
    with pytest.raises(natsgw.InvalidArgumentError):
        wait_for("error surfaces", lambda: client.publish("ok", b"") and False, timeout=SHOULD)


def test_rate_limited_has_retry_delay(own_gateway):
    gw = own_gateway("--org-rate", "1", "--org-burst", "1")
    with natsgw.NATSClient(target=gw.addr, organization_id="limited") as c:
        with pytest.raises(natsgw.RateLimitedError) as ei:
            for _ in range(10):
                c.kv_put("b", "k", b"v")
        assert ei.value.retry_delay is not None and 0 < ei.value.retry_delay <= 2
        assert isinstance(ei.value, natsgw.ResourceExhaustedError)


def test_two_organizations_do_not_see_each_other(gateway):
    acme = natsgw.NATSClient(target=gateway.addr, organization_id=org_for("iso-acme"))
    bob = natsgw.NATSClient(target=gateway.addr, organization_id=org_for("iso-bob"))
    with acme, bob:
        bob_all = bob.subscribe(">", background=True)
        acme_all = acme.subscribe(">", background=True)
        acme.publish("events.x", b"acme")
        acme.kv_put("cfg", "k", b"acme")
        acme.create_stream("S", subjects=["s.>"])
        acme.object_put("docs", "a", b"acme")
        acme.flush()
        assert acme_all.next_msg(SHOULD)["data"] == b"acme"
        # Bob's marker goes through the gateway's one NATS connection after
        # acme's publish: had acme's message leaked, it would come first.
        bob.publish("marker", b"bob")
        m = bob_all.next_msg(SHOULD)
        assert (m["subject"], m["data"]) == ("marker", b"bob")
        assert bob.kv_get("cfg", "k") is None and bob.kv_keys("cfg") == []
        assert bob.list_streams() == [] and bob.object_list("docs") == []
        assert bob.get_statistics()["total_streams"] == 0
        assert acme.get_statistics()["total_streams"] == 1
        assert bob.request("events.x", b"", timeout_seconds=0.5) is None


def test_message_over_4_mib_both_ways(client):
    big = os.urandom(5 * 1024 * 1024)
    sub = client.subscribe("big.x", background=True)
    client.publish("big.x", big)
    assert sub.next_msg(SHOULD)["data"] == big
    responder = client.serve("big.echo", lambda m: m["data"])
    assert client.request("big.echo", big, timeout_seconds=SHOULD)["data"] == big
    responder.unsubscribe()
    client.create_stream("BIG", subjects=["bigs.>"])
    client.create_consumer("BIG", "c")
    for _ in range(3):
        client.publish_to_stream("BIG", "bigs.x", big[: 2 * 1024 * 1024 + 1])
    msgs = client.pull_messages("BIG", "c", batch_size=3, timeout_seconds=SHOULD)
    assert len(msgs) == 3 and all(len(m["data"]) == 2 * 1024 * 1024 + 1 for m in msgs)
    client.kv_put("big", "k", big)
    assert client.kv_get("big", "k")["value"] == big


class Pattern(io.RawIOBase):
    """A readable file of size bytes generated on the fly (never in memory)."""

    def __init__(self, size: int) -> None:
        self.left, self.n = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        k = min(len(b), self.left)
        block = (b"%016d" % (self.n // 16)) * (k // 16 + 1)
        b[:k] = block[:k]
        self.left -= k
        self.n += k
        return k


class Digest(io.RawIOBase):
    def __init__(self) -> None:
        self.h, self.size = hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.h.update(b)
        self.size += len(b)
        return len(b)


def test_200_mib_object_streamed_in_bounded_memory(client):
    size = 200 * 1024 * 1024
    want = hashlib.sha256()
    src = Pattern(size)
    while True:
        chunk = src.read(1 << 20)
        if not chunk:
            break
        want.update(chunk)
    tracemalloc.start()
    try:
        info = client.object_put("large", "blob.bin", Pattern(size), metadata={"kind": "test"})
        put_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        sink = Digest()
        got = client.object_get("large", "blob.bin", into=sink)
        get_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info["size"] == size and info["sha256"] == want.hexdigest()
    assert sink.size == size and sink.h.hexdigest() == want.hexdigest()
    assert got["data"] == b"" and got["size"] == size
    assert put_peak < 32 << 20, f"put peak {put_peak}"
    assert get_peak < 32 << 20, f"get peak {get_peak}"
    client.object_delete("large", "blob.bin")


def test_reconnection_after_gateway_restart(own_gateway):
    gw = own_gateway()
    with natsgw.NATSClient(target=gw.addr, organization_id="reconnect") as c:
        msgs: "queue.Queue[dict]" = queue.Queue()
        sub = c.subscribe("events.>", msgs.put, background=True)
        responder = c.serve("api.echo", lambda m: m["data"])
        c.kv_put("cfg", "k", b"1")
        changes: "queue.Queue[dict]" = queue.Queue()
        watch = c.kv_watch("cfg", callback=changes.put)
        assert changes.get(timeout=SHOULD)["value"] == b"1"
        c.create_stream("JOBS", subjects=["jobs.>"])
        c.create_consumer("JOBS", "w", ack_wait_seconds=30)
        done: "queue.Queue[bytes]" = queue.Queue()
        worker = c.consume("JOBS", "w", lambda m: done.put(m["data"]), background=True)
        c.publish("events.x", b"before")
        c.flush()  # the publish stream is open, idle and fully confirmed
        assert msgs.get(timeout=SHOULD)["data"] == b"before"

        gw.restart()

        # Everything re-establishes itself on the new gateway process.
        wait_for("subscription back", lambda: sub.active)
        wait_for("responder back", lambda: responder.active)
        wait_for("consumer back", lambda: worker.active)
        assert sub.reconnects >= 1 and responder.reconnects >= 1 and worker.reconnects >= 1
        # The broken publish stream lost nothing, so publishing just works.
        c.publish("events.x", b"after")
        c.flush()
        assert msgs.get(timeout=SHOULD)["data"] == b"after"
        assert c.request("api.echo", b"ping", timeout_seconds=5)["data"] == b"ping"
        c.kv_put("cfg", "k", b"2")
        assert changes.get(timeout=SHOULD)["value"] == b"2"  # resumed after revision 1, no repeat
        assert changes.empty()
        c.publish_to_stream("JOBS", "jobs.x", b"job")
        assert done.get(timeout=SHOULD) == b"job"
        worker.stop()
        watch.stop()
        sub.unsubscribe()
        responder.unsubscribe()


def test_context_manager_reentrant_and_reusable(gateway, org):
    c = natsgw.NATSClient(target=gateway.addr, organization_id=org)
    entered = threading.Event()
    release = threading.Event()

    def other_thread() -> None:
        with c:
            entered.set()
            release.wait(SHOULD)
            c.kv_put("b", "k", b"from thread")

    t = threading.Thread(target=other_thread)
    t.start()
    assert entered.wait(SHOULD)
    with c:
        c.kv_put("b", "k", b"main")
    release.set()  # the other thread is still inside: the client stays open
    t.join(SHOULD)
    with c:  # reusable after the last exit closed it
        assert c.kv_get("b", "k")["value"] == b"from thread"
    with c:
        with c:
            c.publish("x", b"")
        c.flush()


def test_discovery_environment(gateway, org, monkeypatch):
    monkeypatch.setenv("NATSGW_SERVER", gateway.addr)
    monkeypatch.setenv("NATSGW_ORG", org)
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "127.0.0.1:1")  # never asked: the env var comes first
    with natsgw.NATSClient(user_id="svc") as c:
        assert c.target == gateway.addr
        assert c.health_check()["healthy"]
    monkeypatch.setenv("NATSGW_SERVER", "dns:///" + gateway.addr)
    with natsgw.NATSClient() as c:
        assert c.health_check()["healthy"]
    monkeypatch.delenv("NATSGW_SERVER")
    c = natsgw.NATSClient(port=1)  # no NATSGW_SERVER, no Consul agent: localhost
    with c:
        assert c.target == "localhost:1"
        with pytest.raises(natsgw.UnavailableError):
            c.health_check()


def test_discovery_consul(consul, own_gateway, monkeypatch):
    """A real Consul agent: a gateway registers itself (--consul-addr) and a
    NATSClient with no address finds it through CONSUL_HTTP_ADDR; an
    instance whose check is not passing is never chosen."""
    import json as _json
    import urllib.request
    gw = own_gateway("--consul-addr", consul, "--consul-service", "natsgw")
    # A second instance, registered by hand, whose TTL check stays critical.
    req = urllib.request.Request(
        f"http://{consul}/v1/agent/service/register", method="PUT",
        data=_json.dumps({"ID": "natsgw-dead", "Name": "natsgw", "Address": "127.0.0.1", "Port": 1,
                          "Check": {"TTL": "1h", "Status": "critical"}}).encode())
    urllib.request.urlopen(req, timeout=5).close()

    def passing():
        with urllib.request.urlopen(f"http://{consul}/v1/health/service/natsgw?passing=true", timeout=5) as r:
            return [e["Service"]["Port"] for e in _json.load(r)]
    wait_for("the gateway's check passes", lambda: passing() == [gw.port])
    monkeypatch.delenv("NATSGW_SERVER", raising=False)
    monkeypatch.setenv("CONSUL_HTTP_ADDR", consul)
    with natsgw.NATSClient(organization_id="consul") as c:
        assert c.target == f"ipv4:127.0.0.1:{gw.port}"
        assert c.health_check()["healthy"]
    with natsgw.NATSClient(target=f"consul://{consul}/natsgw", organization_id="consul") as c:
        assert c.health_check()["healthy"]
    with pytest.raises(natsgw.UnavailableError, match="no passing instance"):
        natsgw.NATSClient(target=f"consul://{consul}/nothing-here").health_check()


def test_subscribe_refused_raises(client):
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.subscribe("bad subject", lambda m: None, background=True)
    assert ei.value.field == "subject"
    with pytest.raises(natsgw.InvalidArgumentError):
        client.subscribe("bad subject", lambda m: None, timeout_seconds=5)


def test_slow_subscriber_counts_dropped(client):
    """A callback that does not keep up: the gateway drops beyond the
    subscription's buffer and says how many; nothing grows without bound."""
    release = threading.Event()
    got = []

    def slow(msg):
        release.wait(SHOULD)
        got.append(msg["subject"])
    sub = client.subscribe("flood.>", slow, background=True, buffer_size=16)
    big = b"x" * (256 * 1024)
    for _ in range(200):
        client.publish("flood.x", big)
    client.flush()
    release.set()
    wait_for("every message delivered or counted as dropped", lambda: len(got) + sub.dropped >= 200)
    client.publish("flood.marker", b"")
    wait_for("marker", lambda: got and got[-1] == "flood.marker")
    assert sub.dropped > 0 and len(got) - 1 + sub.dropped == 200
    sub.unsubscribe()


def test_tls(own_gateway, tmp_path):
    """A gateway serving TLS: the client verifies it with a CA file (the
    certificate is made by Go's crypto/tls/generate_cert.go)."""
    import subprocess
    goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["go", "run", os.path.join(goroot, "src", "crypto", "tls", "generate_cert.go"),
                    "--host", "127.0.0.1", "--ca"], cwd=tmp_path, check=True, capture_output=True)
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    gw = own_gateway("--tls-cert", cert, "--tls-key", key, "--log-level", "error")
    with natsgw.NATSClient(target=gw.addr, tls=cert, organization_id="tls") as c:
        assert c.health_check()["healthy"]
        c.kv_put("b", "k", b"over tls")
        assert c.kv_get("b", "k")["value"] == b"over tls"
    with natsgw.NATSClient(target=gw.addr, organization_id="tls") as plain:  # plaintext to a TLS port
        with pytest.raises(natsgw.UnavailableError):
            plain.health_check()


def test_publishes_flushed_at_exit(client, gateway, org, tmp_path):
    """A script that publishes without `with` or flush() and exits loses
    nothing: the client flushes at interpreter exit."""
    import subprocess
    import sys
    got = []
    sub = client.subscribe("exit.x", got.append, background=True, buffer_size=65536)  # never drops here
    script = tmp_path / "publish_and_exit.py"
    script.write_text(
        "import sys\nfrom natsgw import NATSClient\n"
        f"c = NATSClient(target={gateway.addr!r}, organization_id={org!r})\n"
        "for i in range(20000):\n    c.publish('exit.x', b'%d' % i)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    p = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    wait_for("all 20000 messages", lambda: len(got) + sub.dropped >= 20000)
    assert sub.dropped == 0
    assert got[-1]["data"] == b"19999"
    sub.unsubscribe()


def test_calls_do_not_overtake_publishes(client, gateway, org):
    """As on one NATS connection, a client's later calls happen after its
    earlier publishes, although publishes are pipelined on a stream of their
    own: a subscription opened after publishing does not receive what was
    published before it, and a request sent after publishing reaches a
    responder that has already seen those messages."""
    import queue as q_
    seen = []

    def on_message(m):
        # One subscription, so deliveries keep NATS's order: the count
        # request comes after every event published before it.
        if m["subject"] == "order.count":
            return str(len(seen)).encode()
        seen.append(m["data"])
        return None

    watcher = natsgw.NATSClient(target=gateway.addr, organization_id=org)
    with watcher:
        got = q_.Queue()
        watcher.subscribe("order.>", on_message, background=True)
        for i in range(200):
            client.publish("order.events.x", str(i).encode())
        reply = client.request("order.count", b"", timeout_seconds=SHOULD, raise_on_error=True)
        assert reply["data"] == b"200"
        for i in range(50):
            client.publish("order.late.x", str(i).encode())
        sub = client.subscribe("order.late.>", got.put, background=True)
        client.publish("order.late.marker", b"marker")
        first = got.get(timeout=SHOULD)
        assert first["data"] == b"marker", f"a message published before subscribe arrived: {first['data']!r}"
        sub.unsubscribe()


def test_publish_batch_bad_entry_names_it(client):
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.publish_batch([{"subject": "ok", "data": b"1"}, {"data": b"no subject"}])
    assert ei.value.field == "messages[1]"
