from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
NATS_MODE_EMBEDDED: NatsMode
NATS_MODE_EXTERNAL: NatsMode
NATS_MODE_UNSPECIFIED: NatsMode

class GetStatisticsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetStatisticsResponse(_message.Message):
    __slots__ = ["bytes", "connections", "consumers", "in_bytes", "in_msgs", "kv_buckets", "kv_bytes", "messages", "object_buckets", "object_bytes", "out_bytes", "out_msgs", "since", "streams", "subscriptions"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    IN_BYTES_FIELD_NUMBER: _ClassVar[int]
    IN_MSGS_FIELD_NUMBER: _ClassVar[int]
    KV_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    KV_BYTES_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    OBJECT_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_BYTES_FIELD_NUMBER: _ClassVar[int]
    OUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    OUT_MSGS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    connections: int
    consumers: int
    in_bytes: int
    in_msgs: int
    kv_buckets: int
    kv_bytes: int
    messages: int
    object_buckets: int
    object_bytes: int
    out_bytes: int
    out_msgs: int
    since: _timestamp_pb2.Timestamp
    streams: int
    subscriptions: int
    def __init__(self, streams: _Optional[int] = ..., consumers: _Optional[int] = ..., messages: _Optional[int] = ..., bytes: _Optional[int] = ..., kv_buckets: _Optional[int] = ..., kv_bytes: _Optional[int] = ..., object_buckets: _Optional[int] = ..., object_bytes: _Optional[int] = ..., subscriptions: _Optional[int] = ..., in_msgs: _Optional[int] = ..., in_bytes: _Optional[int] = ..., out_msgs: _Optional[int] = ..., out_bytes: _Optional[int] = ..., since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., connections: _Optional[int] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ["deep"]
    DEEP_FIELD_NUMBER: _ClassVar[int]
    deep: bool
    def __init__(self, deep: bool = ...) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ["connections", "gateway_version", "healthy", "jetstream_enabled", "jetstream_rtt", "mode", "nats_connected", "nats_rtt", "nats_server_version", "reason"]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_VERSION_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    JETSTREAM_ENABLED_FIELD_NUMBER: _ClassVar[int]
    JETSTREAM_RTT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NATS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    NATS_RTT_FIELD_NUMBER: _ClassVar[int]
    NATS_SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    connections: int
    gateway_version: str
    healthy: bool
    jetstream_enabled: bool
    jetstream_rtt: _duration_pb2.Duration
    mode: NatsMode
    nats_connected: bool
    nats_rtt: _duration_pb2.Duration
    nats_server_version: str
    reason: str
    def __init__(self, healthy: bool = ..., nats_connected: bool = ..., jetstream_enabled: bool = ..., nats_server_version: _Optional[str] = ..., gateway_version: _Optional[str] = ..., mode: _Optional[_Union[NatsMode, str]] = ..., connections: _Optional[int] = ..., reason: _Optional[str] = ..., nats_rtt: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., jetstream_rtt: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class NatsMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
