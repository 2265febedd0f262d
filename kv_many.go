package natsgw

import (
	"context"
	"math/big"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// saw records a revision of kv's bucket this Client has seen and returns it.
func (kv *KeyValue) saw(rev uint64) uint64 {
	kv.c.kv.saw(kv.bucket, rev)
	return rev
}

// minRevision is the highest revision of kv's bucket this Client has seen.
func (kv *KeyValue) minRevision() uint64 { return kv.c.kv.minRevision(kv.bucket) }

// KVGetOption configures KeyValue.Get and KeyValue.GetMany.
type KVGetOption func(*kvGetOptions)

type kvGetOptions struct{ consistent bool }

// WithConsistentRead reads the latest value from NATS, bypassing the
// gateway's read cache, so that a change by any client that completed
// before the call is seen. Default: the gateway may answer from its cache
// (see KeyValue.Get).
func WithConsistentRead() KVGetOption {
	return func(o *kvGetOptions) { o.consistent = true }
}

// KVGetResult is the outcome of one key of GetMany.
type KVGetResult struct {
	// Key is the key.
	Key string
	// Entry is the key's latest value; nil when Err is set.
	Entry *KeyValueEntry
	// Err is the key's error: ErrNotFound for a key without a value.
	Err error
}

// GetMany returns the latest values of up to 1000 keys in one call, a
// result per key in the order of keys. The call fails as a whole only for a
// missing bucket, an invalid key, or a transport error. Reads may come from
// the gateway's read cache, as Get's do.
func (kv *KeyValue) GetMany(ctx context.Context, keys []string, opts ...KVGetOption) ([]KVGetResult, error) {
	var o kvGetOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := &natsgwv1.KeyValueServiceGetManyRequest{Bucket: kv.bucket, Keys: keys, Consistent: o.consistent, MinRevision: kv.minRevision()}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_GetMany{GetMany: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetGetMany,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceGetManyResponse, error) {
			return kv.svc.GetMany(ctx, req)
		})
	if err != nil {
		return nil, err
	}
	out := make([]KVGetResult, len(r.GetResults()))
	for i, res := range r.GetResults() {
		out[i].Key = res.GetKey()
		if e := res.GetError(); e != nil {
			out[i].Err = keyError(e)
			continue
		}
		out[i].Entry = kv.entry(res.GetEntry())
		kv.saw(res.GetEntry().GetRevision())
	}
	return out, nil
}

// KVPutItem is one value of PutMany.
type KVPutItem struct {
	// Key is the key.
	Key string
	// Value is the value.
	Value []byte
	// TTL is the value's time to live (see WithKeyTTL); zero: none.
	TTL time.Duration
}

// KVPutResult is the outcome of one item of PutMany.
type KVPutResult struct {
	// Key is the key.
	Key string
	// Revision is the stored value's revision; zero when Err is set.
	Revision uint64
	// Err is the item's error.
	Err error
}

// PutMany stores up to 1000 values in one call, a result per item in the
// order of items. Items are written independently: some may fail while
// others succeed. The call fails as a whole only for an invalid request or
// a transport error.
func (kv *KeyValue) PutMany(ctx context.Context, items []KVPutItem) ([]KVPutResult, error) {
	req := &natsgwv1.KeyValueServicePutManyRequest{Bucket: kv.bucket, Items: make([]*natsgwv1.KeyValuePutItem, len(items))}
	for i, it := range items {
		req.Items[i] = &natsgwv1.KeyValuePutItem{Key: it.Key, Value: it.Value}
		if it.TTL != 0 {
			req.Items[i].Ttl = durationpb.New(it.TTL)
		}
	}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_PutMany{PutMany: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetPutMany,
		func(ctx context.Context) (*natsgwv1.KeyValueServicePutManyResponse, error) {
			return kv.svc.PutMany(ctx, req)
		})
	if err != nil {
		return nil, err
	}
	out := make([]KVPutResult, len(r.GetResults()))
	for i, res := range r.GetResults() {
		out[i] = KVPutResult{Key: res.GetKey(), Revision: kv.saw(res.GetRevision())}
		if e := res.GetError(); e != nil {
			out[i].Err = keyError(e)
		}
	}
	return out, nil
}

// Increment adds delta (negative subtracts; zero reads) to the counter key
// and returns its new value, atomically, on NATS's counters. Counters live
// in counter buckets (KeyValueConfig.Counter); Increment creates one when
// the bucket does not exist, and fails with ErrFailedPrecondition on a
// bucket that is not a counter bucket. A counter outside the int64 range
// (NATS counters are unbounded) is an *Error with code OutOfRange, matching
// ErrInvalidArgument.
func (kv *KeyValue) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	req := &natsgwv1.KeyValueServiceIncrementRequest{Bucket: kv.bucket, Key: key, Delta: delta}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Increment{Increment: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetIncrement,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceIncrementResponse, error) {
			return kv.svc.Increment(ctx, req)
		})
	if err != nil {
		return 0, err
	}
	kv.saw(r.GetRevision())
	var v big.Int
	if _, ok := v.SetString(r.GetValue(), 10); !ok || !v.IsInt64() {
		return 0, convertError(status.Errorf(codes.OutOfRange, "increment %q: the counter is %s, outside int64", key, r.GetValue()))
	}
	return v.Int64(), nil
}

// Expire gives key's current value a time to live from now (a whole number
// of seconds, at least 1 s), or with ttl 0 takes its TTL away, and returns
// the new revision (the value written again; it replaces the key's kept
// history). ErrNotFound when the key has no value; ErrAborted when it
// changed meanwhile (retry).
func (kv *KeyValue) Expire(ctx context.Context, key string, ttl time.Duration) (uint64, error) {
	req := &natsgwv1.KeyValueServiceExpireRequest{Bucket: kv.bucket, Key: key}
	if ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Expire{Expire: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetExpire,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceExpireResponse, error) {
			return kv.svc.Expire(ctx, req)
		})
	if err != nil {
		return 0, err
	}
	return kv.saw(r.GetRevision()), nil
}

// maxPageSize is the gateway's largest page of keys.
const maxPageSize = 10000

// KVKeysPage is one page of KeysPage.
type KVKeysPage struct {
	// Keys are the page's keys, sorted.
	Keys []string
	// Next is the token of the next page (WithKeysPageToken); empty after the
	// last page.
	Next string
}

// KVPageOption configures KeyValue.KeysPage.
type KVPageOption func(*kvPageOptions)

type kvPageOptions struct {
	filter, token string
	size          int
}

// WithKeysMatching lists only the keys matching pattern ('*' one token,
// '>' the rest, as in WithKeyFilter). Default: every key.
func WithKeysMatching(pattern string) KVPageOption {
	return func(o *kvPageOptions) { o.filter = pattern }
}

// WithKeysPageSize sets the most keys of a page, 1 to 10000. Default 1000.
func WithKeysPageSize(n int) KVPageOption { return func(o *kvPageOptions) { o.size = n } }

// WithKeysPageToken asks for the page after the one whose Next is token.
// Default: the first page.
func WithKeysPageToken(token string) KVPageOption {
	return func(o *kvPageOptions) { o.token = token }
}

// KeysPage returns one page of the bucket's keys, sorted, and the token of
// the next page. Keys changed between pages may be missed.
func (kv *KeyValue) KeysPage(ctx context.Context, opts ...KVPageOption) (*KVKeysPage, error) {
	var o kvPageOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.size < 0 || o.size > maxPageSize {
		return nil, convertError(status.Errorf(codes.InvalidArgument, "page_size: must be between 1 and %d (got %d)", maxPageSize, o.size))
	}
	r, err := kv.svc.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: kv.bucket, Filter: o.filter, PageSize: uint32(o.size), PageToken: o.token})
	if err != nil {
		return nil, convertError(err)
	}
	return &KVKeysPage{Keys: r.GetKeys(), Next: r.GetNextPageToken()}, nil
}

// keyError is the error of one key of a multi-key call.
func keyError(e *natsgwv1.KeyValueSessionError) error {
	return convertError(status.ErrorProto(&spb.Status{Code: e.GetCode(), Message: e.GetMessage(), Details: e.GetDetails()}))
}
