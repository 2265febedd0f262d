"""The brief's examples, run as written: only the import line changed to
`from natsgw import NATSClient` (and added to the quick patterns, which
assume it). NATSClient() finds the test's gateway through NATSGW_SERVER and
acts in the test's organization through NATSGW_ORG.

Where an example blocks for an hour (subscribe(..., timeout_seconds=3600)) or
talks to the default port, the test says so and changes exactly that."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path


import natsgw
from conftest import SHOULD, wait_for

EXAMPLES = Path(__file__).resolve().parent / "examples"
RUNNER = Path(__file__).resolve().parent / "run_example.py"


def run(path: Path, env: dict, wait: float = SHOULD, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), str(path), str(wait)], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_task_queue_example(env, gateway, org):
    """The brief's TaskQueue (Celery replacement) as written: a producer
    enqueues two tasks, a worker thread pulls, executes and acks them, and
    its last pull (empty) returns at once so the loop ends."""
    p = run(EXAMPLES / "task_queue.py", env)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "Task send_email enqueued - sequence: 1" in out
    assert "Task process_image enqueued - sequence: 2" in out
    assert "Sending email to user@example.com" in out
    assert "Processing image img_123" in out
    assert p.stderr == ""
    with natsgw.NATSClient(target=gateway.addr, organization_id=org) as c:
        info = c.consumer_info("TASKS", "worker-1")
        assert info["num_ack_pending"] == 0 and info["ack_floor_sequence"] == 2


def test_notification_service_example_as_written(env, gateway, org, tmp_path):
    """As written, the brief's NotificationService.start calls
    `client.subscribe` where no `client` exists (a bug of the brief: it
    means self.nats), so its thread dies with NameError. The rest runs:
    publish_event enters the same client again while the other thread is
    inside it, and the event is published."""
    with natsgw.NATSClient(target=gateway.addr, organization_id=org) as watcher:
        sub = watcher.subscribe("events.notification.>", background=True)
        p = run(EXAMPLES / "notification_service.py", env)
        assert p.returncode == 0, p.stderr
        m = sub.next_msg(SHOULD)
        assert m is not None and m["subject"] == "events.notification.email"
        assert m["data"] == b'{"to": "user@example.com", "subject": "Welcome!"}'
    assert "NameError: name 'client' is not defined" in p.stderr


def test_notification_service_example_fixed(env, gateway, org, tmp_path):
    """The same with the brief's bug fixed (client -> self.nats): the
    service receives user events through a wildcard and handles them."""
    src = (EXAMPLES / "notification_service.py").read_text()
    assert src.count("client.subscribe(") == 1
    fixed = tmp_path / "notification_service_fixed.py"
    fixed.write_text(src.replace("client.subscribe(", "self.nats.subscribe(")
                     .replace("service.publish_event('email'",
                              "import natsgw_wait; natsgw_wait.until_subscribed()\n"
                              "service.publish_event('email'"))
    (tmp_path / "natsgw_wait.py").write_text(
        "import json, time\nfrom natsgw import NATSClient\n"
        "def until_subscribed():\n"
        "    with NATSClient() as c:\n"
        "        deadline = time.monotonic() + 20\n"
        "        while c.get_statistics()['subscriptions'] < 1 and time.monotonic() < deadline:\n"
        "            time.sleep(0.01)\n"
        "        c.publish('events.user.login', json.dumps({'user_id': 'usr_123', 'action': 'login'}).encode())\n"
        "        c.publish('events.user.purchase', json.dumps({'user_id': 'usr_9', 'action': 'purchase'}).encode())\n")
    env = dict(env, PYTHONPATH=str(tmp_path) + ":" + env["PYTHONPATH"])
    p = subprocess.Popen([sys.executable, str(RUNNER), str(fixed), "0"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # The service runs for an hour (timeout_seconds=3600): read until both
    # notifications are printed, then end it.
    lines = []

    def read() -> None:
        assert p.stdout is not None
        for line in p.stdout:
            lines.append(line)
    t = threading.Thread(target=read, daemon=True)
    t.start()
    try:
        wait_for("both notifications", lambda: any("usr_9 made purchase" in x for x in lines))
    finally:
        p.kill()
        p.wait()
    assert "User usr_123 logged in - sending welcome notification\n" in lines
    assert "User usr_9 made purchase - sending receipt\n" in lines


# The quick patterns, in the brief's order, in one organization (the consumer
# pattern uses the TASKS stream that the first pattern creates).
QUICK = [
    ("brief_00_simple_usage.py", {"host='localhost', port=50056, ": "", "timeout_seconds=60": "timeout_seconds=1"},
     ""),
    ("brief_03_pubsub.py", {"timeout_seconds=3600": "timeout_seconds=1"}, ""),
    ("brief_05_batch.py", {}, "Published 3 messages"),
    ("brief_06_request_reply.py", {"timeout_seconds=3600": "timeout_seconds=1"}, ""),
    ("brief_07_kv.py", {}, "Value: localhost"),
    ("brief_08_jetstream.py", {}, "Sequence: 1"),
    ("brief_09_consumer_pull.py", {}, ""),
    ("brief_10_object_store.py", {}, "Retrieved 16000 bytes"),
    ("brief_12_large_messages.py", {}, ""),
    ("brief_13_statistics.py", {}, "Total Streams: 1"),
    ("brief_14_health.py", {}, "JetStream enabled: True"),
    ("brief_16_comparison.py", {}, ""),
]


def test_quick_patterns(env, tmp_path):
    for name, subs, expect in QUICK:
        src = (EXAMPLES / name).read_text()
        for old, new in subs.items():
            assert old in src, (name, old)
            src = src.replace(old, new)
        path = tmp_path / name
        path.write_text(src)
        p = run(path, env)
        assert p.returncode == 0, f"{name}:\n{p.stderr}"
        assert expect in p.stdout, f"{name}: {expect!r} not in\n{p.stdout}"
        assert "Traceback" not in p.stderr, f"{name}:\n{p.stderr}"


def test_fragment_patterns_name_undefined_callbacks():
    """Two patterns are fragments: they use a callback they never define
    (`callback`, `handle_task`); test_brief covers the same calls."""
    assert "callback," in (EXAMPLES / "brief_04_wildcards.py").read_text()
    assert "def handle_task" not in (EXAMPLES / "brief_11_queue_groups.py").read_text()


def test_task_queue_service_example(env, gateway, org):
    """The brief's TaskQueue rewritten on the task service (README "Task
    queues" shows this file): the brief's two tasks are enqueued, a worker
    thread runs them (the high-priority email first), and both results come
    back."""
    path = EXAMPLES / "task_queue_service.py"
    readme = (EXAMPLES.parent.parent / "README.md").read_text()
    assert path.read_text().strip() in readme, "README's Task queues example differs from " + path.name
    p = run(path, env)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[0].startswith("Task send_email enqueued - id: ")
    assert lines[1].startswith("Task process_image enqueued - id: ")
    want = ["Sending email to user@example.com", "Processing image img_123",
            "send_email: SUCCEEDED sent to user@example.com",
            'process_image: SUCCEEDED {"image_id": "img_123", "done": ["resize"]}']
    assert lines[2:6] == want, p.stdout  # high priority first (one task at a time)
    with natsgw.NATSClient(target=gateway.addr, organization_id=org) as c:
        s = c.task_queue_stats("tasks")
        assert (s["succeeded"], s["queued"], s["running"], s["dead"]) == (2, 0, 0, 0), s
