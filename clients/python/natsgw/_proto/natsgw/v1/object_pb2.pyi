from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
OBJECT_STORAGE_FILE: ObjectStorage
OBJECT_STORAGE_MEMORY: ObjectStorage
OBJECT_STORAGE_UNSPECIFIED: ObjectStorage

class CreateObjectBucketRequest(_message.Message):
    __slots__ = ["bucket", "description", "max_bytes", "replicas", "storage", "ttl"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    description: str
    max_bytes: int
    replicas: int
    storage: ObjectStorage
    ttl: _duration_pb2.Duration
    def __init__(self, bucket: _Optional[str] = ..., description: _Optional[str] = ..., max_bytes: _Optional[int] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., storage: _Optional[_Union[ObjectStorage, str]] = ..., replicas: _Optional[int] = ...) -> None: ...

class CreateObjectBucketResponse(_message.Message):
    __slots__ = ["bucket"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    bucket: ObjectBucketInfo
    def __init__(self, bucket: _Optional[_Union[ObjectBucketInfo, _Mapping]] = ...) -> None: ...

class DeleteObjectBucketRequest(_message.Message):
    __slots__ = ["bucket"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    def __init__(self, bucket: _Optional[str] = ...) -> None: ...

class DeleteObjectBucketResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteObjectRequest(_message.Message):
    __slots__ = ["bucket", "name"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    name: str
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteObjectResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetObjectHeader(_message.Message):
    __slots__ = ["info", "length", "offset"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    info: ObjectInfo
    length: int
    offset: int
    def __init__(self, info: _Optional[_Union[ObjectInfo, _Mapping]] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class GetObjectInfoRequest(_message.Message):
    __slots__ = ["bucket", "name"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    name: str
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetObjectInfoResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: ObjectInfo
    def __init__(self, info: _Optional[_Union[ObjectInfo, _Mapping]] = ...) -> None: ...

class GetObjectRequest(_message.Message):
    __slots__ = ["bucket", "length", "name", "offset"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    length: int
    name: str
    offset: int
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class GetObjectResponse(_message.Message):
    __slots__ = ["data", "header"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    header: GetObjectHeader
    def __init__(self, header: _Optional[_Union[GetObjectHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ListObjectBucketsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListObjectBucketsResponse(_message.Message):
    __slots__ = ["buckets"]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[ObjectBucketInfo]
    def __init__(self, buckets: _Optional[_Iterable[_Union[ObjectBucketInfo, _Mapping]]] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
    __slots__ = ["bucket", "page_size", "page_token", "prefix"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    page_size: int
    page_token: str
    prefix: str
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListObjectsResponse(_message.Message):
    __slots__ = ["next_page_token", "objects"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    objects: _containers.RepeatedCompositeFieldContainer[ObjectInfo]
    def __init__(self, objects: _Optional[_Iterable[_Union[ObjectInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ObjectBucketInfo(_message.Message):
    __slots__ = ["bucket", "created", "description", "max_bytes", "replicas", "sealed", "size", "storage", "ttl"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    created: _timestamp_pb2.Timestamp
    description: str
    max_bytes: int
    replicas: int
    sealed: bool
    size: int
    storage: ObjectStorage
    ttl: _duration_pb2.Duration
    def __init__(self, bucket: _Optional[str] = ..., description: _Optional[str] = ..., size: _Optional[int] = ..., max_bytes: _Optional[int] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., storage: _Optional[_Union[ObjectStorage, str]] = ..., replicas: _Optional[int] = ..., sealed: bool = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ObjectInfo(_message.Message):
    __slots__ = ["bucket", "chunk_size", "chunks", "description", "metadata", "modified", "name", "object_id", "sha256", "size"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    chunk_size: int
    chunks: int
    description: str
    metadata: _containers.ScalarMap[str, str]
    modified: _timestamp_pb2.Timestamp
    name: str
    object_id: str
    sha256: bytes
    size: int
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., size: _Optional[int] = ..., sha256: _Optional[bytes] = ..., modified: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., object_id: _Optional[str] = ..., chunks: _Optional[int] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class ObjectMetadata(_message.Message):
    __slots__ = ["entries"]
    class EntriesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.ScalarMap[str, str]
    def __init__(self, entries: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PutObjectHeader(_message.Message):
    __slots__ = ["bucket", "description", "expected_sha256", "expected_size", "metadata", "name"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SHA256_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    description: str
    expected_sha256: bytes
    expected_size: int
    metadata: _containers.ScalarMap[str, str]
    name: str
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., expected_size: _Optional[int] = ..., expected_sha256: _Optional[bytes] = ...) -> None: ...

class PutObjectRequest(_message.Message):
    __slots__ = ["data", "header"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    header: PutObjectHeader
    def __init__(self, header: _Optional[_Union[PutObjectHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class PutObjectResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: ObjectInfo
    def __init__(self, info: _Optional[_Union[ObjectInfo, _Mapping]] = ...) -> None: ...

class UpdateObjectMetaRequest(_message.Message):
    __slots__ = ["bucket", "description", "metadata", "name", "new_name"]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    description: str
    metadata: ObjectMetadata
    name: str
    new_name: str
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ..., new_name: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Union[ObjectMetadata, _Mapping]] = ...) -> None: ...

class UpdateObjectMetaResponse(_message.Message):
    __slots__ = ["info"]
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: ObjectInfo
    def __init__(self, info: _Optional[_Union[ObjectInfo, _Mapping]] = ...) -> None: ...

class ObjectStorage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
