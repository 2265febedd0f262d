package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// The object store keeps the NATS object store's format (ADR-20), so raw
// nats.go clients read what the gateway writes and the other way round: a
// bucket "docs" of org "acme" is the NATS bucket "tenant_acme_docs" (stream
// "OBJ_tenant_acme_docs"); an object's data is a sequence of chunks on
// "$O.<bucket>.C.<nuid>" (a fresh nuid per put) and its info is one JSON
// message on "$O.<bucket>.M.<base64url(name)>", kept alone by a subject
// rollup. An object becomes visible when its info message is stored, so
// readers never see a partial object; everything else (verification, range
// reads, paging, cleanup, compare-and-set updates) is built here. See
// docs/ARCHITECTURE.md, "Object store".

// Limits of the object store service.
const (
	// objChunkSize is the size of every chunk the gateway stores but the
	// last (nats.go's default).
	objChunkSize = 128 << 10
	// maxPutPiece bounds one data frame of PutObject.
	maxPutPiece = 1 << 20
	// maxGetPiece bounds one data frame of GetObject.
	maxGetPiece = 256 << 10
	// MaxObjectNameLen bounds object names, in bytes.
	MaxObjectNameLen = 1024
	// maxDescriptionLen bounds bucket and object descriptions, in bytes.
	maxDescriptionLen = 4096
	// Metadata bounds: entries, key length (characters), value length (bytes).
	maxMetaEntries  = 64
	maxMetaKeyLen   = 128
	maxMetaValueLen = 1024
	// List page sizes.
	defaultPageSize = 100
	maxPageSize     = 1000
	// maxReplicas bounds a bucket's replicas (as NATS does).
	maxReplicas = 5
	// casAttempts bounds the retries of a compare-and-set write of an
	// object's info that keeps losing to concurrent writers.
	casAttempts = 16
	// cleanupTimeout bounds a purge of chunks, which runs even when the
	// caller has gone away.
	cleanupTimeout = 30 * time.Second
)

// objectServer implements ObjectStoreService.
type objectServer struct {
	natsgwv1.UnimplementedObjectStoreServiceServer
	g *Gateway
	// js publishes chunks asynchronously. It is the object store's own so
	// that every pending publish ends (acked, failed or timed out after
	// ackTimeout) without changing the shared context's settings.
	js jetstream.JetStream
}

// chunkAckTimeout bounds the wait for NATS to store one chunk.
const chunkAckTimeout = 30 * time.Second

func newObjectServer(g *Gateway) (*objectServer, error) {
	js, err := jetstream.New(g.nc, jetstream.WithPublishAsyncTimeout(chunkAckTimeout))
	if err != nil {
		return nil, err
	}
	return &objectServer{g: g, js: js}, nil
}

// objBucket names one bucket of an organization, as the caller sees it and
// in NATS.
type objBucket struct {
	name   string // the caller's name
	nats   string // NATS object store bucket: "<root>_<org>_<name>"
	stream string // its stream: "OBJ_<nats>"
}

func (b objBucket) chunkSubject(nuid string) string { return "$O." + b.nats + ".C." + nuid }
func (b objBucket) metaSubject(name string) string {
	return "$O." + b.nats + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
}
func (b objBucket) metaWildcard() string { return "$O." + b.nats + ".M.>" }

// bucket validates the bucket name in request field `field` and maps it
// into org.
func (g *Gateway) bucket(org, field, name string) (objBucket, error) {
	n, err := g.m.Name(org, name)
	if err != nil {
		return objBucket{}, invalidArgument(field, err)
	}
	return objBucket{name: name, nats: n, stream: "OBJ_" + n}, nil
}

// callerBucket maps a request's bucket (field "bucket") into the caller's
// organization.
func (g *Gateway) callerBucket(ctx context.Context, bucket string) (objBucket, error) {
	id, err := identity(ctx)
	if err != nil {
		return objBucket{}, err
	}
	return g.bucket(id.Org, "bucket", bucket)
}

// callerObject is callerBucket plus the check of the object's name (field
// "name").
func (g *Gateway) callerObject(ctx context.Context, bucket, name string) (objBucket, error) {
	b, err := g.callerBucket(ctx, bucket)
	if err != nil {
		return objBucket{}, err
	}
	return b, validateObjectName("name", name)
}

// bucketFromStream maps a NATS stream name back to org's bucket, if it is
// one.
func (g *Gateway) bucketFromStream(org, stream string) (objBucket, bool) {
	n, ok := strings.CutPrefix(stream, "OBJ_")
	if !ok {
		return objBucket{}, false
	}
	name, ok := g.m.ClientName(org, n)
	if !ok {
		return objBucket{}, false
	}
	return objBucket{name: name, nats: n, stream: stream}, true
}

// validateObjectName checks an object name: valid UTF-8, 1 to 1024 bytes, no
// control characters (C0, DEL, C1). Names are not mapped (they live inside
// the organization's bucket); this keeps them printable and bounded.
func validateObjectName(field, name string) error {
	switch {
	case name == "":
		return invalidArgumentf(field, "must not be empty")
	case len(name) > MaxObjectNameLen:
		return invalidArgumentf(field, "must be at most %d bytes (got %d)", MaxObjectNameLen, len(name))
	case !utf8.ValidString(name):
		return invalidArgumentf(field, "must be valid UTF-8")
	}
	for i, r := range name {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return invalidArgumentf(field, "must not contain control characters (found %U at byte %d)", r, i)
		}
	}
	return nil
}

func validateDescription(field, d string) error {
	if len(d) > maxDescriptionLen {
		return invalidArgumentf(field, "must be at most %d bytes (got %d)", maxDescriptionLen, len(d))
	}
	if !utf8.ValidString(d) {
		return invalidArgumentf(field, "must be valid UTF-8")
	}
	return nil
}

// validateMetadata checks object metadata: at most 64 entries; keys of 1 to
// 128 letters, digits, '-', '_' and '.'; values valid UTF-8 of at most 1024
// bytes.
func validateMetadata(field string, md map[string]string) error {
	if len(md) > maxMetaEntries {
		return invalidArgumentf(field, "at most %d entries (got %d)", maxMetaEntries, len(md))
	}
	for k, v := range md {
		if k == "" || len(k) > maxMetaKeyLen {
			return invalidArgumentf(field, "keys must be 1 to %d characters (got %q)", maxMetaKeyLen, k)
		}
		for i := 0; i < len(k); i++ {
			if c := k[i]; !(isAlnumByte(c) || c == '-' || c == '_' || c == '.') {
				return invalidArgumentf(field, "keys may contain only letters, digits, '-', '_' and '.' (key %q)", k)
			}
		}
		if len(v) > maxMetaValueLen {
			return invalidArgumentf(field+"["+k+"]", "must be at most %d bytes (got %d)", maxMetaValueLen, len(v))
		}
		if !utf8.ValidString(v) {
			return invalidArgumentf(field+"["+k+"]", "must be valid UTF-8")
		}
	}
	return nil
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// objectInfo converts a stored object info for the caller of bucket b.
func objectInfo(b objBucket, info *jetstream.ObjectInfo) *natsgwv1.ObjectInfo {
	out := &natsgwv1.ObjectInfo{
		Bucket:      b.name,
		Name:        info.Name,
		Description: info.Description,
		Metadata:    info.Metadata,
		Size:        info.Size,
		Chunks:      info.Chunks,
		ObjectId:    info.NUID,
	}
	if sum, err := jetstream.DecodeObjectDigest(info.Digest); err == nil {
		out.Sha256 = sum
	}
	if !info.ModTime.IsZero() {
		out.Modified = timestamppb.New(info.ModTime)
	}
	if info.Opts != nil {
		out.ChunkSize = info.Opts.ChunkSize
	}
	return out
}

// --- buckets ---

// defaultBucketConfig is what a write to a missing bucket creates: file
// storage, one replica, no TTL, no byte limit of its own.
func defaultBucketConfig(b objBucket) jetstream.ObjectStoreConfig {
	return jetstream.ObjectStoreConfig{Bucket: b.nats, Storage: jetstream.FileStorage, Replicas: 1}
}

// bucketStream returns the stream of an existing bucket; NotFound if there
// is none.
func (g *Gateway) bucketStream(ctx context.Context, b objBucket) (jetstream.Stream, error) {
	st, err := g.js.Stream(ctx, b.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, notFound("bucket %q not found", b.name)
	}
	if err != nil {
		return nil, g.natsError(ctx, fmt.Sprintf("look up bucket %q", b.name), err)
	}
	return st, nil
}

// bucketForWrite returns the stream of bucket b, creating the bucket with
// the defaults when it does not exist.
func (g *Gateway) bucketForWrite(ctx context.Context, b objBucket) (jetstream.Stream, error) {
	st, err := g.js.Stream(ctx, b.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		// A concurrent create with the same settings succeeds too; one with
		// other settings (ErrBucketExists) made the bucket we want to use.
		if _, err = g.js.CreateObjectStore(ctx, defaultBucketConfig(b)); err != nil && !errors.Is(err, jetstream.ErrBucketExists) {
			return nil, g.natsError(ctx, fmt.Sprintf("create bucket %q", b.name), err)
		}
		st, err = g.js.Stream(ctx, b.stream)
	}
	if err != nil {
		return nil, g.natsError(ctx, fmt.Sprintf("look up bucket %q", b.name), err)
	}
	return st, nil
}

// bucketMissing turns "nobody answers direct gets for the stream" into
// NotFound when the bucket does not exist.
func (g *Gateway) bucketMissing(ctx context.Context, b objBucket, action string, err error) error {
	if !errors.Is(err, errNoStream) {
		return g.natsError(ctx, action, err)
	}
	if _, err := g.bucketStream(ctx, b); err != nil {
		return err
	}
	return unavailable("%s: bucket %q is not ready; retry", action, b.name)
}

func bucketInfo(b objBucket, si *jetstream.StreamInfo) *natsgwv1.ObjectBucketInfo {
	out := &natsgwv1.ObjectBucketInfo{
		Bucket:      b.name,
		Description: si.Config.Description,
		Size:        si.State.Bytes,
		MaxBytes:    max(si.Config.MaxBytes, 0),
		Storage:     natsgwv1.ObjectStorage_OBJECT_STORAGE_FILE,
		Replicas:    int32(si.Config.Replicas),
		Sealed:      si.Config.Sealed,
		Created:     timestamppb.New(si.Created),
	}
	if si.Config.MaxAge > 0 {
		out.Ttl = durationpb.New(si.Config.MaxAge)
	}
	if si.Config.Storage == jetstream.MemoryStorage {
		out.Storage = natsgwv1.ObjectStorage_OBJECT_STORAGE_MEMORY
	}
	return out
}

func (s *objectServer) CreateObjectBucket(ctx context.Context, req *natsgwv1.CreateObjectBucketRequest) (*natsgwv1.CreateObjectBucketResponse, error) {
	b, err := s.g.callerBucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	cfg := defaultBucketConfig(b)
	if err := validateDescription("description", req.GetDescription()); err != nil {
		return nil, err
	}
	cfg.Description = req.GetDescription()
	if req.GetMaxBytes() < 0 {
		return nil, invalidArgumentf("max_bytes", "must not be negative (0 means no limit)")
	}
	cfg.MaxBytes = req.GetMaxBytes()
	if t := req.GetTtl(); t != nil {
		if err := t.CheckValid(); err != nil || t.AsDuration() < 0 || t.AsDuration() > 0 && t.AsDuration() < time.Second {
			return nil, invalidArgumentf("ttl", "must be 0 (keep objects) or at least 1s")
		}
		cfg.TTL = t.AsDuration()
	}
	switch req.GetStorage() {
	case natsgwv1.ObjectStorage_OBJECT_STORAGE_UNSPECIFIED, natsgwv1.ObjectStorage_OBJECT_STORAGE_FILE:
	case natsgwv1.ObjectStorage_OBJECT_STORAGE_MEMORY:
		cfg.Storage = jetstream.MemoryStorage
	default:
		return nil, invalidArgumentf("storage", "unknown storage %d", req.GetStorage())
	}
	if r := req.GetReplicas(); r < 0 || r > maxReplicas {
		return nil, invalidArgumentf("replicas", "must be 1 to %d (0 means 1)", maxReplicas)
	} else if r > 0 {
		cfg.Replicas = int(r)
	}
	if _, err := s.g.js.CreateObjectStore(ctx, cfg); err != nil {
		if apiErrorCode(err) == jsErrCodeReplicasNotSupported {
			return nil, invalidArgumentf("replicas", "more than 1 needs a clustered NATS")
		}
		if errors.Is(err, jetstream.ErrBucketExists) {
			return nil, alreadyExists("bucket %q already exists with other settings", b.name)
		}
		return nil, s.g.natsError(ctx, fmt.Sprintf("create bucket %q", b.name), err)
	}
	st, err := s.g.bucketStream(ctx, b)
	if err != nil {
		return nil, err
	}
	return &natsgwv1.CreateObjectBucketResponse{Bucket: bucketInfo(b, st.CachedInfo())}, nil
}

func (s *objectServer) DeleteObjectBucket(ctx context.Context, req *natsgwv1.DeleteObjectBucketRequest) (*natsgwv1.DeleteObjectBucketResponse, error) {
	b, err := s.g.callerBucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	if err := s.g.js.DeleteObjectStore(ctx, b.nats); err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, notFound("bucket %q not found", b.name)
		}
		return nil, s.g.natsError(ctx, fmt.Sprintf("delete bucket %q", b.name), err)
	}
	return &natsgwv1.DeleteObjectBucketResponse{}, nil
}

func (s *objectServer) ListObjectBuckets(ctx context.Context, _ *natsgwv1.ListObjectBucketsRequest) (*natsgwv1.ListObjectBucketsResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	// Object store streams are the only ones named "OBJ_..."; keep the
	// org's (the mapping's prefix) and ask for their state.
	var mine []objBucket
	names := s.g.js.StreamNames(ctx)
	for n := range names.Name() {
		if b, ok := s.g.bucketFromStream(id.Org, n); ok {
			mine = append(mine, b)
		}
	}
	if err := names.Err(); err != nil {
		return nil, s.g.natsError(ctx, "list buckets", err)
	}
	slices.SortFunc(mine, func(a, b objBucket) int { return strings.Compare(a.name, b.name) })
	out := &natsgwv1.ListObjectBucketsResponse{}
	for _, b := range mine {
		st, err := s.g.js.Stream(ctx, b.stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, s.g.natsError(ctx, "list buckets", err)
		}
		out.Buckets = append(out.Buckets, bucketInfo(b, st.CachedInfo()))
	}
	return out, nil
}

// --- object info, listing, delete, update ---

func (s *objectServer) GetObjectInfo(ctx context.Context, req *natsgwv1.GetObjectInfoRequest) (*natsgwv1.GetObjectInfoResponse, error) {
	b, err := s.g.callerObject(ctx, req.GetBucket(), req.GetName())
	if err != nil {
		return nil, err
	}
	cur, err := s.g.liveMeta(ctx, b, req.GetName())
	if err != nil {
		return nil, err
	}
	return &natsgwv1.GetObjectInfoResponse{Info: objectInfo(b, cur.info)}, nil
}

// pageToken is "o1." + base64url of the next stream sequence: opaque to
// clients, checked when it comes back. It only says where to resume in the
// caller's own bucket, so a forged one can do no harm beyond skipping.
const pageTokenPrefix = "o1."

func encodePageToken(seq uint64) string {
	return pageTokenPrefix + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d", seq))
}

func decodePageToken(tok string) (uint64, bool) {
	rest, ok := strings.CutPrefix(tok, pageTokenPrefix)
	if !ok {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return 0, false
	}
	var seq uint64
	if _, err := fmt.Sscanf(string(raw), "%d", &seq); err != nil || seq == 0 || fmt.Sprint(seq) != string(raw) {
		return 0, false
	}
	return seq, true
}

// ListObjects pages through the bucket's info messages in stream order with
// batched direct gets: a page costs reading the infos from the token's
// position until the page is full (plus the ones a prefix filters out), and
// never holds more than one batch, whatever the bucket's size.
func (s *objectServer) ListObjects(ctx context.Context, req *natsgwv1.ListObjectsRequest) (*natsgwv1.ListObjectsResponse, error) {
	b, err := s.g.callerBucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	prefix := req.GetPrefix()
	if len(prefix) > MaxObjectNameLen {
		return nil, invalidArgumentf("prefix", "must be at most %d bytes (got %d)", MaxObjectNameLen, len(prefix))
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		return nil, invalidArgumentf("page_size", "must be at most %d (got %d)", maxPageSize, size)
	}
	var from uint64
	if tok := req.GetPageToken(); tok != "" {
		var ok bool
		if from, ok = decodePageToken(tok); !ok {
			return nil, invalidArgumentf("page_token", "malformed: pass the next_page_token of the previous page unchanged")
		}
	}

	db, err := s.g.newDirectBatch(b.stream, b.metaWildcard())
	if err != nil {
		return nil, s.g.natsError(ctx, "list objects", err)
	}
	defer db.close()
	out := &natsgwv1.ListObjectsResponse{}
	for len(out.Objects) < size {
		var last uint64
		pending, err := db.fetch(ctx, from, size-len(out.Objects), 1<<20, func(sm storedMsg) error {
			last = sm.seq
			info, err := decodeMeta(sm)
			if err != nil {
				s.g.log.WarnContext(ctx, "object store: skipping malformed object info", "bucket", b.nats, "seq", sm.seq, "err", err)
				return nil
			}
			if !info.Deleted && strings.HasPrefix(info.Name, prefix) {
				out.Objects = append(out.Objects, objectInfo(b, info))
			}
			return nil
		})
		if errors.Is(err, errNoMessage) {
			return out, nil // nothing (more) in the bucket
		}
		if err != nil {
			return nil, s.g.bucketMissing(ctx, b, "list objects", err)
		}
		if last == 0 {
			return out, nil
		}
		from = last + 1
		if pending == 0 {
			return out, nil
		}
	}
	out.NextPageToken = encodePageToken(from)
	return out, nil
}

func (s *objectServer) DeleteObject(ctx context.Context, req *natsgwv1.DeleteObjectRequest) (*natsgwv1.DeleteObjectResponse, error) {
	name := req.GetName()
	b, err := s.g.callerObject(ctx, req.GetBucket(), name)
	if err != nil {
		return nil, err
	}
	st, err := s.g.bucketStream(ctx, b)
	if err != nil {
		return nil, err
	}
	for range casAttempts {
		cur, err := s.g.liveMeta(ctx, b, name)
		if err != nil {
			return nil, err
		}
		// The marker is nats.go's: the info with deleted set and the data
		// fields cleared; it keeps the nuid so nats.go clients agree.
		marker := *cur.info
		marker.Deleted, marker.Size, marker.Chunks, marker.Digest = true, 0, 0, ""
		if _, err := s.g.publishMeta(ctx, b, &marker, cur.seq); isWrongLastSeq(err) {
			continue // changed since we read it: look again
		} else if err != nil {
			return nil, s.g.natsError(ctx, fmt.Sprintf("delete object %q", name), err)
		}
		s.g.purgeChunks(ctx, st, b, cur.info.NUID)
		return &natsgwv1.DeleteObjectResponse{}, nil
	}
	return nil, aborted("delete object %q: it keeps changing concurrently; retry", name)
}

func (s *objectServer) UpdateObjectMeta(ctx context.Context, req *natsgwv1.UpdateObjectMetaRequest) (*natsgwv1.UpdateObjectMetaResponse, error) {
	name := req.GetName()
	b, err := s.g.callerObject(ctx, req.GetBucket(), name)
	if err != nil {
		return nil, err
	}
	newName := name
	if req.NewName != nil {
		newName = req.GetNewName()
		if err := validateObjectName("new_name", newName); err != nil {
			return nil, err
		}
	}
	if req.Description != nil {
		if err := validateDescription("description", req.GetDescription()); err != nil {
			return nil, err
		}
	}
	if md := req.GetMetadata(); md != nil {
		if err := validateMetadata("metadata.entries", md.GetEntries()); err != nil {
			return nil, err
		}
	}
	if _, err := s.g.bucketStream(ctx, b); err != nil {
		return nil, err
	}
	for range casAttempts {
		cur, err := s.g.liveMeta(ctx, b, name)
		if err != nil {
			return nil, err
		}
		upd := *cur.info
		upd.Name = newName
		if req.Description != nil {
			upd.Description = req.GetDescription()
		}
		if md := req.GetMetadata(); md != nil {
			upd.Metadata = md.GetEntries()
		}
		var info *jetstream.ObjectInfo
		if newName == name {
			info, err = s.g.updateInPlace(ctx, b, &upd, cur.seq)
		} else {
			info, err = s.g.rename(ctx, b, cur, &upd)
		}
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &natsgwv1.UpdateObjectMetaResponse{Info: objectInfo(b, info)}, nil
	}
	return nil, aborted("update object %q: it keeps changing concurrently; retry", name)
}

// errConflict: a compare-and-set write of an object's info lost to a
// concurrent writer; read again and retry.
var errConflict = errors.New("object info changed concurrently")

func (g *Gateway) updateInPlace(ctx context.Context, b objBucket, upd *jetstream.ObjectInfo, seq uint64) (*jetstream.ObjectInfo, error) {
	newSeq, err := g.publishMeta(ctx, b, upd, seq)
	if isWrongLastSeq(err) {
		return nil, errConflict
	}
	if err != nil {
		return nil, g.natsError(ctx, fmt.Sprintf("update object %q", upd.Name), err)
	}
	g.stampModTime(ctx, b, upd, newSeq)
	return upd, nil
}

// rename moves cur to upd.Name: it claims the new name (only if no live
// object has it), then retires the old name with a marker that carries no
// nuid (so deleting the old name later can never purge the data that now
// belongs to the new one). If the old name changed in between (a put or a
// delete won the race), the claim is undone and the caller retries or
// reports the conflict.
func (g *Gateway) rename(ctx context.Context, b objBucket, cur metaState, upd *jetstream.ObjectInfo) (*jetstream.ObjectInfo, error) {
	dst, err := g.loadMeta(ctx, b, upd.Name)
	if err != nil {
		return nil, err
	}
	if dst.info != nil && !dst.info.Deleted {
		return nil, alreadyExists("rename object %q: an object named %q already exists", cur.info.Name, upd.Name)
	}
	newSeq, err := g.publishMeta(ctx, b, upd, dst.seq)
	if isWrongLastSeq(err) {
		return nil, errConflict
	}
	if err != nil {
		return nil, g.natsError(ctx, fmt.Sprintf("rename object %q", cur.info.Name), err)
	}
	retired := jetstream.ObjectInfo{ObjectMeta: jetstream.ObjectMeta{Name: cur.info.Name}, Bucket: b.nats, Deleted: true}
	if _, err := g.publishMeta(ctx, b, &retired, cur.seq); err != nil {
		// Undo the claim unless someone changed the new name meanwhile.
		undo := retired
		undo.Name = upd.Name
		if _, uerr := g.publishMeta(ctx, b, &undo, newSeq); uerr != nil && !isWrongLastSeq(uerr) {
			g.log.ErrorContext(ctx, "object store: rename left two names for one object", "bucket", b.nats, "from", cur.info.Name, "to", upd.Name, "err", uerr)
		}
		if isWrongLastSeq(err) {
			return nil, aborted("rename object %q: it was changed concurrently; retry", cur.info.Name)
		}
		return nil, g.natsError(ctx, fmt.Sprintf("rename object %q", cur.info.Name), err)
	}
	g.stampModTime(ctx, b, upd, newSeq)
	return upd, nil
}

// decodeMeta parses an object info message.
func decodeMeta(sm storedMsg) (*jetstream.ObjectInfo, error) {
	var info jetstream.ObjectInfo
	if err := json.Unmarshal(sm.data, &info); err != nil {
		return nil, err
	}
	info.ModTime = sm.time
	return &info, nil
}

// digestMatches reports whether sum is the SHA-256 digest info records.
func digestMatches(info *jetstream.ObjectInfo, sum []byte) bool {
	want, err := jetstream.DecodeObjectDigest(info.Digest)
	return err == nil && bytes.Equal(want, sum)
}
