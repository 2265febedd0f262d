from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HeaderValues(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ["data", "headers", "reply_token", "subject"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REPLY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    headers: _containers.MessageMap[str, HeaderValues]
    reply_token: str
    subject: str
    def __init__(self, subject: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, HeaderValues]] = ..., reply_token: _Optional[str] = ...) -> None: ...

class OutgoingMessage(_message.Message):
    __slots__ = ["data", "headers", "reply_to", "subject"]
    class HeadersEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: HeaderValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[HeaderValues, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    headers: _containers.MessageMap[str, HeaderValues]
    reply_to: str
    subject: str
    def __init__(self, subject: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, HeaderValues]] = ..., reply_to: _Optional[str] = ...) -> None: ...
