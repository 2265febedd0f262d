package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Limits of the multi-key operations (documented in kv.proto).
const (
	maxKVBatch      = 1000
	defaultKeysPage = 1000
	maxKeysPage     = 10000
	// manyReaders bounds the NATS reads one GetMany runs at once.
	manyReaders = 16
)

// errorProto is err as the fields of a status, for a per-key result.
func errorProto(err error) *natsgwv1.KeyValueSessionError {
	st := status.Convert(err).Proto()
	return &natsgwv1.KeyValueSessionError{Code: st.GetCode(), Message: st.GetMessage(), Details: st.GetDetails()}
}

// batchKeys checks the number of keys of a batch and each key, naming
// field[i].
func batchKeys(field string, n int, key func(int) string) error {
	if n == 0 || n > maxKVBatch {
		return invalidArgumentf(field, "must hold 1 to %d entries (got %d)", maxKVBatch, n)
	}
	for i := range n {
		if err := checkKey(key(i)); err != nil {
			return invalidArgument(fmt.Sprintf("%s[%d]", field, i), err)
		}
	}
	return nil
}

func (s *kvServer) GetMany(ctx context.Context, req *natsgwv1.KeyValueServiceGetManyRequest) (*natsgwv1.KeyValueServiceGetManyResponse, error) {
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	keys := req.GetKeys()
	if err := batchKeys("keys", len(keys), func(i int) string { return keys[i] }); err != nil {
		return nil, err
	}
	results := make([]*natsgwv1.KeyValueGetResult, len(keys))
	result := func(i int, e *natsgwv1.KeyValueEntry, err error) {
		r := &natsgwv1.KeyValueGetResult{Key: keys[i], Entry: e}
		if err != nil {
			r.Entry, r.Error = nil, errorProto(s.kvError(ctx, fmt.Sprintf("get %q from bucket %q", keys[i], b.name), b, err))
		}
		results[i] = r
	}
	// What the cache answers costs no goroutine; the rest reads NATS.
	var rest []int
	for i, k := range keys {
		if !req.GetConsistent() {
			if e, ok, err := s.cached(ctx, b, k, req.GetMinRevision()); ok {
				result(i, e, err)
				continue
			}
		}
		rest = append(rest, i)
	}
	if len(rest) == 0 {
		return &natsgwv1.KeyValueServiceGetManyResponse{Results: results}, nil
	}
	// A missing bucket fails the call, not each key.
	if _, _, err := s.open(ctx, b, false); err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("get many from bucket %q", b.name), b, err)
	}
	one := func(i int) {
		e, err := s.latestNATS(ctx, b, keys[i])
		result(i, e, err)
	}
	sem := make(chan struct{}, manyReaders)
	var wg sync.WaitGroup
	for _, i := range rest {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			one(i)
		})
	}
	wg.Wait()
	return &natsgwv1.KeyValueServiceGetManyResponse{Results: results}, nil
}

func (s *kvServer) PutMany(ctx context.Context, req *natsgwv1.KeyValueServicePutManyRequest) (*natsgwv1.KeyValueServicePutManyResponse, error) {
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	items := req.GetItems()
	if err := batchKeys("items", len(items), func(i int) string { return items[i].GetKey() }); err != nil {
		return nil, err
	}
	msgs := make([]*nats.Msg, len(items))
	for i, it := range items {
		if len(it.GetValue()) > s.g.maxPayload {
			return nil, resourceExhausted("items[%d].value: is %d bytes; the gateway's max payload is %d bytes", i, len(it.GetValue()), s.g.maxPayload)
		}
		ttl, err := wholeSeconds(fmt.Sprintf("items[%d].ttl", i), it.GetTtl(), true)
		if err != nil {
			return nil, err
		}
		msgs[i] = s.putMsg(b, it.GetKey(), it.GetValue(), ttl)
	}
	results := make([]*natsgwv1.KeyValuePutResult, len(items))
	errs := make([]error, len(items))
	err = s.withBucket(ctx, b, true, func(jetstream.KeyValue) error {
		// Publish every item not yet stored, then collect the acks. A
		// stale handle fails them all for lack of a responder: then
		// withBucket re-opens the bucket and this runs again.
		futures := make([]jetstream.PubAckFuture, len(items))
		for i, m := range msgs {
			if results[i] != nil {
				continue
			}
			if futures[i], errs[i] = s.g.js.PublishMsgAsync(m); errs[i] != nil {
				continue
			}
		}
		gone := 0
		for i, f := range futures {
			if f == nil {
				continue
			}
			select {
			case ack := <-f.Ok():
				results[i], errs[i] = &natsgwv1.KeyValuePutResult{Key: items[i].GetKey(), Revision: ack.Sequence}, nil
			case errs[i] = <-f.Err():
			case <-ctx.Done():
				errs[i] = ctx.Err()
			}
		}
		for i, err := range errs {
			if results[i] == nil && bucketGone(err) {
				gone++
			}
		}
		if gone > 0 && gone == len(items) {
			return nats.ErrNoResponders
		}
		return nil
	})
	if err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("put many in bucket %q", b.name), b, err)
	}
	var top uint64
	for i, r := range results {
		if r != nil {
			top = max(top, r.GetRevision())
			continue
		}
		err := s.kvError(ctx, fmt.Sprintf("put %q in bucket %q", items[i].GetKey(), b.name), b, errs[i])
		results[i] = &natsgwv1.KeyValuePutResult{Key: items[i].GetKey(), Error: errorProto(err)}
	}
	s.seen(b, top)
	return &natsgwv1.KeyValueServicePutManyResponse{Results: results}, nil
}

// Counter buckets are KV-shaped streams (KV_<bucket>, subjects
// $KV.<bucket>.>) that allow NATS message counters: nats.go reads and
// watches them as buckets, and only Nats-Incr writes are accepted.
const kvIncrHeader = "Nats-Incr"

func (s *kvServer) Increment(ctx context.Context, req *natsgwv1.KeyValueServiceIncrementRequest) (*natsgwv1.KeyValueServiceIncrementResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("increment %q in bucket %q", req.GetKey(), b.name)
	if _, _, err := s.open(ctx, b, false); errors.Is(err, jetstream.ErrBucketNotFound) {
		cfg, _ := kvConfig(b.nats, &natsgwv1.KeyValueBucketConfig{Counter: true}) // the defaults are valid
		if _, err := s.createCounterBucket(ctx, cfg); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, s.kvError(ctx, action, b, err)
		}
	}
	m := nats.NewMsg(b.subject(req.GetKey()))
	m.Header.Set(kvIncrHeader, strconv.FormatInt(req.GetDelta(), 10))
	var ack *jetstream.PubAck
	err = s.withBucket(ctx, b, false, func(jetstream.KeyValue) (err error) {
		ack, err = s.g.js.PublishMsg(ctx, m)
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, action, b, err)
	}
	s.seen(b, ack.Sequence)
	return &natsgwv1.KeyValueServiceIncrementResponse{Value: ack.Value, Revision: ack.Sequence}, nil
}

// counterStreamConfig is the stream of a counter bucket: the KV layout
// nats.go would make for cfg, with counters allowed (which NATS allows only
// with discard-old and without TTLs).
func counterStreamConfig(cfg jetstream.KeyValueConfig) jetstream.StreamConfig {
	maxBytes, maxValue := cfg.MaxBytes, cfg.MaxValueSize
	if maxBytes == 0 {
		maxBytes = -1
	}
	if maxValue == 0 {
		maxValue = -1
	}
	return jetstream.StreamConfig{
		Name:              kvStreamPrefix + cfg.Bucket,
		Description:       cfg.Description,
		Subjects:          []string{kvSubjectPrefix + cfg.Bucket + ".>"},
		MaxMsgsPerSubject: int64(cfg.History),
		MaxBytes:          maxBytes,
		MaxMsgSize:        maxValue,
		Storage:           cfg.Storage,
		Replicas:          cfg.Replicas,
		AllowRollup:       true,
		DenyDelete:        true,
		Duplicates:        2 * time.Minute,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		AllowDirect:       true,
		Discard:           jetstream.DiscardOld,
		AllowMsgCounter:   true,
	}
}

// createCounterBucket creates (or finds, with the same configuration) a
// counter bucket.
func (s *kvServer) createCounterBucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if _, err := s.g.js.CreateStream(ctx, counterStreamConfig(cfg)); err != nil {
		return nil, err
	}
	return s.g.js.KeyValue(ctx, cfg.Bucket)
}

func (s *kvServer) Expire(ctx context.Context, req *natsgwv1.KeyValueServiceExpireRequest) (*natsgwv1.KeyValueServiceExpireResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	ttl, err := wholeSeconds("ttl", req.GetTtl(), true)
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("expire %q in bucket %q", req.GetKey(), b.name)
	var rev uint64
	err = s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) error {
		e, err := kv.Get(ctx, req.GetKey())
		if err != nil {
			return err
		}
		m := s.putMsg(b, req.GetKey(), e.Value(), ttl)
		if m.Header == nil {
			m.Header = nats.Header{}
		}
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(e.Revision(), 10))
		ack, err := s.g.js.PublishMsg(ctx, m)
		if err == nil {
			rev = ack.Sequence
		}
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, action, b, err)
	}
	s.seen(b, rev)
	return &natsgwv1.KeyValueServiceExpireResponse{Revision: rev}, nil
}

func (s *kvServer) ListKeys(ctx context.Context, req *natsgwv1.KeyValueServiceListKeysRequest) (*natsgwv1.KeyValueServiceListKeysResponse, error) {
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return nil, err
	}
	filter := req.GetFilter()
	if filter == "" {
		filter = allKeys
	} else if err := checkKeyPattern(filter); err != nil {
		return nil, invalidArgument("filter", err)
	}
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultKeysPage
	case size > maxKeysPage:
		return nil, invalidArgumentf("page_size", "must be at most %d (got %d)", maxKeysPage, size)
	}
	after := req.GetPageToken()
	if after != "" {
		if err := checkKey(after); err != nil {
			return nil, invalidArgumentf("page_token", "is not a token from a previous page")
		}
	}
	action := fmt.Sprintf("list keys of bucket %q", b.name)
	w, err := s.watch(ctx, b, filter, jetstream.IgnoreDeletes(), jetstream.MetaOnly())
	if err != nil {
		return nil, s.kvError(ctx, action, b, err)
	}
	defer stopWatcher(w)
	// Keep the smallest size+1 keys after the token: a sorted window.
	var keys []string
	for {
		e, done, err := s.next(ctx, w)
		if err != nil {
			return nil, s.kvError(ctx, action, b, err)
		}
		if done {
			break
		}
		k := e.Key()
		if k <= after || (len(keys) > size && k >= keys[len(keys)-1]) {
			continue
		}
		i, found := slices.BinarySearch(keys, k)
		if found {
			continue
		}
		keys = slices.Insert(keys, i, k)
		if len(keys) > size+1 {
			keys = keys[:size+1]
		}
	}
	resp := &natsgwv1.KeyValueServiceListKeysResponse{Keys: keys}
	if len(keys) > size {
		resp.Keys = keys[:size]
		resp.NextPageToken = keys[size-1]
	}
	return resp, nil
}
