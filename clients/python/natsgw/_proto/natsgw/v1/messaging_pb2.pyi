from google.protobuf import duration_pb2 as _duration_pb2
from natsgw._proto.natsgw.v1 import message_pb2 as _message_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PublishBatchRequest(_message.Message):
    __slots__ = ["messages"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_message_pb2.OutgoingMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[_message_pb2.OutgoingMessage, _Mapping]]] = ...) -> None: ...

class PublishBatchResponse(_message.Message):
    __slots__ = ["published_count"]
    PUBLISHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    published_count: int
    def __init__(self, published_count: _Optional[int] = ...) -> None: ...

class PublishRequest(_message.Message):
    __slots__ = ["message"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _message_pb2.OutgoingMessage
    def __init__(self, message: _Optional[_Union[_message_pb2.OutgoingMessage, _Mapping]] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class PublishStreamRequest(_message.Message):
    __slots__ = ["flush", "messages"]
    FLUSH_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    flush: bool
    messages: _containers.RepeatedCompositeFieldContainer[_message_pb2.OutgoingMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[_message_pb2.OutgoingMessage, _Mapping]]] = ..., flush: bool = ...) -> None: ...

class PublishStreamResponse(_message.Message):
    __slots__ = ["published_count"]
    PUBLISHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    published_count: int
    def __init__(self, published_count: _Optional[int] = ...) -> None: ...

class ReplyRequest(_message.Message):
    __slots__ = ["data", "headers", "reply_token"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _message_pb2.HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_message_pb2.HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REPLY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    headers: _containers.MessageMap[str, _message_pb2.HeaderValues]
    reply_token: str
    def __init__(self, reply_token: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, _message_pb2.HeaderValues]] = ...) -> None: ...

class ReplyResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class RequestRequest(_message.Message):
    __slots__ = ["message", "timeout"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    message: _message_pb2.OutgoingMessage
    timeout: _duration_pb2.Duration
    def __init__(self, message: _Optional[_Union[_message_pb2.OutgoingMessage, _Mapping]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RequestResponse(_message.Message):
    __slots__ = ["reply"]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    reply: _message_pb2.Message
    def __init__(self, reply: _Optional[_Union[_message_pb2.Message, _Mapping]] = ...) -> None: ...

class ServeReply(_message.Message):
    __slots__ = ["data", "headers", "reply_token"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _message_pb2.HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_message_pb2.HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REPLY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    headers: _containers.MessageMap[str, _message_pb2.HeaderValues]
    reply_token: str
    def __init__(self, reply_token: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, _message_pb2.HeaderValues]] = ...) -> None: ...

class ServeRequest(_message.Message):
    __slots__ = ["reply", "start"]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    reply: ServeReply
    start: ServeStart
    def __init__(self, start: _Optional[_Union[ServeStart, _Mapping]] = ..., reply: _Optional[_Union[ServeReply, _Mapping]] = ...) -> None: ...

class ServeResponse(_message.Message):
    __slots__ = ["dropped", "messages", "ready"]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    dropped: int
    messages: _containers.RepeatedCompositeFieldContainer[_message_pb2.Message]
    ready: SubscriptionReady
    def __init__(self, ready: _Optional[_Union[SubscriptionReady, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_message_pb2.Message, _Mapping]]] = ..., dropped: _Optional[int] = ...) -> None: ...

class ServeStart(_message.Message):
    __slots__ = ["buffer_size", "queue_group", "subject"]
    BUFFER_SIZE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_GROUP_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    buffer_size: int
    queue_group: str
    subject: str
    def __init__(self, subject: _Optional[str] = ..., queue_group: _Optional[str] = ..., buffer_size: _Optional[int] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ["buffer_size", "queue_group", "subject"]
    BUFFER_SIZE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_GROUP_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    buffer_size: int
    queue_group: str
    subject: str
    def __init__(self, subject: _Optional[str] = ..., queue_group: _Optional[str] = ..., buffer_size: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ["dropped", "messages", "ready"]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    dropped: int
    messages: _containers.RepeatedCompositeFieldContainer[_message_pb2.Message]
    ready: SubscriptionReady
    def __init__(self, ready: _Optional[_Union[SubscriptionReady, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_message_pb2.Message, _Mapping]]] = ..., dropped: _Optional[int] = ...) -> None: ...

class SubscriptionReady(_message.Message):
    __slots__ = ["max_payload", "subscription_id"]
    MAX_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    max_payload: int
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ..., max_payload: _Optional[int] = ...) -> None: ...

class UnsubscribeRequest(_message.Message):
    __slots__ = ["subscription_id"]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class UnsubscribeResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...
