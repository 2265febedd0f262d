"""Python client benchmarks against a running gateway; each mode prints one
JSON line of results. Run by bench/python_test.go (TestPythonBench), which
runs the Go SDK and direct nats.go beside it on the same gateway.

    python3 bench.py publish --target 127.0.0.1:50056 --org bench -n 200000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from natsgw import NATSClient  # noqa: E402


def publish(c: NATSClient, a) -> dict:
    data = b"x" * a.size
    subject = a.subject
    start = time.perf_counter()
    pub = c.publish
    for _ in range(a.n):
        pub(subject, data)
    c.flush()
    secs = time.perf_counter() - start
    return {"msgs": a.n, "seconds": secs, "msgs_per_s": a.n / secs}


def subscribe(c: NATSClient, a) -> dict:
    state = {"n": 0, "first": 0.0, "last": 0.0, "reported": 0}
    done = threading.Event()

    def cb(msg) -> None:
        now = time.perf_counter()
        if state["n"] == 0:
            state["first"] = now
        state["n"] += 1
        state["last"] = now
        n = state["n"]
        if a.go and (n % 256 == 0 or n >= a.n):  # progress for the Go harness's counter
            sys.stdout.write(f"C {n - state['reported']}\n")
            sys.stdout.flush()
            state["reported"] = n
        if n + sub.dropped >= a.n:
            done.set()
    sub = c.subscribe(a.subject, cb, background=True, buffer_size=65536)
    print("SUBSCRIBED", flush=True)
    done.wait(a.timeout)
    sub.unsubscribe()
    n = state["n"]
    secs = (state["last"] - state["first"]) or 1e-9
    return {"msgs": n, "dropped": sub.dropped, "seconds": secs, "msgs_per_s": (n - 1) / secs if n > 1 else 0}


def serve(c: NATSClient, a) -> dict:
    sub = c.serve(a.subject, lambda m: m["data"])
    print("SERVING", flush=True)
    sys.stdin.readline()  # until the parent closes stdin
    sub.unsubscribe()
    return {"served": sub.received}


def request(c: NATSClient, a) -> dict:
    data = b"x" * a.size
    deadline = time.monotonic() + 20
    while c.request(a.subject, data, timeout_seconds=1) is None:  # until the responder is there
        assert time.monotonic() < deadline, "no responder"
    for _ in range(100):  # warm up
        c.request(a.subject, data, timeout_seconds=5, raise_on_error=True)
    lat = []
    for _ in range(a.n):
        t0 = time.perf_counter()
        c.request(a.subject, data, timeout_seconds=5, raise_on_error=True)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"requests": a.n, "p50_us": lat[len(lat) // 2] * 1e6, "p99_us": lat[int(len(lat) * 0.99)] * 1e6}


def pull_ack(c: NATSClient, a) -> dict:
    start = time.perf_counter()
    n = 0
    while n < a.n:
        msgs = c.pull_messages(a.stream, a.consumer, batch_size=a.batch, timeout_seconds=5)
        if not msgs:
            break
        for m in msgs:
            c.ack_message(a.stream, a.consumer, m["sequence"])
        n += len(msgs)
    secs = time.perf_counter() - start
    return {"msgs": n, "seconds": secs, "msgs_per_s": n / secs}


def consume_ack(c: NATSClient, a) -> dict:
    start = time.perf_counter()
    w = c.consume(a.stream, a.consumer, lambda m: None, concurrency=a.concurrency, max_in_flight=a.batch,
                  max_messages=a.n, timeout_seconds=a.timeout)
    secs = time.perf_counter() - start
    return {"msgs": w.processed, "seconds": secs, "msgs_per_s": w.processed / secs}


MODES = {"publish": publish, "subscribe": subscribe, "serve": serve, "request": request,
         "pull_ack": pull_ack, "consume_ack": consume_ack}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=sorted(MODES))
    p.add_argument("--target", required=True)
    p.add_argument("--org", default="bench")
    p.add_argument("--subject", default="bench.py")
    p.add_argument("-n", type=int, default=100000)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--stream", default="BENCH")
    p.add_argument("--consumer", default="py")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--profile", help="write cProfile stats of the mode to this file")
    p.add_argument("--go", action="store_true",
                   help="print READY once connected, then read 'GO <subject|stream> <n> [consumer]' from stdin")
    a = p.parse_args()
    with NATSClient(target=a.target, organization_id=a.org) as c:
        c.health_check()
        if a.mode == "publish":  # open the publish stream before timing
            c.publish("bench.warmup", b"x" * a.size)
            c.flush()
        if a.go:
            print("READY", flush=True)
            words = sys.stdin.readline().split()
            a.subject = a.stream = words[1]
            a.n = int(words[2])
            if len(words) > 3:
                a.consumer = words[3]
        if a.profile:
            import cProfile
            prof = cProfile.Profile()
            res = prof.runcall(MODES[a.mode], c, a)
            prof.dump_stats(a.profile)
        else:
            res = MODES[a.mode](c, a)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
