from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from natsgw._proto.natsgw.v1 import message_pb2 as _message_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ACK_KIND_ACK: AckKind
ACK_KIND_IN_PROGRESS: AckKind
ACK_KIND_NAK: AckKind
ACK_KIND_TERM: AckKind
ACK_KIND_UNSPECIFIED: AckKind
ACK_POLICY_ALL: AckPolicy
ACK_POLICY_EXPLICIT: AckPolicy
ACK_POLICY_NONE: AckPolicy
ACK_POLICY_UNSPECIFIED: AckPolicy
DELIVER_POLICY_ALL: DeliverPolicy
DELIVER_POLICY_BY_START_SEQUENCE: DeliverPolicy
DELIVER_POLICY_BY_START_TIME: DeliverPolicy
DELIVER_POLICY_LAST: DeliverPolicy
DELIVER_POLICY_LAST_PER_SUBJECT: DeliverPolicy
DELIVER_POLICY_NEW: DeliverPolicy
DELIVER_POLICY_UNSPECIFIED: DeliverPolicy
DESCRIPTOR: _descriptor.FileDescriptor
PRIORITY_POLICY_OVERFLOW: PriorityPolicy
PRIORITY_POLICY_PINNED_CLIENT: PriorityPolicy
PRIORITY_POLICY_PRIORITIZED: PriorityPolicy
PRIORITY_POLICY_UNSPECIFIED: PriorityPolicy
REPLAY_POLICY_INSTANT: ReplayPolicy
REPLAY_POLICY_ORIGINAL: ReplayPolicy
REPLAY_POLICY_UNSPECIFIED: ReplayPolicy

class AckOperation(_message.Message):
    __slots__ = ["ack_token", "delay", "kind", "reason"]
    ACK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ack_token: str
    delay: _duration_pb2.Duration
    kind: AckKind
    reason: str
    def __init__(self, ack_token: _Optional[str] = ..., kind: _Optional[_Union[AckKind, str]] = ..., delay: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class AckRequest(_message.Message):
    __slots__ = ["ack_tokens"]
    ACK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ack_tokens: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ack_tokens: _Optional[_Iterable[str]] = ...) -> None: ...

class AckResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ConsumeReady(_message.Message):
    __slots__ = ["max_in_flight"]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    max_in_flight: int
    def __init__(self, max_in_flight: _Optional[int] = ...) -> None: ...

class ConsumeRequest(_message.Message):
    __slots__ = ["acks", "credit", "start"]
    ACKS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    acks: _containers.RepeatedCompositeFieldContainer[AckOperation]
    credit: int
    start: ConsumeStart
    def __init__(self, start: _Optional[_Union[ConsumeStart, _Mapping]] = ..., acks: _Optional[_Iterable[_Union[AckOperation, _Mapping]]] = ..., credit: _Optional[int] = ...) -> None: ...

class ConsumeResponse(_message.Message):
    __slots__ = ["messages", "ready"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ConsumedMessage]
    ready: ConsumeReady
    def __init__(self, ready: _Optional[_Union[ConsumeReady, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[ConsumedMessage, _Mapping]]] = ...) -> None: ...

class ConsumeStart(_message.Message):
    __slots__ = ["consumer", "max_in_flight", "priority", "stream"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    max_in_flight: int
    priority: PriorityRequest
    stream: str
    def __init__(self, stream: _Optional[str] = ..., consumer: _Optional[str] = ..., max_in_flight: _Optional[int] = ..., priority: _Optional[_Union[PriorityRequest, _Mapping]] = ...) -> None: ...

class ConsumedMessage(_message.Message):
    __slots__ = ["ack_token", "consumer", "consumer_sequence", "data", "delivery_count", "headers", "pending", "stream", "stream_sequence", "subject", "timestamp"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _message_pb2.HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_message_pb2.HeaderValues, _Mapping]] = ...) -> None: ...
    ACK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ack_token: str
    consumer: str
    consumer_sequence: int
    data: bytes
    delivery_count: int
    headers: _containers.MessageMap[str, _message_pb2.HeaderValues]
    pending: int
    stream: str
    stream_sequence: int
    subject: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, subject: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, _message_pb2.HeaderValues]] = ..., ack_token: _Optional[str] = ..., stream: _Optional[str] = ..., consumer: _Optional[str] = ..., stream_sequence: _Optional[int] = ..., consumer_sequence: _Optional[int] = ..., delivery_count: _Optional[int] = ..., timestamp: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., pending: _Optional[int] = ...) -> None: ...

class ConsumerConfig(_message.Message):
    __slots__ = ["ack_policy", "ack_wait", "backoff", "dead_letter", "deliver_policy", "description", "filter_subjects", "inactive_threshold", "max_ack_pending", "max_deliver", "name", "opt_start_sequence", "opt_start_time", "pinned_ttl", "priority_groups", "priority_policy", "replay_policy"]
    ACK_POLICY_FIELD_NUMBER: _ClassVar[int]
    ACK_WAIT_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_FIELD_NUMBER: _ClassVar[int]
    DELIVER_POLICY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FILTER_SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    INACTIVE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MAX_ACK_PENDING_FIELD_NUMBER: _ClassVar[int]
    MAX_DELIVER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPT_START_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OPT_START_TIME_FIELD_NUMBER: _ClassVar[int]
    PINNED_TTL_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_POLICY_FIELD_NUMBER: _ClassVar[int]
    REPLAY_POLICY_FIELD_NUMBER: _ClassVar[int]
    ack_policy: AckPolicy
    ack_wait: _duration_pb2.Duration
    backoff: _containers.RepeatedCompositeFieldContainer[_duration_pb2.Duration]
    dead_letter: bool
    deliver_policy: DeliverPolicy
    description: str
    filter_subjects: _containers.RepeatedScalarFieldContainer[str]
    inactive_threshold: _duration_pb2.Duration
    max_ack_pending: int
    max_deliver: int
    name: str
    opt_start_sequence: int
    opt_start_time: _timestamp_pb2.Timestamp
    pinned_ttl: _duration_pb2.Duration
    priority_groups: _containers.RepeatedScalarFieldContainer[str]
    priority_policy: PriorityPolicy
    replay_policy: ReplayPolicy
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., filter_subjects: _Optional[_Iterable[str]] = ..., deliver_policy: _Optional[_Union[DeliverPolicy, str]] = ..., opt_start_sequence: _Optional[int] = ..., opt_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., ack_policy: _Optional[_Union[AckPolicy, str]] = ..., ack_wait: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_deliver: _Optional[int] = ..., backoff: _Optional[_Iterable[_Union[_duration_pb2.Duration, _Mapping]]] = ..., max_ack_pending: _Optional[int] = ..., replay_policy: _Optional[_Union[ReplayPolicy, str]] = ..., inactive_threshold: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., dead_letter: bool = ..., priority_policy: _Optional[_Union[PriorityPolicy, str]] = ..., priority_groups: _Optional[_Iterable[str]] = ..., pinned_ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ConsumerInfo(_message.Message):
    __slots__ = ["ack_floor", "config", "created", "dead_letter_stream", "delivered", "name", "num_ack_pending", "num_pending", "num_redelivered", "num_waiting", "pause_until", "paused", "stream"]
    ACK_FLOOR_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_STREAM_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_ACK_PENDING_FIELD_NUMBER: _ClassVar[int]
    NUM_PENDING_FIELD_NUMBER: _ClassVar[int]
    NUM_REDELIVERED_FIELD_NUMBER: _ClassVar[int]
    NUM_WAITING_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    ack_floor: SequencePair
    config: ConsumerConfig
    created: _timestamp_pb2.Timestamp
    dead_letter_stream: str
    delivered: SequencePair
    name: str
    num_ack_pending: int
    num_pending: int
    num_redelivered: int
    num_waiting: int
    pause_until: _timestamp_pb2.Timestamp
    paused: bool
    stream: str
    def __init__(self, stream: _Optional[str] = ..., name: _Optional[str] = ..., config: _Optional[_Union[ConsumerConfig, _Mapping]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., delivered: _Optional[_Union[SequencePair, _Mapping]] = ..., ack_floor: _Optional[_Union[SequencePair, _Mapping]] = ..., num_ack_pending: _Optional[int] = ..., num_redelivered: _Optional[int] = ..., num_waiting: _Optional[int] = ..., num_pending: _Optional[int] = ..., dead_letter_stream: _Optional[str] = ..., paused: bool = ..., pause_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateConsumerRequest(_message.Message):
    __slots__ = ["config", "stream"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    config: ConsumerConfig
    stream: str
    def __init__(self, stream: _Optional[str] = ..., config: _Optional[_Union[ConsumerConfig, _Mapping]] = ...) -> None: ...

class CreateConsumerResponse(_message.Message):
    __slots__ = ["consumer"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    consumer: ConsumerInfo
    def __init__(self, consumer: _Optional[_Union[ConsumerInfo, _Mapping]] = ...) -> None: ...

class DeleteConsumerRequest(_message.Message):
    __slots__ = ["name", "stream"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    name: str
    stream: str
    def __init__(self, stream: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteConsumerResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetConsumerRequest(_message.Message):
    __slots__ = ["name", "stream"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    name: str
    stream: str
    def __init__(self, stream: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetConsumerResponse(_message.Message):
    __slots__ = ["consumer"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    consumer: ConsumerInfo
    def __init__(self, consumer: _Optional[_Union[ConsumerInfo, _Mapping]] = ...) -> None: ...

class InProgressRequest(_message.Message):
    __slots__ = ["ack_tokens"]
    ACK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ack_tokens: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ack_tokens: _Optional[_Iterable[str]] = ...) -> None: ...

class InProgressResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListConsumersRequest(_message.Message):
    __slots__ = ["stream"]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: str
    def __init__(self, stream: _Optional[str] = ...) -> None: ...

class ListConsumersResponse(_message.Message):
    __slots__ = ["consumers"]
    CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    consumers: _containers.RepeatedCompositeFieldContainer[ConsumerInfo]
    def __init__(self, consumers: _Optional[_Iterable[_Union[ConsumerInfo, _Mapping]]] = ...) -> None: ...

class NakRequest(_message.Message):
    __slots__ = ["ack_tokens", "delay"]
    ACK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    ack_tokens: _containers.RepeatedScalarFieldContainer[str]
    delay: _duration_pb2.Duration
    def __init__(self, ack_tokens: _Optional[_Iterable[str]] = ..., delay: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class NakResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class PauseConsumerRequest(_message.Message):
    __slots__ = ["consumer", "pause_until", "stream"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    PAUSE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    pause_until: _timestamp_pb2.Timestamp
    stream: str
    def __init__(self, stream: _Optional[str] = ..., consumer: _Optional[str] = ..., pause_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PauseConsumerResponse(_message.Message):
    __slots__ = ["pause_until"]
    PAUSE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    pause_until: _timestamp_pb2.Timestamp
    def __init__(self, pause_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PriorityRequest(_message.Message):
    __slots__ = ["group", "min_ack_pending", "min_pending", "pin_id", "priority"]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    MIN_ACK_PENDING_FIELD_NUMBER: _ClassVar[int]
    MIN_PENDING_FIELD_NUMBER: _ClassVar[int]
    PIN_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    group: str
    min_ack_pending: int
    min_pending: int
    pin_id: str
    priority: int
    def __init__(self, group: _Optional[str] = ..., min_pending: _Optional[int] = ..., min_ack_pending: _Optional[int] = ..., priority: _Optional[int] = ..., pin_id: _Optional[str] = ...) -> None: ...

class PullRequest(_message.Message):
    __slots__ = ["batch", "consumer", "max_wait", "no_wait", "priority", "stream"]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_FIELD_NUMBER: _ClassVar[int]
    NO_WAIT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    batch: int
    consumer: str
    max_wait: _duration_pb2.Duration
    no_wait: bool
    priority: PriorityRequest
    stream: str
    def __init__(self, stream: _Optional[str] = ..., consumer: _Optional[str] = ..., batch: _Optional[int] = ..., max_wait: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., no_wait: bool = ..., priority: _Optional[_Union[PriorityRequest, _Mapping]] = ...) -> None: ...

class PullResponse(_message.Message):
    __slots__ = ["messages"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ConsumedMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[ConsumedMessage, _Mapping]]] = ...) -> None: ...

class ResumeConsumerRequest(_message.Message):
    __slots__ = ["consumer", "stream"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    stream: str
    def __init__(self, stream: _Optional[str] = ..., consumer: _Optional[str] = ...) -> None: ...

class ResumeConsumerResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class SequencePair(_message.Message):
    __slots__ = ["consumer_sequence", "last_active", "stream_sequence"]
    CONSUMER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    consumer_sequence: int
    last_active: _timestamp_pb2.Timestamp
    stream_sequence: int
    def __init__(self, consumer_sequence: _Optional[int] = ..., stream_sequence: _Optional[int] = ..., last_active: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TermRequest(_message.Message):
    __slots__ = ["ack_tokens", "reason"]
    ACK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ack_tokens: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, ack_tokens: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class TermResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class UpdateConsumerRequest(_message.Message):
    __slots__ = ["config", "stream"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    config: ConsumerConfig
    stream: str
    def __init__(self, stream: _Optional[str] = ..., config: _Optional[_Union[ConsumerConfig, _Mapping]] = ...) -> None: ...

class UpdateConsumerResponse(_message.Message):
    __slots__ = ["consumer"]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    consumer: ConsumerInfo
    def __init__(self, consumer: _Optional[_Union[ConsumerInfo, _Mapping]] = ...) -> None: ...

class DeliverPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AckPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ReplayPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PriorityPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AckKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
