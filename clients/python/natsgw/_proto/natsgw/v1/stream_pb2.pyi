from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from natsgw._proto.natsgw.v1 import message_pb2 as _message_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
STREAM_DISCARD_NEW: StreamDiscard
STREAM_DISCARD_OLD: StreamDiscard
STREAM_DISCARD_UNSPECIFIED: StreamDiscard
STREAM_RETENTION_INTEREST: StreamRetention
STREAM_RETENTION_LIMITS: StreamRetention
STREAM_RETENTION_UNSPECIFIED: StreamRetention
STREAM_RETENTION_WORKQUEUE: StreamRetention
STREAM_STORAGE_FILE: StreamStorage
STREAM_STORAGE_MEMORY: StreamStorage
STREAM_STORAGE_UNSPECIFIED: StreamStorage

class CreateStreamRequest(_message.Message):
    __slots__ = ["config"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: StreamConfig
    def __init__(self, config: _Optional[_Union[StreamConfig, _Mapping]] = ...) -> None: ...

class CreateStreamResponse(_message.Message):
    __slots__ = ["stream"]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: StreamInfo
    def __init__(self, stream: _Optional[_Union[StreamInfo, _Mapping]] = ...) -> None: ...

class DeleteStreamMessageRequest(_message.Message):
    __slots__ = ["sequence", "stream"]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    stream: str
    def __init__(self, stream: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class DeleteStreamMessageResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteStreamRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteStreamResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetStreamMessageRequest(_message.Message):
    __slots__ = ["last_by_subject", "sequence", "stream"]
    LAST_BY_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    last_by_subject: str
    sequence: int
    stream: str
    def __init__(self, stream: _Optional[str] = ..., sequence: _Optional[int] = ..., last_by_subject: _Optional[str] = ...) -> None: ...

class GetStreamMessageResponse(_message.Message):
    __slots__ = ["message"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: StoredMessage
    def __init__(self, message: _Optional[_Union[StoredMessage, _Mapping]] = ...) -> None: ...

class GetStreamRequest(_message.Message):
    __slots__ = ["name", "subjects_filter"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FILTER_FIELD_NUMBER: _ClassVar[int]
    name: str
    subjects_filter: str
    def __init__(self, name: _Optional[str] = ..., subjects_filter: _Optional[str] = ...) -> None: ...

class GetStreamResponse(_message.Message):
    __slots__ = ["stream"]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: StreamInfo
    def __init__(self, stream: _Optional[_Union[StreamInfo, _Mapping]] = ...) -> None: ...

class ListStreamsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListStreamsResponse(_message.Message):
    __slots__ = ["streams"]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedCompositeFieldContainer[StreamInfo]
    def __init__(self, streams: _Optional[_Iterable[_Union[StreamInfo, _Mapping]]] = ...) -> None: ...

class MessageSchedule(_message.Message):
    __slots__ = ["pattern", "target_subject", "time_zone"]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    TARGET_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    target_subject: str
    time_zone: str
    def __init__(self, pattern: _Optional[str] = ..., target_subject: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class PipelinePublishError(_message.Message):
    __slots__ = ["code", "index", "message"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    index: int
    message: str
    def __init__(self, index: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class PipelinePublishRequest(_message.Message):
    __slots__ = ["messages", "stream"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[StreamPublish]
    stream: str
    def __init__(self, stream: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[StreamPublish, _Mapping]]] = ...) -> None: ...

class PipelinePublishResponse(_message.Message):
    __slots__ = ["duplicates", "errors", "first_index", "sequences"]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    FIRST_INDEX_FIELD_NUMBER: _ClassVar[int]
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    duplicates: _containers.RepeatedScalarFieldContainer[int]
    errors: _containers.RepeatedCompositeFieldContainer[PipelinePublishError]
    first_index: int
    sequences: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, first_index: _Optional[int] = ..., sequences: _Optional[_Iterable[int]] = ..., duplicates: _Optional[_Iterable[int]] = ..., errors: _Optional[_Iterable[_Union[PipelinePublishError, _Mapping]]] = ...) -> None: ...

class PublishAtomicBatchRequest(_message.Message):
    __slots__ = ["messages", "stream"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[StreamPublish]
    stream: str
    def __init__(self, stream: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[StreamPublish, _Mapping]]] = ...) -> None: ...

class PublishAtomicBatchResponse(_message.Message):
    __slots__ = ["count", "last_sequence", "stream"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    count: int
    last_sequence: int
    stream: str
    def __init__(self, stream: _Optional[str] = ..., last_sequence: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class PublishToStreamRequest(_message.Message):
    __slots__ = ["message", "stream"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    message: StreamPublish
    stream: str
    def __init__(self, stream: _Optional[str] = ..., message: _Optional[_Union[StreamPublish, _Mapping]] = ...) -> None: ...

class PublishToStreamResponse(_message.Message):
    __slots__ = ["counter_value", "duplicate", "sequence", "stream"]
    COUNTER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    counter_value: str
    duplicate: bool
    sequence: int
    stream: str
    def __init__(self, stream: _Optional[str] = ..., sequence: _Optional[int] = ..., duplicate: bool = ..., counter_value: _Optional[str] = ...) -> None: ...

class PurgeStreamRequest(_message.Message):
    __slots__ = ["keep", "name", "subject", "up_to_sequence"]
    KEEP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    UP_TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    keep: int
    name: str
    subject: str
    up_to_sequence: int
    def __init__(self, name: _Optional[str] = ..., subject: _Optional[str] = ..., keep: _Optional[int] = ..., up_to_sequence: _Optional[int] = ...) -> None: ...

class PurgeStreamResponse(_message.Message):
    __slots__ = ["purged"]
    PURGED_FIELD_NUMBER: _ClassVar[int]
    purged: int
    def __init__(self, purged: _Optional[int] = ...) -> None: ...

class StoredMessage(_message.Message):
    __slots__ = ["data", "headers", "sequence", "subject", "time"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _message_pb2.HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_message_pb2.HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    headers: _containers.MessageMap[str, _message_pb2.HeaderValues]
    sequence: int
    subject: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, subject: _Optional[str] = ..., sequence: _Optional[int] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, _message_pb2.HeaderValues]] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StreamConfig(_message.Message):
    __slots__ = ["allow_atomic_publish", "allow_msg_counter", "allow_msg_schedules", "allow_msg_ttl", "description", "discard", "duplicate_window", "max_age", "max_bytes", "max_msg_size", "max_msgs", "max_msgs_per_subject", "name", "replicas", "retention", "storage", "subjects"]
    ALLOW_ATOMIC_PUBLISH_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MSG_COUNTER_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MSG_SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MSG_TTL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCARD_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_MSGS_FIELD_NUMBER: _ClassVar[int]
    MAX_MSGS_PER_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MAX_MSG_SIZE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    RETENTION_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    allow_atomic_publish: bool
    allow_msg_counter: bool
    allow_msg_schedules: bool
    allow_msg_ttl: bool
    description: str
    discard: StreamDiscard
    duplicate_window: _duration_pb2.Duration
    max_age: _duration_pb2.Duration
    max_bytes: int
    max_msg_size: int
    max_msgs: int
    max_msgs_per_subject: int
    name: str
    replicas: int
    retention: StreamRetention
    storage: StreamStorage
    subjects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., subjects: _Optional[_Iterable[str]] = ..., storage: _Optional[_Union[StreamStorage, str]] = ..., retention: _Optional[_Union[StreamRetention, str]] = ..., max_msgs: _Optional[int] = ..., max_bytes: _Optional[int] = ..., max_age: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_msg_size: _Optional[int] = ..., max_msgs_per_subject: _Optional[int] = ..., discard: _Optional[_Union[StreamDiscard, str]] = ..., replicas: _Optional[int] = ..., duplicate_window: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., allow_msg_ttl: bool = ..., allow_msg_schedules: bool = ..., allow_atomic_publish: bool = ..., allow_msg_counter: bool = ...) -> None: ...

class StreamInfo(_message.Message):
    __slots__ = ["config", "created", "dead_letter_for", "state"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_FOR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    config: StreamConfig
    created: _timestamp_pb2.Timestamp
    dead_letter_for: str
    state: StreamState
    def __init__(self, config: _Optional[_Union[StreamConfig, _Mapping]] = ..., state: _Optional[_Union[StreamState, _Mapping]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dead_letter_for: _Optional[str] = ...) -> None: ...

class StreamPublish(_message.Message):
    __slots__ = ["data", "expected_last_sequence", "expected_last_subject_sequence", "headers", "increment", "msg_id", "schedule", "subject", "ttl"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _message_pb2.HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_message_pb2.HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_LAST_SUBJECT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    INCREMENT_FIELD_NUMBER: _ClassVar[int]
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    expected_last_sequence: int
    expected_last_subject_sequence: int
    headers: _containers.MessageMap[str, _message_pb2.HeaderValues]
    increment: int
    msg_id: str
    schedule: MessageSchedule
    subject: str
    ttl: _duration_pb2.Duration
    def __init__(self, subject: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, _message_pb2.HeaderValues]] = ..., msg_id: _Optional[str] = ..., expected_last_sequence: _Optional[int] = ..., expected_last_subject_sequence: _Optional[int] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., schedule: _Optional[_Union[MessageSchedule, _Mapping]] = ..., increment: _Optional[int] = ...) -> None: ...

class StreamState(_message.Message):
    __slots__ = ["bytes", "consumers", "first_sequence", "first_time", "last_sequence", "last_time", "messages", "num_deleted", "num_subjects", "subjects"]
    class SubjectsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BYTES_FIELD_NUMBER: _ClassVar[int]
    CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FIRST_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_TIME_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NUM_DELETED_FIELD_NUMBER: _ClassVar[int]
    NUM_SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    consumers: int
    first_sequence: int
    first_time: _timestamp_pb2.Timestamp
    last_sequence: int
    last_time: _timestamp_pb2.Timestamp
    messages: int
    num_deleted: int
    num_subjects: int
    subjects: _containers.ScalarMap[str, int]
    def __init__(self, messages: _Optional[int] = ..., bytes: _Optional[int] = ..., first_sequence: _Optional[int] = ..., first_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_sequence: _Optional[int] = ..., last_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., num_subjects: _Optional[int] = ..., num_deleted: _Optional[int] = ..., consumers: _Optional[int] = ..., subjects: _Optional[_Mapping[str, int]] = ...) -> None: ...

class UpdateStreamRequest(_message.Message):
    __slots__ = ["config"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: StreamConfig
    def __init__(self, config: _Optional[_Union[StreamConfig, _Mapping]] = ...) -> None: ...

class UpdateStreamResponse(_message.Message):
    __slots__ = ["stream"]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: StreamInfo
    def __init__(self, stream: _Optional[_Union[StreamInfo, _Mapping]] = ...) -> None: ...

class StreamStorage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StreamRetention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StreamDiscard(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
