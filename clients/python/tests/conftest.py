"""Fixtures: the real natsgw binary (built once with `go build`, or
$NATSGW_BINARY) serving on a free loopback port with a scratch data
directory; every test acts in an organization of its own."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package under test, not an installed one

import natsgw  # noqa: E402

REPO = HERE.parent.parent.parent
SHOULD = 20.0  # seconds within which something that should happen happens


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when pytest dies (even by SIGKILL, as
    when the Go test's timeout kills it), so no gateway or agent outlives the
    run."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """One natsgw serve process; restart() keeps its port and data."""

    def __init__(self, binary: str, data: str, *args: str) -> None:
        self.binary, self.data, self.args = binary, data, list(args)
        # A self-signed --tls-cert is its own CA.
        self.tls = self.args[self.args.index("--tls-cert") + 1] if "--tls-cert" in self.args else None
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.proc: "subprocess.Popen[bytes] | None" = None
        self.log = open(os.path.join(data, "..", f"gateway-{self.port}.log"), "ab")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", self.addr, "--data", self.data, "--log-level", "warn",
             "--shutdown-timeout", "2s", *self.args],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"natsgw serve exited with {self.proc.returncode}; log in {self.log.name}")
            try:
                with natsgw.NATSClient(target=self.addr, tls=self.tls) as c:
                    if c.health_check()["healthy"]:
                        return
            except natsgw.NATSGWError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"natsgw serve at {self.addr} not healthy within 60 s: {last}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = os.environ.get("NATSGW_BINARY")
    if path:
        return path
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH and NATSGW_BINARY is not set: cannot build natsgw")
    out = tmp_path_factory.mktemp("bin") / "natsgw"
    subprocess.run(["go", "build", "-o", str(out), "./cmd/natsgw"], cwd=REPO, check=True)
    return str(out)


def _gateway(binary: str, tmp: Path, *args: str) -> Gateway:
    data = tmp / "data"
    data.mkdir(parents=True)
    g = Gateway(binary, str(data), *args)
    g.start()
    return g


@pytest.fixture(scope="session")
def gateway(binary: str, tmp_path_factory: pytest.TempPathFactory):
    g = _gateway(binary, tmp_path_factory.mktemp("gw"))
    yield g
    g.stop()


@pytest.fixture()
def own_gateway(binary: str, tmp_path: Path):
    """A gateway of the test's own (for tests that restart it); call it with
    extra serve flags."""
    made = []

    def make(*args: str) -> Gateway:
        g = _gateway(binary, tmp_path / f"gw{len(made)}", *args)
        made.append(g)
        return g
    yield make
    for g in made:
        g.stop()


def org_for(name: str) -> str:
    return "t-" + hashlib.sha1(name.encode()).hexdigest()[:16]


@pytest.fixture()
def org(request: pytest.FixtureRequest) -> str:
    return org_for(request.node.nodeid)


@pytest.fixture()
def client(gateway: Gateway, org: str):
    c = natsgw.NATSClient(target=gateway.addr, organization_id=org, user_id="pytest")
    with c:
        yield c


@pytest.fixture()
def env(gateway: Gateway, org: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The environment under which NATSClient() with no arguments finds the
    test's gateway and organization (as the brief's examples construct it)."""
    monkeypatch.setenv("NATSGW_SERVER", gateway.addr)
    monkeypatch.setenv("NATSGW_ORG", org)
    e = dict(os.environ)
    e["PYTHONPATH"] = str(HERE.parent) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def wait_for(what: str, f, timeout: float = SHOULD):
    """Polls f until it returns a truthy value; fails naming what and the
    last value after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = f()
        if last:
            return last
        time.sleep(0.01)
    pytest.fail(f"{what}: not within {timeout} s (last: {last!r})")


def _consul_binary() -> str:
    """Where `make consul` puts the agent (as internal/testutil finds it)."""
    if os.environ.get("NATSGW_CONSUL"):
        return os.environ["NATSGW_CONSUL"]
    import re
    version = re.search(r'ConsulVersion = "([^"]+)"', (REPO / "internal" / "testutil" / "consul.go").read_text())
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "natsgw-tools", "consul-" + (version.group(1) if version else "?"))


@pytest.fixture()
def consul(tmp_path: Path):
    """A real Consul agent (`consul agent -dev`) on free loopback ports; its
    HTTP address. Without the binary: skip locally naming `make consul`,
    fail when CI=true."""
    import json as _json
    import urllib.request
    binary = _consul_binary()
    if not os.path.exists(binary):
        msg = f"no Consul agent at {binary}: `make consul` builds it"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    http_port, serf, server = free_port(), free_port(), free_port()
    hcl = (f"disable_update_check = true\nports {{\n http = {http_port}\n serf_lan = {serf}\n server = {server}\n"
           " serf_wan = -1\n dns = -1\n grpc = -1\n grpc_tls = -1\n https = -1\n}")
    log = open(tmp_path / "consul.log", "wb")
    proc = subprocess.Popen([binary, "agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1",
                             "-node", "natsgw-pytest", "-log-level", "warn", "-hcl", hcl],
                            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    addr = f"127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"consul agent exited; log in {log.name}")
            try:
                with urllib.request.urlopen(f"http://{addr}/v1/status/leader", timeout=2) as r:
                    if len(_json.load(r)) > 0:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"consul agent elected no leader within 30 s; log in {log.name}")
            time.sleep(0.05)
        yield addr
    finally:
        proc.kill()
        proc.wait(10)
        log.close()
