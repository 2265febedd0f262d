"""Finding the gateway and the settings of a connection to it, shared by
both clients.

Without host or target: ``NATSGW_SERVER``, then Consul (``CONSUL_HTTP_ADDR``
or the local agent at 127.0.0.1:8500, service ``natsgw``, passing instances
only), then ``localhost:50056``. Targets may also be ``consul://[agent]/<service>``
(resolved through the agent when the connection opens, every passing
instance, round robin) and ``dns:///host:port`` (gRPC's resolver: every
address, round robin).
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from typing import List, Optional, Sequence, Tuple, Union

import grpc

DEFAULT_TARGET = "localhost:50056"
DEFAULT_SERVICE = "natsgw"
_CONSUL_TIMEOUT = 1.0

# Channel options: no receive limit (a Pull or a delivery may carry several
# max-size messages; the gateway bounds what it sends), fixed flow-control
# windows like the Go SDK, keepalive that the gateway permits (>= 5 s), and
# round robin across every resolved address.
_ROUND_ROBIN = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})
CHANNEL_OPTIONS: List[Tuple[str, Union[int, str]]] = [
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
    ("grpc.keepalive_time_ms", 30000),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.service_config", _ROUND_ROBIN),
    ("grpc.enable_retries", 0),
    # One connection per client (gRPC would otherwise share one among all
    # channels to the same target, and the gateway's connection count would
    # not count clients).
    ("grpc.use_local_subchannel_pool", 1),
]


def consul_addresses(agent: str, service: str) -> List[str]:
    """The passing instances of service at a Consul agent, as host:port."""
    if "://" not in agent:
        agent = "http://" + agent
    url = f"{agent.rstrip('/')}/v1/health/service/{urllib.parse.quote(service)}?passing=true"
    with urllib.request.urlopen(url, timeout=_CONSUL_TIMEOUT) as resp:  # noqa: S310 (an http agent URL)
        entries = json.load(resp)
    out = []
    for e in entries:
        svc, node = e.get("Service") or {}, e.get("Node") or {}
        host = svc.get("Address") or node.get("Address")
        port = svc.get("Port")
        if host and port:
            out.append(_join(host, int(port)))
    return out


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _grpc_target(addrs: Sequence[str]) -> str:
    """One gRPC target for several host:port addresses: gRPC's ipv4:/ipv6:
    schemes take a comma-separated list of literal addresses; names go
    through DNS (the first one)."""
    import ipaddress
    v4, v6 = [], []
    for a in addrs:
        host = a.rsplit(":", 1)[0].strip("[]")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return "dns:///" + addrs[0]
        (v4 if ip.version == 4 else v6).append(a)
    if v4 and not v6:
        return "ipv4:" + ",".join(v4)
    if v6 and not v4:
        return "ipv6:" + ",".join(v6)
    return addrs[0]


def resolve(host: Optional[str], port: Optional[int], target: Optional[str]) -> str:
    """The gRPC target to dial, following the discovery order above."""
    if target:
        return _resolve_scheme(target)
    if host:
        return _join(host, port or 50056) if ":" not in host or host.startswith("[") else host
    env = os.environ.get("NATSGW_SERVER")
    if env:
        return _resolve_scheme(env)
    agent = os.environ.get("CONSUL_HTTP_ADDR", "127.0.0.1:8500")
    try:
        addrs = consul_addresses(agent, DEFAULT_SERVICE)
    except Exception:  # no agent: fall through to the default
        addrs = []
    if addrs:
        return _grpc_target(addrs)
    return DEFAULT_TARGET if port is None else f"localhost:{port}"


def _resolve_scheme(target: str) -> str:
    if target.startswith("consul://"):
        u = urllib.parse.urlparse(target)
        service = u.path.strip("/") or DEFAULT_SERVICE
        agent = u.netloc or os.environ.get("CONSUL_HTTP_ADDR", "127.0.0.1:8500")
        try:
            addrs = consul_addresses(agent, service)
        except Exception as e:
            from natsgw.errors import UnavailableError
            raise UnavailableError(f"consul target {target}: agent {agent} did not answer: {e}") from e
        if not addrs:
            from natsgw.errors import UnavailableError
            raise UnavailableError(f"consul target {target}: no passing instance of service {service!r}")
        return _grpc_target(addrs)
    return target


def metadata(user_id: Optional[str], organization_id: Optional[str], token: Optional[str]) -> Tuple[Tuple[str, str], ...]:
    """Identity metadata sent with every call. Unset values come from
    NATSGW_USER, NATSGW_ORG and NATSGW_TOKEN (as the CLI reads them)."""
    user = user_id or os.environ.get("NATSGW_USER")
    org = organization_id or os.environ.get("NATSGW_ORG")
    tok = token or os.environ.get("NATSGW_TOKEN")
    md = []
    if tok:
        md.append(("authorization", "Bearer " + tok))
    if org:
        md.append(("x-natsgw-org", org))
    if user:
        md.append(("x-natsgw-user", user))
    return tuple(md)


def credentials(tls: Union[bool, str, bytes, grpc.ChannelCredentials, None]) -> Optional[grpc.ChannelCredentials]:
    """TLS credentials: None/False (plaintext, unless NATSGW_TLS=true or
    NATSGW_TLS_CA is set), True (the system's roots), a PEM CA file path or
    bytes, or ready grpc.ChannelCredentials."""
    if tls is None:
        if os.environ.get("NATSGW_TLS_CA"):
            tls = os.environ["NATSGW_TLS_CA"]
        elif os.environ.get("NATSGW_TLS") == "true":
            tls = True
    if tls is None or tls is False:
        return None
    if tls is True:
        return grpc.ssl_channel_credentials()
    if isinstance(tls, grpc.ChannelCredentials):
        return tls
    if isinstance(tls, str):
        with open(tls, "rb") as f:
            tls = f.read()
    return grpc.ssl_channel_credentials(root_certificates=tls)
