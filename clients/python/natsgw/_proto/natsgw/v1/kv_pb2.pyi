from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
KEY_VALUE_OPERATION_DELETE: KeyValueOperation
KEY_VALUE_OPERATION_PURGE: KeyValueOperation
KEY_VALUE_OPERATION_PUT: KeyValueOperation
KEY_VALUE_OPERATION_UNSPECIFIED: KeyValueOperation
KEY_VALUE_STORAGE_FILE: KeyValueStorage
KEY_VALUE_STORAGE_MEMORY: KeyValueStorage
KEY_VALUE_STORAGE_UNSPECIFIED: KeyValueStorage

class KeyValueBucketConfig(_message.Message):
    __slots__ = ["counter", "description", "history", "limit_marker_ttl", "max_bytes", "max_value_size", "replicas", "storage", "ttl"]
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_MARKER_TTL_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_SIZE_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    counter: bool
    description: str
    history: int
    limit_marker_ttl: _duration_pb2.Duration
    max_bytes: int
    max_value_size: int
    replicas: int
    storage: KeyValueStorage
    ttl: _duration_pb2.Duration
    def __init__(self, description: _Optional[str] = ..., history: _Optional[int] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_bytes: _Optional[int] = ..., max_value_size: _Optional[int] = ..., storage: _Optional[_Union[KeyValueStorage, str]] = ..., replicas: _Optional[int] = ..., limit_marker_ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., counter: bool = ...) -> None: ...

class KeyValueBucketInfo(_message.Message):
    __slots__ = ["bucket", "bytes", "config", "created", "key_ttl_allowed", "values"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    KEY_TTL_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    bytes: int
    config: KeyValueBucketConfig
    created: _timestamp_pb2.Timestamp
    key_ttl_allowed: bool
    values: int
    def __init__(self, bucket: _Optional[str] = ..., config: _Optional[_Union[KeyValueBucketConfig, _Mapping]] = ..., values: _Optional[int] = ..., bytes: _Optional[int] = ..., key_ttl_allowed: bool = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class KeyValueEntry(_message.Message):
    __slots__ = ["created", "key", "operation", "revision", "value"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    created: _timestamp_pb2.Timestamp
    key: str
    operation: KeyValueOperation
    revision: int
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ..., revision: _Optional[int] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., operation: _Optional[_Union[KeyValueOperation, str]] = ...) -> None: ...

class KeyValueGetResult(_message.Message):
    __slots__ = ["entry", "error", "key"]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    entry: KeyValueEntry
    error: KeyValueSessionError
    key: str
    def __init__(self, key: _Optional[str] = ..., entry: _Optional[_Union[KeyValueEntry, _Mapping]] = ..., error: _Optional[_Union[KeyValueSessionError, _Mapping]] = ...) -> None: ...

class KeyValuePutItem(_message.Message):
    __slots__ = ["key", "ttl", "value"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    ttl: _duration_pb2.Duration
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class KeyValuePutResult(_message.Message):
    __slots__ = ["error", "key", "revision"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    error: KeyValueSessionError
    key: str
    revision: int
    def __init__(self, key: _Optional[str] = ..., revision: _Optional[int] = ..., error: _Optional[_Union[KeyValueSessionError, _Mapping]] = ...) -> None: ...

class KeyValueServiceCreateBucketRequest(_message.Message):
    __slots__ = ["bucket", "config"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    config: KeyValueBucketConfig
    def __init__(self, bucket: _Optional[str] = ..., config: _Optional[_Union[KeyValueBucketConfig, _Mapping]] = ...) -> None: ...

class KeyValueServiceCreateBucketResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: KeyValueBucketInfo
    def __init__(self, info: _Optional[_Union[KeyValueBucketInfo, _Mapping]] = ...) -> None: ...

class KeyValueServiceCreateRequest(_message.Message):
    __slots__ = ["bucket", "key", "ttl", "value"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    ttl: _duration_pb2.Duration
    value: bytes
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[bytes] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class KeyValueServiceCreateResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceDeleteBucketRequest(_message.Message):
    __slots__ = ["bucket"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    def __init__(self, bucket: _Optional[str] = ...) -> None: ...

class KeyValueServiceDeleteBucketResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class KeyValueServiceDeleteRequest(_message.Message):
    __slots__ = ["bucket", "expected_revision", "key"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    expected_revision: int
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceDeleteResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceExpireRequest(_message.Message):
    __slots__ = ["bucket", "key", "ttl"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    ttl: _duration_pb2.Duration
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class KeyValueServiceExpireResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceGetBucketRequest(_message.Message):
    __slots__ = ["bucket"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    def __init__(self, bucket: _Optional[str] = ...) -> None: ...

class KeyValueServiceGetBucketResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: KeyValueBucketInfo
    def __init__(self, info: _Optional[_Union[KeyValueBucketInfo, _Mapping]] = ...) -> None: ...

class KeyValueServiceGetManyRequest(_message.Message):
    __slots__ = ["bucket", "consistent", "keys", "min_revision"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    MIN_REVISION_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    consistent: bool
    keys: _containers.RepeatedScalarFieldContainer[str]
    min_revision: int
    def __init__(self, bucket: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ..., consistent: bool = ..., min_revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceGetManyResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[KeyValueGetResult]
    def __init__(self, results: _Optional[_Iterable[_Union[KeyValueGetResult, _Mapping]]] = ...) -> None: ...

class KeyValueServiceGetRequest(_message.Message):
    __slots__ = ["bucket", "consistent", "key", "min_revision", "revision"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    MIN_REVISION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    consistent: bool
    key: str
    min_revision: int
    revision: int
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., revision: _Optional[int] = ..., consistent: bool = ..., min_revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceGetResponse(_message.Message):
    __slots__ = ["entry"]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: KeyValueEntry
    def __init__(self, entry: _Optional[_Union[KeyValueEntry, _Mapping]] = ...) -> None: ...

class KeyValueServiceHistoryRequest(_message.Message):
    __slots__ = ["bucket", "key"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class KeyValueServiceHistoryResponse(_message.Message):
    __slots__ = ["entries"]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[KeyValueEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[KeyValueEntry, _Mapping]]] = ...) -> None: ...

class KeyValueServiceIncrementRequest(_message.Message):
    __slots__ = ["bucket", "delta", "key"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    delta: int
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., delta: _Optional[int] = ...) -> None: ...

class KeyValueServiceIncrementResponse(_message.Message):
    __slots__ = ["revision", "value"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    revision: int
    value: str
    def __init__(self, value: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceKeysRequest(_message.Message):
    __slots__ = ["bucket", "filter"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    filter: str
    def __init__(self, bucket: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class KeyValueServiceKeysResponse(_message.Message):
    __slots__ = ["keys"]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ...) -> None: ...

class KeyValueServiceListBucketsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class KeyValueServiceListBucketsResponse(_message.Message):
    __slots__ = ["buckets"]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[KeyValueBucketInfo]
    def __init__(self, buckets: _Optional[_Iterable[_Union[KeyValueBucketInfo, _Mapping]]] = ...) -> None: ...

class KeyValueServiceListKeysRequest(_message.Message):
    __slots__ = ["bucket", "filter", "page_size", "page_token"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    filter: str
    page_size: int
    page_token: str
    def __init__(self, bucket: _Optional[str] = ..., filter: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class KeyValueServiceListKeysResponse(_message.Message):
    __slots__ = ["keys", "next_page_token"]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class KeyValueServicePurgeRequest(_message.Message):
    __slots__ = ["bucket", "expected_revision", "key"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    expected_revision: int
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., expected_revision: _Optional[int] = ...) -> None: ...

class KeyValueServicePurgeResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServicePutManyRequest(_message.Message):
    __slots__ = ["bucket", "items"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    items: _containers.RepeatedCompositeFieldContainer[KeyValuePutItem]
    def __init__(self, bucket: _Optional[str] = ..., items: _Optional[_Iterable[_Union[KeyValuePutItem, _Mapping]]] = ...) -> None: ...

class KeyValueServicePutManyResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[KeyValuePutResult]
    def __init__(self, results: _Optional[_Iterable[_Union[KeyValuePutResult, _Mapping]]] = ...) -> None: ...

class KeyValueServicePutRequest(_message.Message):
    __slots__ = ["bucket", "key", "ttl", "value"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    ttl: _duration_pb2.Duration
    value: bytes
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[bytes] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class KeyValueServicePutResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceSessionRequest(_message.Message):
    __slots__ = ["create", "delete", "expire", "get", "get_many", "id", "increment", "purge", "put", "put_many", "timeout", "update"]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_FIELD_NUMBER: _ClassVar[int]
    GET_FIELD_NUMBER: _ClassVar[int]
    GET_MANY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INCREMENT_FIELD_NUMBER: _ClassVar[int]
    PURGE_FIELD_NUMBER: _ClassVar[int]
    PUT_FIELD_NUMBER: _ClassVar[int]
    PUT_MANY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    create: KeyValueServiceCreateRequest
    delete: KeyValueServiceDeleteRequest
    expire: KeyValueServiceExpireRequest
    get: KeyValueServiceGetRequest
    get_many: KeyValueServiceGetManyRequest
    id: int
    increment: KeyValueServiceIncrementRequest
    purge: KeyValueServicePurgeRequest
    put: KeyValueServicePutRequest
    put_many: KeyValueServicePutManyRequest
    timeout: _duration_pb2.Duration
    update: KeyValueServiceUpdateRequest
    def __init__(self, id: _Optional[int] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., get: _Optional[_Union[KeyValueServiceGetRequest, _Mapping]] = ..., put: _Optional[_Union[KeyValueServicePutRequest, _Mapping]] = ..., create: _Optional[_Union[KeyValueServiceCreateRequest, _Mapping]] = ..., update: _Optional[_Union[KeyValueServiceUpdateRequest, _Mapping]] = ..., delete: _Optional[_Union[KeyValueServiceDeleteRequest, _Mapping]] = ..., purge: _Optional[_Union[KeyValueServicePurgeRequest, _Mapping]] = ..., get_many: _Optional[_Union[KeyValueServiceGetManyRequest, _Mapping]] = ..., put_many: _Optional[_Union[KeyValueServicePutManyRequest, _Mapping]] = ..., increment: _Optional[_Union[KeyValueServiceIncrementRequest, _Mapping]] = ..., expire: _Optional[_Union[KeyValueServiceExpireRequest, _Mapping]] = ...) -> None: ...

class KeyValueServiceSessionResponse(_message.Message):
    __slots__ = ["create", "delete", "error", "expire", "get", "get_many", "id", "increment", "purge", "put", "put_many", "update"]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_FIELD_NUMBER: _ClassVar[int]
    GET_FIELD_NUMBER: _ClassVar[int]
    GET_MANY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INCREMENT_FIELD_NUMBER: _ClassVar[int]
    PURGE_FIELD_NUMBER: _ClassVar[int]
    PUT_FIELD_NUMBER: _ClassVar[int]
    PUT_MANY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    create: KeyValueServiceCreateResponse
    delete: KeyValueServiceDeleteResponse
    error: KeyValueSessionError
    expire: KeyValueServiceExpireResponse
    get: KeyValueServiceGetResponse
    get_many: KeyValueServiceGetManyResponse
    id: int
    increment: KeyValueServiceIncrementResponse
    purge: KeyValueServicePurgeResponse
    put: KeyValueServicePutResponse
    put_many: KeyValueServicePutManyResponse
    update: KeyValueServiceUpdateResponse
    def __init__(self, id: _Optional[int] = ..., error: _Optional[_Union[KeyValueSessionError, _Mapping]] = ..., get: _Optional[_Union[KeyValueServiceGetResponse, _Mapping]] = ..., put: _Optional[_Union[KeyValueServicePutResponse, _Mapping]] = ..., create: _Optional[_Union[KeyValueServiceCreateResponse, _Mapping]] = ..., update: _Optional[_Union[KeyValueServiceUpdateResponse, _Mapping]] = ..., delete: _Optional[_Union[KeyValueServiceDeleteResponse, _Mapping]] = ..., purge: _Optional[_Union[KeyValueServicePurgeResponse, _Mapping]] = ..., get_many: _Optional[_Union[KeyValueServiceGetManyResponse, _Mapping]] = ..., put_many: _Optional[_Union[KeyValueServicePutManyResponse, _Mapping]] = ..., increment: _Optional[_Union[KeyValueServiceIncrementResponse, _Mapping]] = ..., expire: _Optional[_Union[KeyValueServiceExpireResponse, _Mapping]] = ...) -> None: ...

class KeyValueServiceUpdateBucketRequest(_message.Message):
    __slots__ = ["bucket", "config"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    config: KeyValueBucketConfig
    def __init__(self, bucket: _Optional[str] = ..., config: _Optional[_Union[KeyValueBucketConfig, _Mapping]] = ...) -> None: ...

class KeyValueServiceUpdateBucketResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: KeyValueBucketInfo
    def __init__(self, info: _Optional[_Union[KeyValueBucketInfo, _Mapping]] = ...) -> None: ...

class KeyValueServiceUpdateRequest(_message.Message):
    __slots__ = ["bucket", "key", "revision", "value"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    revision: int
    value: bytes
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[bytes] = ..., revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceUpdateResponse(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceWatchRequest(_message.Message):
    __slots__ = ["bucket", "include_history", "key", "resume_from_revision", "updates_only"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    RESUME_FROM_REVISION_FIELD_NUMBER: _ClassVar[int]
    UPDATES_ONLY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    include_history: bool
    key: str
    resume_from_revision: int
    updates_only: bool
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., include_history: bool = ..., updates_only: bool = ..., resume_from_revision: _Optional[int] = ...) -> None: ...

class KeyValueServiceWatchResponse(_message.Message):
    __slots__ = ["entries", "init_done", "last_revision"]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    INIT_DONE_FIELD_NUMBER: _ClassVar[int]
    LAST_REVISION_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[KeyValueEntry]
    init_done: bool
    last_revision: int
    def __init__(self, entries: _Optional[_Iterable[_Union[KeyValueEntry, _Mapping]]] = ..., init_done: bool = ..., last_revision: _Optional[int] = ...) -> None: ...

class KeyValueSessionError(_message.Message):
    __slots__ = ["code", "details", "message"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    details: _containers.RepeatedCompositeFieldContainer[_any_pb2.Any]
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., details: _Optional[_Iterable[_Union[_any_pb2.Any, _Mapping]]] = ...) -> None: ...

class KeyValueStorage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class KeyValueOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
