"""The Redis-style key-value operations (kv_mget, kv_mput, kv_incr,
kv_expire, kv_keys_page, TTL on put, consistent reads) and the client's
read-your-writes tracking, on both clients, against the real gateway."""

from __future__ import annotations

import asyncio

import pytest

import natsgw
from natsgw.aio import AsyncNATSClient
from conftest import SHOULD, free_port, org_for, wait_for


def test_put_get_ttl_consistent(client):
    rev = client.kv_put("r", "a", b"1")
    e = client.kv_get("r", "a")
    assert (e["value"], e["revision"]) == (b"1", rev)
    assert client.kv_get("r", "a", consistent=True)["revision"] == rev
    assert client.kv_get("r", "missing", consistent=True) is None
    client.kv_put("r", "short", b"x", ttl_seconds=1)
    assert client.kv_get("r", "short")["value"] == b"x"
    wait_for("the key with a 1 s TTL expires", lambda: client.kv_get("r", "short", consistent=True) is None)


def test_mget_mput(client):
    res = client.kv_mput("m", {"a": b"1", "b": "2", "c.d": b"3"})
    assert [r["key"] for r in res] == ["a", "b", "c.d"]
    assert all(r["error"] is None and r["revision"] > 0 for r in res)
    assert len({r["revision"] for r in res}) == 3
    got = client.kv_mget("m", ["c.d", "missing", "a", "b"])
    assert [None if e is None else e["value"] for e in got] == [b"3", None, b"1", b"2"]
    assert got[0]["revision"] == res[2]["revision"]
    got = client.kv_mget("m", ["a"], consistent=True)
    assert got[0]["value"] == b"1"
    res = client.kv_mput("m", [("t", b"v")], ttl_seconds=1)
    assert res[0]["error"] is None
    wait_for("kv_mput's 1 s TTL expires", lambda: client.kv_mget("m", ["t"], consistent=True) == [None])
    with pytest.raises(natsgw.NotFoundError):
        client.kv_mget("no-such-bucket", ["a"])


def test_incr_and_counter_buckets(client):
    assert client.kv_incr("hits", "page") == 1
    assert client.kv_incr("hits", "page", 41) == 42
    assert client.kv_incr("hits", "page", -2) == 40
    assert client.kv_incr("hits", "page", 0) == 40
    assert client.kv_incr("hits", "other", 0) == 0
    assert client.kv_list_buckets()[0]["counter"] is True
    with pytest.raises(natsgw.FailedPreconditionError):
        client.kv_put("hits", "page", b"x")
    client.kv_put("plain", "k", b"v")
    with pytest.raises(natsgw.FailedPreconditionError):
        client.kv_incr("plain", "k")
    client.kv_create_bucket("c2", counter=True)
    assert client.kv_incr("c2", "x", 5) == 5


def test_expire(client):
    client.kv_put("e", "k", b"v")
    rev = client.kv_expire("e", "k", 1)
    e = client.kv_get("e", "k")
    assert (e["value"], e["revision"]) == (b"v", rev)
    wait_for("kv_expire's 1 s TTL expires", lambda: client.kv_get("e", "k", consistent=True) is None)
    client.kv_put("e", "p", b"v", ttl_seconds=1)
    rev = client.kv_expire("e", "p", 0)  # PERSIST: the TTL goes
    assert client.kv_get("e", "p")["revision"] == rev
    # A later key with a 1 s TTL expiring proves a second passed.
    client.kv_put("e", "marker", b"m", ttl_seconds=1)
    wait_for("the marker expires", lambda: client.kv_get("e", "marker", consistent=True) is None)
    assert client.kv_get("e", "p", consistent=True)["value"] == b"v"
    with pytest.raises(natsgw.NotFoundError):
        client.kv_expire("e", "missing", 5)


def test_keys_and_pages(client):
    names = [f"k{i:02d}" for i in range(25)] + ["x.a", "x.b"]
    client.kv_mput("p", {n: b"v" for n in names})
    assert sorted(client.kv_keys("p")) == sorted(names)
    got, token, pages = [], None, 0
    while True:
        page = client.kv_keys_page("p", limit=10, page_token=token)
        assert len(page["keys"]) <= 10
        got += page["keys"]
        pages += 1
        token = page["next_page_token"]
        if not token:
            break
    assert got == sorted(names) and pages == 3
    assert client.kv_keys_page("p", match="x.*") == {"keys": ["x.a", "x.b"], "next_page_token": ""}
    with pytest.raises(natsgw.NotFoundError):
        client.kv_keys_page("no-such-bucket")


def test_invalid_arguments_name_the_field(client):
    client.kv_put("v", "a", b"1")
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_mget("v", ["a", "bad key"])
    assert ei.value.field.startswith("keys"), ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_put("v", "a", b"1", ttl_seconds=1.5)
    assert ei.value.field == "ttl", ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_mput("v", {"ok": b"1", "bad key": b"2"})
    assert "items" in ei.value.field or "key" in ei.value.field, ei.value
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_keys_page("v", limit=0)
    assert ei.value.field == "limit"
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_expire("v", "a", -1)
    assert ei.value.field == "ttl_seconds"
    with pytest.raises(natsgw.InvalidArgumentError) as ei:
        client.kv_mget("v", "a")
    assert ei.value.field == "keys"


def test_cross_org(gateway, org):
    a = natsgw.NATSClient(target=gateway.addr, organization_id=org, user_id="a")
    b = natsgw.NATSClient(target=gateway.addr, organization_id=org_for(org + "-other"), user_id="b")
    with a, b:
        a.kv_mput("shared", {"k": b"secret", "j": b"secret"})
        assert a.kv_incr("cnt", "n", 7) == 7
        # b's "shared" is another bucket: it does not exist.
        with pytest.raises(natsgw.NotFoundError):
            b.kv_mget("shared", ["k", "j"])
        assert b.kv_get("shared", "k") is None
        with pytest.raises(natsgw.NotFoundError):
            b.kv_keys_page("shared")
        with pytest.raises(natsgw.NotFoundError):
            b.kv_expire("shared", "k", 5)
        assert b.kv_incr("cnt", "n") == 1  # b's own counter bucket
        b.kv_mput("shared", {"k": b"mine"})
        assert b.kv_mget("shared", ["k", "j"])[0]["value"] == b"mine"
        assert b.kv_mget("shared", ["k", "j"])[1] is None
        assert b.kv_keys_page("shared")["keys"] == ["k"]
        assert a.kv_mget("shared", ["k"])[0]["value"] == b"secret"
        assert a.kv_incr("cnt", "n", 0) == 7


def test_revisions_tracked(client):
    """Every write and read raises the bucket's min_revision; deleting the
    bucket resets it."""
    seen = client._kv_seen
    r1 = client.kv_put("t", "a", b"1")
    assert seen.min("t") == r1
    res = client.kv_mput("t", {"b": b"2", "c": b"3"})
    assert seen.min("t") == max(r["revision"] for r in res)
    client.kv_delete("t", "b")
    after_delete = seen.min("t")
    assert after_delete > res[1]["revision"]
    client.kv_purge("t", "c")
    assert seen.min("t") > after_delete
    client.kv_delete_bucket("t")
    assert seen.min("t") == 0
    assert client.kv_incr("tc", "n") == 1
    assert seen.min("tc") == 1


def test_read_your_writes_across_gateways(binary, own_gateway, org):
    """Writes through one gateway instance are read at once through another
    over the same NATS (whose read cache follows the bucket by a watch): the
    client sends the highest revision it has seen as min_revision."""
    nats_port, token = free_port(), "pytest-operator-token-0123456789"
    first = own_gateway("--nats-listen", f"127.0.0.1:{nats_port}", "--nats-token", token)
    second = own_gateway("--nats-url", f"nats://{token}@127.0.0.1:{nats_port}")
    w = natsgw.NATSClient(target=first.addr, organization_id=org, user_id="w")
    r = natsgw.NATSClient(target=second.addr, organization_id=org, user_id="r")
    with w, r:
        r._kv_seen = w._kv_seen  # one client's revisions, two gateway connections
        w.kv_put("ryw", "k", b"0")
        assert r.kv_get("ryw", "k")["value"] == b"0"  # the second instance's cache starts following
        for i in range(1, 301):
            w.kv_put("ryw", "k", str(i))
            assert r.kv_get("ryw", "k")["value"] == str(i).encode(), f"write {i}"
            assert r.kv_mget("ryw", ["k"])[0]["value"] == str(i).encode(), f"write {i}"


def test_aio_redis_ops(gateway, org):
    async def main():
        async with AsyncNATSClient(target=gateway.addr, organization_id=org, user_id="aio") as c:
            rev = await c.kv_put("a", "k", b"v", ttl_seconds=None)
            assert (await c.kv_get("a", "k", consistent=True))["revision"] == rev
            res = await c.kv_mput("a", [("x", b"1"), ("y", b"2")])
            assert [r["error"] for r in res] == [None, None]
            got = await c.kv_mget("a", ["y", "nope", "x"])
            assert [None if e is None else e["value"] for e in got] == [b"2", None, b"1"]
            assert await c.kv_incr("ac", "n", 3) == 3
            assert await c.kv_incr("ac", "n") == 4
            rev = await c.kv_expire("a", "k", 0)
            assert c._kv_seen.min("a") == rev
            page = await c.kv_keys_page("a", limit=2)
            assert page["keys"] == ["k", "x"] and page["next_page_token"]
            page = await c.kv_keys_page("a", limit=2, page_token=page["next_page_token"])
            assert page == {"keys": ["y"], "next_page_token": ""}
            with pytest.raises(natsgw.InvalidArgumentError) as ei:
                await c.kv_mget("a", ["bad key"])
            assert ei.value.field.startswith("keys")
            await c.kv_delete_bucket("a")
            assert c._kv_seen.min("a") == 0
    asyncio.run(asyncio.wait_for(main(), 120))
