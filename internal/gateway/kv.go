package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/kvcache"
)

// Key-value buckets are native NATS KV buckets named by the tenant mapper
// ("<root>_<org>_<bucket>", so the stream is "KV_<root>_<org>_<bucket>");
// keys are not mapped, they live inside the org's bucket. See
// docs/ARCHITECTURE.md, "Key-value".

// Bucket defaults and limits (documented in kv.proto).
const (
	defaultKVHistory        = 5
	defaultKVLimitMarkerTTL = time.Second
	maxKVDescription        = 4096
	maxKVReplicas           = 5
	// kvCacheSize bounds the open bucket handles kept per gateway.
	kvCacheSize = 4096
)

// nats.go names a bucket's stream and subjects like this (jetstream/kv.go).
// Only Get at the revision of a delete marker reads the stream directly.
const (
	kvStreamPrefix  = "KV_"
	kvSubjectPrefix = "$KV."
	kvOpHeader      = "KV-Operation"
)

type kvServer struct {
	natsgwv1.UnimplementedKeyValueServiceServer
	g       *Gateway
	cache   kvCache
	watches watchSet
	// reads is the read cache of bucket contents; nil when turned off.
	reads *kvcache.Cache[*natsgwv1.KeyValueEntry]
}

func newKVServer(g *Gateway) *kvServer {
	s := &kvServer{g: g, cache: kvCache{m: make(map[string]jetstream.KeyValue)}, watches: watchSet{m: map[string]map[*watchHandle]struct{}{}}}
	if cfg := g.cfg.KVCache; cfg != nil {
		s.reads = kvcache.New(*cfg, kvcache.Source[*natsgwv1.KeyValueEntry]{
			Open: func(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
				kv, _, err := s.open(ctx, kvBucket{nats: bucket}, false)
				return kv, err
			},
			Live:    g.nc.IsConnected,
			Convert: entryToProto,
		})
	}
	return s
}

// close stops the read cache's watches.
func (s *kvServer) close() {
	if s.reads != nil {
		s.reads.Close()
	}
}

// seen tells the read cache of a revision of b written or read from NATS
// through this instance, so that reads here never return an older state.
func (s *kvServer) seen(b kvBucket, rev uint64) {
	if s.reads != nil {
		s.reads.Seen(b.nats, rev)
	}
}

// forget drops b from the read cache (deleted or reconfigured).
func (s *kvServer) forget(name string) {
	if s.reads != nil {
		s.reads.Drop(name)
	}
}

// bucketDeleted is told (by NATS's stream-deleted advisory, on every
// instance) that the NATS bucket name is gone: its handle is dropped and
// its watches end at once with NOT_FOUND. Without it a watch would notice
// only when nats.go misses the consumer's heartbeats, 10-20 s later.
func (s *kvServer) bucketDeleted(name string) {
	s.cache.drop(name, nil)
	s.forget(name)
	s.watches.bucketDeleted(name)
}

// errBucketDeleted is the cause with which a deleted bucket's watches are
// canceled.
var errBucketDeleted = errors.New("the bucket was deleted")

// watchSet holds the cancel functions of the open watches by NATS bucket.
type watchSet struct {
	mu sync.Mutex
	m  map[string]map[*watchHandle]struct{}
}

type watchHandle struct{ cancel context.CancelCauseFunc }

// add registers a watch of bucket; the returned func unregisters it.
func (w *watchSet) add(bucket string, cancel context.CancelCauseFunc) (remove func()) {
	h := &watchHandle{cancel: cancel}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m[bucket] == nil {
		w.m[bucket] = map[*watchHandle]struct{}{}
	}
	w.m[bucket][h] = struct{}{}
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.m[bucket], h)
		if len(w.m[bucket]) == 0 {
			delete(w.m, bucket)
		}
	}
}

// bucketDeleted cancels every watch of bucket with errBucketDeleted.
func (w *watchSet) bucketDeleted(bucket string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for h := range w.m[bucket] {
		h.cancel(errBucketDeleted)
	}
}

// kvCache keeps open bucket handles by NATS bucket name, so a Get or Put
// costs one NATS round trip instead of two (opening a bucket asks for its
// stream info). A handle stays valid when its bucket is updated; when the
// bucket is deleted (possibly through another gateway instance) NATS has no
// responder for it, and withBucket drops the handle.
type kvCache struct {
	mu sync.RWMutex
	m  map[string]jetstream.KeyValue
}

func (c *kvCache) get(name string) jetstream.KeyValue {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[name]
}

func (c *kvCache) put(name string, kv jetstream.KeyValue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= kvCacheSize {
		for k := range c.m { // drop an arbitrary one
			delete(c.m, k)
			break
		}
	}
	c.m[name] = kv
}

// drop forgets name's handle if it is still kv (or any handle, for nil).
func (c *kvCache) drop(name string, kv jetstream.KeyValue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kv == nil || c.m[name] == kv {
		delete(c.m, name)
	}
}

// kvBucket is a request's bucket: the caller's name and organization, and
// the NATS name.
type kvBucket struct {
	name, org, nats string
}

// subject is key's NATS subject in the bucket.
func (b kvBucket) subject(key string) string { return kvSubjectPrefix + b.nats + "." + key }

// bucket maps the request's bucket field into the caller's organization.
func (s *kvServer) bucket(ctx context.Context, bucket string) (kvBucket, error) {
	id, err := identity(ctx)
	if err != nil {
		return kvBucket{}, err
	}
	n, err := s.g.m.Name(id.Org, bucket)
	if err != nil {
		return kvBucket{}, invalidArgument("bucket", err)
	}
	return kvBucket{name: bucket, org: id.Org, nats: n}, nil
}

// open returns b's handle, from the cache when possible. With create, a
// missing bucket is created with the defaults. cached reports a handle that
// may be stale.
func (s *kvServer) open(ctx context.Context, b kvBucket, create bool) (kv jetstream.KeyValue, cached bool, err error) {
	if kv := s.cache.get(b.nats); kv != nil {
		return kv, true, nil
	}
	kv, err = s.g.js.KeyValue(ctx, b.nats)
	if create && errors.Is(err, jetstream.ErrBucketNotFound) {
		cfg, _ := kvConfig(b.nats, nil) // the defaults are valid
		kv, err = s.createBucket(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			// Created meanwhile with another configuration: use it.
			kv, err = s.g.js.KeyValue(ctx, b.nats)
		}
	}
	if err != nil {
		return nil, false, err
	}
	s.cache.put(b.nats, kv)
	return kv, false, nil
}

// createBucket creates a bucket; creating one that exists with the same
// configuration succeeds (JetStream compares the configurations), so
// gateways racing to auto-create a bucket all succeed.
func (s *kvServer) createBucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := s.g.js.CreateKeyValue(ctx, cfg)
	if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
		// NATS before 2.11 (external mode): no per-key TTL.
		cfg.LimitMarkerTTL = 0
		kv, err = s.g.js.CreateKeyValue(ctx, cfg)
	}
	return kv, err
}

// withBucket runs op on b's handle. A cached handle may have outlived its
// bucket: then op fails for lack of a responder, the handle is dropped and op
// runs once more on a fresh handle (re-creating the bucket for writes). A
// write that found no responder was stored nowhere, so the retry is safe.
func (s *kvServer) withBucket(ctx context.Context, b kvBucket, create bool, op func(jetstream.KeyValue) error) error {
	kv, cached, err := s.open(ctx, b, create)
	if err != nil {
		return err
	}
	err = op(kv)
	if cached && bucketGone(err) {
		s.cache.drop(b.nats, kv)
		if kv, _, err = s.open(ctx, b, create); err != nil {
			return err
		}
		err = op(kv)
	}
	return err
}

// bucketGone reports the errors a handle gives once its bucket is deleted.
func bucketGone(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound)
}

// kvConfig validates a bucket configuration from a request (fields named
// "config.*") and fills in the defaults.
func kvConfig(natsName string, c *natsgwv1.KeyValueBucketConfig) (jetstream.KeyValueConfig, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:         natsName,
		Description:    c.GetDescription(),
		History:        defaultKVHistory,
		MaxBytes:       c.GetMaxBytes(),
		MaxValueSize:   c.GetMaxValueSize(),
		Storage:        jetstream.FileStorage,
		Replicas:       1,
		LimitMarkerTTL: defaultKVLimitMarkerTTL,
	}
	if len(cfg.Description) > maxKVDescription {
		return cfg, invalidArgumentf("config.description", "must be at most %d bytes (got %d)", maxKVDescription, len(cfg.Description))
	}
	if h := c.GetHistory(); h > jetstream.KeyValueMaxHistory {
		return cfg, invalidArgumentf("config.history", "must be between 1 and %d (got %d)", jetstream.KeyValueMaxHistory, h)
	} else if h > 0 {
		cfg.History = uint8(h)
	}
	var err error
	if cfg.TTL, err = wholeSeconds("config.ttl", c.GetTtl(), true); err != nil {
		return cfg, err
	}
	if cfg.MaxBytes < 0 {
		return cfg, invalidArgumentf("config.max_bytes", "must not be negative (0 means unlimited)")
	}
	if cfg.MaxValueSize < 0 {
		return cfg, invalidArgumentf("config.max_value_size", "must not be negative (0 means no bucket limit)")
	}
	switch c.GetStorage() {
	case natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_UNSPECIFIED, natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_FILE:
	case natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_MEMORY:
		cfg.Storage = jetstream.MemoryStorage
	default:
		return cfg, invalidArgumentf("config.storage", "unknown storage %d", c.GetStorage())
	}
	if r := c.GetReplicas(); r > maxKVReplicas {
		return cfg, invalidArgumentf("config.replicas", "must be between 1 and %d (got %d)", maxKVReplicas, r)
	} else if r > 0 {
		cfg.Replicas = int(r)
	}
	if c.GetCounter() {
		// NATS counters allow no TTLs.
		if cfg.TTL > 0 {
			return cfg, invalidArgumentf("config.ttl", "a counter bucket cannot have a TTL")
		}
		if c.GetLimitMarkerTtl() != nil {
			return cfg, invalidArgumentf("config.limit_marker_ttl", "a counter bucket has no per-key TTL")
		}
		cfg.LimitMarkerTTL = 0
		return cfg, nil
	}
	if c.GetLimitMarkerTtl() != nil {
		if cfg.LimitMarkerTTL, err = wholeSeconds("config.limit_marker_ttl", c.GetLimitMarkerTtl(), false); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// wholeSeconds checks a TTL: unset, or (when zeroOK) zero, or a whole number
// of seconds of at least 1 s (NATS counts TTLs in seconds).
func wholeSeconds(field string, d *durationpb.Duration, zeroOK bool) (time.Duration, error) {
	if d == nil {
		return 0, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, invalidArgument(field, err)
	}
	v := d.AsDuration()
	switch {
	case v == 0 && zeroOK:
		return 0, nil
	case v < time.Second || v%time.Second != 0:
		return 0, invalidArgumentf(field, "must be a whole number of seconds, at least 1s (got %s)", v)
	}
	return v, nil
}

// bucketConfig maps the bucket and validates the configuration of a
// CreateBucket or UpdateBucket request.
func (s *kvServer) bucketConfig(ctx context.Context, bucket string, c *natsgwv1.KeyValueBucketConfig) (kvBucket, jetstream.KeyValueConfig, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return b, jetstream.KeyValueConfig{}, err
	}
	cfg, err := kvConfig(b.nats, c)
	return b, cfg, err
}

func (s *kvServer) CreateBucket(ctx context.Context, req *natsgwv1.KeyValueServiceCreateBucketRequest) (*natsgwv1.KeyValueServiceCreateBucketResponse, error) {
	b, cfg, err := s.bucketConfig(ctx, req.GetBucket(), req.GetConfig())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("create bucket %q", b.name)
	create := s.createBucket
	if req.GetConfig().GetCounter() {
		create = s.createCounterBucket
	}
	kv, err := create(ctx, cfg)
	if err != nil {
		return nil, s.bucketConfigError(ctx, action, b, err)
	}
	s.cache.put(b.nats, kv)
	info, err := s.info(ctx, b, kv)
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	return &natsgwv1.KeyValueServiceCreateBucketResponse{Info: info}, nil
}

func (s *kvServer) UpdateBucket(ctx context.Context, req *natsgwv1.KeyValueServiceUpdateBucketRequest) (*natsgwv1.KeyValueServiceUpdateBucketResponse, error) {
	b, cfg, err := s.bucketConfig(ctx, req.GetBucket(), req.GetConfig())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("update bucket %q", b.name)
	var old jetstream.KeyValueStatus
	err = s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) (err error) {
		old, err = kv.Status(ctx)
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, action, b, err)
	}
	sc := bucketStatus(old).StreamInfo().Config
	if sc.Storage != cfg.Storage {
		return nil, invalidArgumentf("config.storage", "cannot change after the bucket is created (it is %s)", storageToProto(sc.Storage))
	}
	if sc.AllowMsgCounter != req.GetConfig().GetCounter() {
		return nil, invalidArgumentf("config.counter", "cannot change after the bucket is created (it is %v)", sc.AllowMsgCounter)
	}
	var kv jetstream.KeyValue
	if sc.AllowMsgCounter {
		if _, err = s.g.js.UpdateStream(ctx, counterStreamConfig(cfg)); err == nil {
			kv, err = s.g.js.KeyValue(ctx, cfg.Bucket)
		}
	} else {
		kv, err = s.g.js.UpdateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
			cfg.LimitMarkerTTL = 0
			kv, err = s.g.js.UpdateKeyValue(ctx, cfg)
		}
	}
	if err != nil {
		return nil, s.bucketConfigError(ctx, action, b, err)
	}
	s.forget(b.nats) // its max age may have changed
	info, err := s.info(ctx, b, kv)
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	return &natsgwv1.KeyValueServiceUpdateBucketResponse{Info: info}, nil
}

// bucketConfigError maps a failed create or update of b. JetStream's own
// explanation of a rejected configuration (such as replicas in a
// non-clustered server) is passed on, with b's NATS name replaced by the
// caller's.
func (s *kvServer) bucketConfigError(ctx context.Context, action string, b kvBucket, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.Code == 400 || apiErr.Code == 500) &&
		apiErr.ErrorCode != jetstream.JSErrCodeStreamNameInUse && !isResourceLimit(err) {
		desc := strings.ReplaceAll(apiErr.Description, kvStreamPrefix+b.nats, b.name)
		desc = strings.ReplaceAll(desc, b.nats, b.name)
		return invalidArgumentf("config", "rejected by JetStream: %s", desc)
	}
	return s.kvError(ctx, action, b, err)
}

func (s *kvServer) DeleteBucket(ctx context.Context, req *natsgwv1.KeyValueServiceDeleteBucketRequest) (*natsgwv1.KeyValueServiceDeleteBucketResponse, error) {
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	s.cache.drop(b.nats, nil)
	s.forget(b.nats)
	if err := s.g.js.DeleteKeyValue(ctx, b.nats); err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("delete bucket %q", b.name), b, err)
	}
	return &natsgwv1.KeyValueServiceDeleteBucketResponse{}, nil
}

func (s *kvServer) GetBucket(ctx context.Context, req *natsgwv1.KeyValueServiceGetBucketRequest) (*natsgwv1.KeyValueServiceGetBucketResponse, error) {
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	var info *natsgwv1.KeyValueBucketInfo
	err = s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) (err error) {
		info, err = s.info(ctx, b, kv)
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("get bucket %q", b.name), b, err)
	}
	return &natsgwv1.KeyValueServiceGetBucketResponse{Info: info}, nil
}

func (s *kvServer) ListBuckets(ctx context.Context, _ *natsgwv1.KeyValueServiceListBucketsRequest) (*natsgwv1.KeyValueServiceListBucketsResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	// Names of every KV bucket in the account; the lister must be drained.
	lister := s.g.js.KeyValueStoreNames(ctx)
	var own []kvBucket
	for n := range lister.Name() {
		if name, ok := s.g.m.ClientName(id.Org, n); ok {
			own = append(own, kvBucket{name: name, nats: n})
		}
	}
	if err := lister.Error(); err != nil {
		return nil, s.g.natsError(ctx, "list buckets", err)
	}
	slices.SortFunc(own, func(a, b kvBucket) int { return strings.Compare(a.name, b.name) })
	resp := &natsgwv1.KeyValueServiceListBucketsResponse{Buckets: make([]*natsgwv1.KeyValueBucketInfo, 0, len(own))}
	for _, b := range own {
		var info *natsgwv1.KeyValueBucketInfo
		err := s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) (err error) {
			info, err = s.info(ctx, b, kv)
			return err
		})
		if bucketGone(err) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, s.kvError(ctx, "list buckets", b, err)
		}
		resp.Buckets = append(resp.Buckets, info)
	}
	return resp, nil
}

func bucketStatus(st jetstream.KeyValueStatus) *jetstream.KeyValueBucketStatus {
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		return bs
	}
	// nats.go has one implementation; an empty one keeps callers simple if
	// that changes.
	return &jetstream.KeyValueBucketStatus{}
}

// info describes b from its handle (one stream info request).
func (s *kvServer) info(ctx context.Context, b kvBucket, kv jetstream.KeyValue) (*natsgwv1.KeyValueBucketInfo, error) {
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, err
	}
	bs := bucketStatus(st)
	si := bs.StreamInfo()
	if si == nil {
		return nil, errors.New("bucket status without stream info")
	}
	c := bs.Config()
	cfg := &natsgwv1.KeyValueBucketConfig{
		Description:  c.Description,
		History:      uint32(c.History),
		MaxBytes:     max(c.MaxBytes, 0),
		MaxValueSize: max(c.MaxValueSize, 0),
		Storage:      storageToProto(c.Storage),
		Replicas:     uint32(c.Replicas),
		Counter:      si.Config.AllowMsgCounter,
	}
	if c.TTL > 0 {
		cfg.Ttl = durationpb.New(c.TTL)
	}
	if c.LimitMarkerTTL > 0 {
		cfg.LimitMarkerTtl = durationpb.New(c.LimitMarkerTTL)
	}
	return &natsgwv1.KeyValueBucketInfo{
		Bucket:        b.name,
		Config:        cfg,
		Values:        bs.Values(),
		Bytes:         bs.Bytes(),
		KeyTtlAllowed: si.Config.AllowMsgTTL,
		Created:       timestamppb.New(si.Created),
	}, nil
}

func storageToProto(st jetstream.StorageType) natsgwv1.KeyValueStorage {
	if st == jetstream.MemoryStorage {
		return natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_MEMORY
	}
	return natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_FILE
}

// kvError maps a KV failure on b. A bucket that vanished is NOT_FOUND; limits
// a write broke are named with their values (looked up now, so they are
// current).
func (s *kvServer) kvError(ctx context.Context, action string, b kvBucket, err error) error {
	switch {
	case errors.Is(err, errWatcherEnded):
		s.cache.drop(b.nats, nil)
		if _, err := s.g.js.KeyValue(ctx, b.nats); errors.Is(err, jetstream.ErrBucketNotFound) {
			return notFound("%s: the bucket was deleted", action)
		}
		return unavailable("%s: the watch ended in NATS; watch again from the last revision seen", action)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		err = jetstream.ErrBucketNotFound
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		// withBucket retried on a freshly opened bucket: it exists, but
		// JetStream does not answer for it (a cluster electing a leader).
		return unavailable("%s: the bucket is not answering", action)
	case apiErrorCode(err) == jetstream.JSErrCodeStreamMessageExceedsMaximum:
		if c, ok := s.limits(ctx, b); ok && c.MaxValueSize > 0 {
			return resourceExhausted("%s: the value (with the write's headers) exceeds the bucket's max_value_size of %d bytes", action, c.MaxValueSize)
		}
	case apiErrorCode(err) == jsErrCodeStoreFailed:
		if c, ok := s.limits(ctx, b); ok && c.MaxBytes > 0 {
			return resourceExhausted("%s: the bucket is full: its max_bytes of %d bytes is reached", action, c.MaxBytes)
		}
	case apiErrorCode(err) == jsErrCodeIncrDisabled:
		return failedPrecondition("%s: the bucket is not a counter bucket (make one with config.counter, or let Increment create it)", action)
	case apiErrorCode(err) == jsErrCodeIncrMissing:
		return failedPrecondition("%s: the bucket is a counter bucket: its keys change only by Increment", action)
	case apiErrorCode(err) == jsErrCodeMsgTTLDisabled:
		return failedPrecondition("%s: the bucket does not allow per-key TTL (it was made without a limit marker TTL; UpdateBucket sets one)", action)
	}
	return s.g.natsError(ctx, action, err)
}

// limits reads b's configuration, for error messages.
func (s *kvServer) limits(ctx context.Context, b kvBucket) (jetstream.KeyValueConfig, bool) {
	kv, _, err := s.open(ctx, b, false)
	if err != nil {
		return jetstream.KeyValueConfig{}, false
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return jetstream.KeyValueConfig{}, false
	}
	return bucketStatus(st).Config(), true
}
