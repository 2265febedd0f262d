package natsgw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	// Bucket and Name identify the object.
	Bucket string
	Name   string
	// Description is free text given at upload or by UpdateMeta.
	Description string
	// Metadata given at upload or by UpdateMeta.
	Metadata map[string]string
	// Size in bytes.
	Size int64
	// SHA256 is the digest of the data (32 bytes).
	SHA256 []byte
	// Modified is when the object (data or info) was last written.
	Modified time.Time
	// ID identifies this version of the data; every Put makes a new one.
	ID string
	// Chunks is how many chunks the data is stored in, each ChunkSize
	// bytes but the last.
	Chunks    int
	ChunkSize int
}

func objectInfoFromProto(p *natsgwv1.ObjectInfo) *ObjectInfo {
	if p == nil {
		return nil
	}
	info := &ObjectInfo{
		Bucket:      p.GetBucket(),
		Name:        p.GetName(),
		Description: p.GetDescription(),
		Metadata:    p.GetMetadata(),
		Size:        int64(p.GetSize()),
		SHA256:      p.GetSha256(),
		ID:          p.GetObjectId(),
		Chunks:      int(p.GetChunks()),
		ChunkSize:   int(p.GetChunkSize()),
	}
	if p.GetModified() != nil {
		info.Modified = p.GetModified().AsTime()
	}
	return info
}

// ObjectStoreInfo describes an object store bucket.
type ObjectStoreInfo struct {
	// Bucket is the bucket's name.
	Bucket string
	// Description given at creation.
	Description string
	// Size is the bytes stored, including overhead.
	Size int64
	// MaxBytes is the bucket's limit; 0 means none of its own.
	MaxBytes int64
	// TTL is the age after which objects are removed; 0 means never.
	TTL time.Duration
	// Memory is true for memory storage, false for file storage.
	Memory bool
	// Replicas is the number of copies in a NATS cluster.
	Replicas int
	// Sealed buckets accept no changes.
	Sealed bool
	// Created is when the bucket was created.
	Created time.Time
}

func objectStoreInfoFromProto(p *natsgwv1.ObjectBucketInfo) *ObjectStoreInfo {
	info := &ObjectStoreInfo{
		Bucket:      p.GetBucket(),
		Description: p.GetDescription(),
		Size:        int64(p.GetSize()),
		MaxBytes:    p.GetMaxBytes(),
		Memory:      p.GetStorage() == natsgwv1.ObjectStorage_OBJECT_STORAGE_MEMORY,
		Replicas:    int(p.GetReplicas()),
		Sealed:      p.GetSealed(),
	}
	if p.GetTtl() != nil {
		info.TTL = p.GetTtl().AsDuration()
	}
	if p.GetCreated() != nil {
		info.Created = p.GetCreated().AsTime()
	}
	return info
}

func (c *Client) objects() natsgwv1.ObjectStoreServiceClient {
	return natsgwv1.NewObjectStoreServiceClient(c.conn)
}

// --- buckets ---

// ObjectStoreConfig configures an object store bucket.
type ObjectStoreConfig struct {
	// Bucket is the bucket's name: letters, digits, '_' and '-'. Required.
	Bucket string
	// Description is free text. Default: none.
	Description string
	// MaxBytes limits the bytes the bucket holds; a Put that would exceed it
	// fails with ErrResourceExhausted and stores nothing. Default 0: no
	// limit of its own.
	MaxBytes int64
	// TTL removes objects older than it (at least 1 s). Default 0: objects
	// are kept until deleted.
	TTL time.Duration
	// Memory keeps the bucket in memory (lost when NATS restarts). Default
	// false: file storage.
	Memory bool
	// Replicas is the number of copies, 1 to 5; more than 1 needs a
	// clustered NATS. Default 0: 1.
	Replicas int
}

// CreateObjectStore creates the object store bucket cfg.Bucket. Creating
// one that exists with the same settings succeeds; with other settings it
// fails with ErrAlreadyExists. Buckets need not be created first: the first
// Put to a missing bucket creates it with the defaults.
func (c *Client) CreateObjectStore(ctx context.Context, cfg ObjectStoreConfig) (*ObjectStoreInfo, error) {
	if err := checkUTF8("description", cfg.Description); err != nil {
		return nil, err
	}
	req := &natsgwv1.CreateObjectBucketRequest{
		Bucket:      cfg.Bucket,
		Description: cfg.Description,
		MaxBytes:    cfg.MaxBytes,
		Replicas:    int32(cfg.Replicas),
	}
	if cfg.TTL != 0 {
		req.Ttl = durationpb.New(cfg.TTL)
	}
	if cfg.Memory {
		req.Storage = natsgwv1.ObjectStorage_OBJECT_STORAGE_MEMORY
	}
	r, err := c.objects().CreateObjectBucket(ctx, req)
	if err != nil {
		return nil, convertError(err)
	}
	return objectStoreInfoFromProto(r.GetBucket()), nil
}

// DeleteObjectStore deletes a bucket and all its objects. ErrNotFound if it
// does not exist.
func (c *Client) DeleteObjectStore(ctx context.Context, bucket string) error {
	_, err := c.objects().DeleteObjectBucket(ctx, &natsgwv1.DeleteObjectBucketRequest{Bucket: bucket})
	return convertError(err)
}

// ObjectStores lists the organization's buckets, by name.
func (c *Client) ObjectStores(ctx context.Context) ([]*ObjectStoreInfo, error) {
	r, err := c.objects().ListObjectBuckets(ctx, &natsgwv1.ListObjectBucketsRequest{})
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]*ObjectStoreInfo, 0, len(r.GetBuckets()))
	for _, b := range r.GetBuckets() {
		out = append(out, objectStoreInfoFromProto(b))
	}
	return out, nil
}

// --- objects ---

// ObjectStore is one bucket of objects. Making one does no I/O; the bucket
// is created by the first Put if it does not exist. Safe for concurrent use.
type ObjectStore struct {
	c      *Client
	bucket string
}

// ObjectStore returns a handle on bucket.
func (c *Client) ObjectStore(bucket string) *ObjectStore {
	return &ObjectStore{c: c, bucket: bucket}
}

// Bucket is the bucket's name.
func (s *ObjectStore) Bucket() string { return s.bucket }

// PutObjectOption configures Put.
type PutObjectOption func(*putObjectOptions)

type putObjectOptions struct {
	description    string
	metadata       map[string]string
	expectedSize   *uint64
	expectedSHA256 []byte
}

// WithObjectDescription describes the object. Default: none.
func WithObjectDescription(d string) PutObjectOption {
	return func(o *putObjectOptions) { o.description = d }
}

// WithObjectMetadata attaches metadata (at most 64 entries; keys of letters,
// digits, '-', '_' and '.'). Default: none.
func WithObjectMetadata(md map[string]string) PutObjectOption {
	return func(o *putObjectOptions) { o.metadata = md }
}

// WithExpectedSize makes Put fail with ErrFailedPrecondition, storing
// nothing, unless the data is exactly n bytes. Default: any size.
func WithExpectedSize(n int64) PutObjectOption {
	return func(o *putObjectOptions) {
		u := uint64(n)
		o.expectedSize = &u
	}
}

// WithExpectedSHA256 makes Put fail with ErrFailedPrecondition, storing
// nothing, unless the data's SHA-256 digest is sum (32 bytes). The gateway
// checks it before the object becomes visible. Default: no check.
func WithExpectedSHA256(sum []byte) PutObjectOption {
	return func(o *putObjectOptions) { o.expectedSHA256 = sum }
}

// putFrame is the data carried by one PutObject frame (the gateway accepts
// up to 1 MiB).
const putFrame = 256 << 10

// Put stores the data read from r (until io.EOF) as object name, replacing
// any object of that name. It streams: memory stays at a few frames
// whatever the size. Readers see the old object until the new one is
// complete. If r fails or ctx ends, the upload is abandoned and nothing is
// stored; the error says why.
func (s *ObjectStore) Put(ctx context.Context, name string, r io.Reader, opts ...PutObjectOption) (*ObjectInfo, error) {
	return s.put(ctx, name, func() ([]byte, error) {
		// A fresh buffer per frame: gRPC may still refer to a sent message.
		buf := make([]byte, putFrame)
		n, err := io.ReadFull(r, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("natsgw: put object %q: read data: %w", name, err)
		}
		return buf[:n], err
	}, opts)
}

// PutBytes stores data as object name (see Put). data must not change until
// PutBytes returns.
func (s *ObjectStore) PutBytes(ctx context.Context, name string, data []byte, opts ...PutObjectOption) (*ObjectInfo, error) {
	return s.put(ctx, name, func() ([]byte, error) {
		n := min(len(data), putFrame)
		frame := data[:n:n]
		data = data[n:]
		if len(data) == 0 {
			return frame, io.EOF
		}
		return frame, nil
	}, opts)
}

// put streams the frames next returns (the last one with io.EOF; any other
// error abandons the upload).
func (s *ObjectStore) put(ctx context.Context, name string, next func() ([]byte, error), opts []PutObjectOption) (*ObjectInfo, error) {
	if err := s.c.errIfClosed(); err != nil {
		return nil, err
	}
	var o putObjectOptions
	for _, opt := range opts {
		opt(&o)
	}
	hdr := &natsgwv1.PutObjectHeader{
		Bucket: s.bucket, Name: name,
		Description: o.description, Metadata: o.metadata,
		ExpectedSize: o.expectedSize, ExpectedSha256: o.expectedSHA256,
	}
	if err := checkObjectStrings("header", hdr.Name, hdr.Description, hdr.Metadata); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.c.ctx, cancel) // Close abandons the upload
	defer stop()
	stream, err := s.c.objects().PutObject(ctx)
	if err != nil {
		return nil, convertError(err)
	}
	if err := stream.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Header{Header: hdr}}); err != nil {
		return nil, s.putStreamError(stream, err)
	}
	for {
		data, rerr := next()
		if len(data) > 0 {
			if err := stream.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Data{Data: data}}); err != nil {
				return nil, s.putStreamError(stream, err)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			cancel() // the gateway sees the stream canceled and stores nothing
			return nil, rerr
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, convertError(err)
	}
	return objectInfoFromProto(resp.GetInfo()), nil
}

// putStreamError finds out why a send failed: io.EOF means the gateway ended
// the stream, with the reason in its status.
func (s *ObjectStore) putStreamError(stream natsgwv1.ObjectStoreService_PutObjectClient, err error) error {
	if errors.Is(err, io.EOF) {
		_, err = stream.CloseAndRecv()
	}
	return convertError(err)
}

// GetObjectOption configures Get.
type GetObjectOption func(*getObjectOptions)

type getObjectOptions struct {
	offset, length uint64
}

// WithRange reads length bytes from offset (length 0: to the end; a range
// past the end is cut there; an offset past the end is ErrInvalidArgument).
// Default: the whole object.
func WithRange(offset, length int64) GetObjectOption {
	return func(o *getObjectOptions) {
		o.offset, o.length = uint64(max(offset, 0)), uint64(max(length, 0))
	}
}

// ObjectReader reads one object from the gateway as it streams in. Read
// returns io.EOF only after the whole requested range arrived and, for a
// whole object, the gateway verified it against its SHA-256 digest. Close it
// when done (reading to the end is not required). Not safe for concurrent
// use.
type ObjectReader struct {
	info           *ObjectInfo
	offset, length int64
	stream         natsgwv1.ObjectStoreService_GetObjectClient
	cancel         context.CancelFunc
	stop           func() bool
	cur            []byte
	read           int64
	err            error
}

// Get opens object name for reading. It returns once the gateway has found
// the object (ErrNotFound otherwise); ctx bounds the whole read, not just
// the opening.
func (s *ObjectStore) Get(ctx context.Context, name string, opts ...GetObjectOption) (*ObjectReader, error) {
	if err := s.c.errIfClosed(); err != nil {
		return nil, err
	}
	if err := checkUTF8("name", name); err != nil {
		return nil, err
	}
	var o getObjectOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := &natsgwv1.GetObjectRequest{Bucket: s.bucket, Name: name, Offset: o.offset, Length: o.length}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.c.ctx, cancel)
	stream, err := s.c.objects().GetObject(ctx, req)
	if err != nil {
		stop()
		cancel()
		return nil, convertError(err)
	}
	first, err := stream.Recv()
	if err == nil && first.GetHeader() == nil {
		err = status.Error(codes.Internal, "get object: the gateway sent no header")
	}
	if err != nil {
		stop()
		cancel()
		return nil, convertError(err)
	}
	h := first.GetHeader()
	return &ObjectReader{
		info:   objectInfoFromProto(h.GetInfo()),
		offset: int64(h.GetOffset()),
		length: int64(h.GetLength()),
		stream: stream, cancel: cancel, stop: stop,
	}, nil
}

// Info describes the object being read.
func (r *ObjectReader) Info() *ObjectInfo { return r.info }

// Range is the byte range being read: the requested one, cut at the end of
// the object.
func (r *ObjectReader) Range() (offset, length int64) { return r.offset, r.length }

// Read reads the next bytes of the object.
func (r *ObjectReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// fill receives the next frame; at the end it returns io.EOF (or the error
// that ended the stream), and keeps returning it.
func (r *ObjectReader) fill() error {
	if r.err != nil {
		return r.err
	}
	m, err := r.stream.Recv()
	switch {
	case errors.Is(err, io.EOF):
		if r.read != r.length {
			r.err = fmt.Errorf("natsgw: get object %q: %w after %d of %d bytes", r.info.Name, io.ErrUnexpectedEOF, r.read, r.length)
		} else {
			r.err = io.EOF
		}
		r.close()
		return r.err
	case err != nil:
		r.err = convertError(err)
		r.close()
		return r.err
	}
	r.cur = m.GetData()
	r.read += int64(len(r.cur))
	return nil
}

// WriteTo writes the rest of the object to w (io.Copy uses it, saving a
// copy of every byte).
func (r *ObjectReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.cur) == 0 {
			if err := r.fill(); err != nil {
				if errors.Is(err, io.EOF) {
					return total, nil
				}
				return total, err
			}
			continue
		}
		n, err := w.Write(r.cur)
		total += int64(n)
		r.cur = r.cur[n:]
		if err != nil {
			return total, err
		}
	}
}

func (r *ObjectReader) close() {
	r.stop()
	r.cancel()
}

// Close stops reading and releases the stream. It always returns nil.
func (r *ObjectReader) Close() error {
	r.close()
	if r.err == nil {
		r.err = ErrClosed
	}
	return nil
}

// getBytesAttempts bounds how often GetBytes starts over when the object is
// replaced while it is read.
const getBytesAttempts = 5

// GetBytes reads a whole object (or a range, WithRange) into memory. If the
// object is replaced during the read, it starts over, so it returns either
// the old or the new object, never a mix.
func (s *ObjectStore) GetBytes(ctx context.Context, name string, opts ...GetObjectOption) ([]byte, *ObjectInfo, error) {
	for attempt := 1; ; attempt++ {
		r, err := s.Get(ctx, name, opts...)
		if err != nil {
			return nil, nil, err
		}
		buf := bytes.NewBuffer(make([]byte, 0, r.length))
		_, err = r.WriteTo(buf)
		r.Close()
		var ge *Error
		if errors.As(err, &ge) && ge.Code == codes.Aborted && attempt < getBytesAttempts {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return buf.Bytes(), r.info, nil
	}
}

// Info returns an object's info. ErrNotFound if it does not exist.
func (s *ObjectStore) Info(ctx context.Context, name string) (*ObjectInfo, error) {
	if err := checkUTF8("name", name); err != nil {
		return nil, err
	}
	r, err := s.c.objects().GetObjectInfo(ctx, &natsgwv1.GetObjectInfoRequest{Bucket: s.bucket, Name: name})
	if err != nil {
		return nil, convertError(err)
	}
	return objectInfoFromProto(r.GetInfo()), nil
}

// ListObjectsOption configures List.
type ListObjectsOption func(*listObjectsOptions)

type listObjectsOptions struct {
	prefix   string
	pageSize uint32
}

// WithNamePrefix lists only objects whose name starts with prefix. Default:
// all.
func WithNamePrefix(prefix string) ListObjectsOption {
	return func(o *listObjectsOptions) { o.prefix = prefix }
}

// WithPageSize sets how many objects each call to the gateway returns (1 to
// 1000). Default: 100.
func WithPageSize(n int) ListObjectsOption {
	return func(o *listObjectsOptions) { o.pageSize = uint32(max(n, 0)) }
}

// List iterates over the bucket's objects in the order they were last
// written, fetching a page at a time. An object written during the listing
// may show up twice; one that exists throughout shows up. Iteration stops at
// the first error, which it yields.
//
//	for info, err := range store.List(ctx) {
//		if err != nil { return err }
//		fmt.Println(info.Name, info.Size)
//	}
func (s *ObjectStore) List(ctx context.Context, opts ...ListObjectsOption) iter.Seq2[*ObjectInfo, error] {
	return func(yield func(*ObjectInfo, error) bool) {
		var o listObjectsOptions
		for _, opt := range opts {
			opt(&o)
		}
		req := &natsgwv1.ListObjectsRequest{Bucket: s.bucket, Prefix: o.prefix, PageSize: o.pageSize}
		if err := checkUTF8("prefix", req.Prefix); err != nil {
			yield(nil, err)
			return
		}
		for {
			r, err := s.c.objects().ListObjects(ctx, req)
			if err != nil {
				yield(nil, convertError(err))
				return
			}
			for _, o := range r.GetObjects() {
				if !yield(objectInfoFromProto(o), nil) {
					return
				}
			}
			if r.GetNextPageToken() == "" {
				return
			}
			req.PageToken = r.GetNextPageToken()
		}
	}
}

// Delete deletes an object and its data. ErrNotFound if it does not exist.
func (s *ObjectStore) Delete(ctx context.Context, name string) error {
	if err := checkUTF8("name", name); err != nil {
		return err
	}
	_, err := s.c.objects().DeleteObject(ctx, &natsgwv1.DeleteObjectRequest{Bucket: s.bucket, Name: name})
	return convertError(err)
}

// UpdateMetaOption says what UpdateMeta changes.
type UpdateMetaOption func(*updateMetaOptions)

// updateMetaOptions: nil means "unchanged".
type updateMetaOptions struct {
	newName, description *string
	metadata             *natsgwv1.ObjectMetadata
}

// RenameObject gives the object a new name; ErrAlreadyExists if an object
// has it. Default: the name is unchanged.
func RenameObject(newName string) UpdateMetaOption {
	return func(o *updateMetaOptions) { o.newName = &newName }
}

// SetObjectDescription replaces the object's description. Default: the
// description is unchanged.
func SetObjectDescription(d string) UpdateMetaOption {
	return func(o *updateMetaOptions) { o.description = &d }
}

// SetObjectMetadata replaces all of the object's metadata (an empty map
// clears it). Default: the metadata is unchanged.
func SetObjectMetadata(md map[string]string) UpdateMetaOption {
	return func(o *updateMetaOptions) { o.metadata = &natsgwv1.ObjectMetadata{Entries: md} }
}

// UpdateMeta changes an object's name, description or metadata without
// touching its data; what is not mentioned stays. It returns the updated
// info.
func (s *ObjectStore) UpdateMeta(ctx context.Context, name string, opts ...UpdateMetaOption) (*ObjectInfo, error) {
	var o updateMetaOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := &natsgwv1.UpdateObjectMetaRequest{Bucket: s.bucket, Name: name, NewName: o.newName, Description: o.description, Metadata: o.metadata}
	if err := checkObjectStrings("", name, req.GetDescription(), req.GetMetadata().GetEntries()); err != nil {
		return nil, err
	}
	if err := checkUTF8("new_name", req.GetNewName()); err != nil {
		return nil, err
	}
	r, err := s.c.objects().UpdateObjectMeta(ctx, req)
	if err != nil {
		return nil, convertError(err)
	}
	return objectInfoFromProto(r.GetInfo()), nil
}

// checkUTF8 rejects text that protobuf cannot carry, with the error the
// gateway would give.
func checkUTF8(field, s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	st := status.New(codes.InvalidArgument, field+": must be valid UTF-8")
	if d, err := st.WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: "must be valid UTF-8"}},
	}); err == nil {
		st = d
	}
	return convertError(st.Err())
}

func checkObjectStrings(prefix, name, description string, md map[string]string) error {
	if prefix != "" {
		prefix += "."
	}
	if err := checkUTF8(prefix+"name", name); err != nil {
		return err
	}
	if err := checkUTF8(prefix+"description", description); err != nil {
		return err
	}
	for k, v := range md {
		if err := checkUTF8(prefix+"metadata", k); err != nil {
			return err
		}
		if err := checkUTF8(prefix+"metadata["+k+"]", v); err != nil {
			return err
		}
	}
	return nil
}
