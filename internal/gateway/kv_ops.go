package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/kvcache"
)

// bucketKey maps the bucket and validates the key of a request.
func (s *kvServer) bucketKey(ctx context.Context, bucket, key string) (kvBucket, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return b, err
	}
	if err := checkKey(key); err != nil {
		return b, invalidArgument("key", err)
	}
	return b, nil
}

// checkValue applies the gateway's max payload; the bucket's max value size
// is JetStream's to enforce (kvError names it).
func (s *kvServer) checkValue(v []byte) error {
	if len(v) > s.g.maxPayload {
		return resourceExhausted("value: is %d bytes; the gateway's max payload is %d bytes", len(v), s.g.maxPayload)
	}
	return nil
}

func (s *kvServer) Put(ctx context.Context, req *natsgwv1.KeyValueServicePutRequest) (*natsgwv1.KeyValueServicePutResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	if err := s.checkValue(req.GetValue()); err != nil {
		return nil, err
	}
	ttl, err := wholeSeconds("ttl", req.GetTtl(), true)
	if err != nil {
		return nil, err
	}
	var rev uint64
	err = s.withBucket(ctx, b, true, func(kv jetstream.KeyValue) (err error) {
		if ttl == 0 {
			rev, err = kv.Put(ctx, req.GetKey(), req.GetValue())
			return err
		}
		ack, err := s.g.js.PublishMsg(ctx, s.putMsg(b, req.GetKey(), req.GetValue(), ttl))
		if err == nil {
			rev = ack.Sequence
		}
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("put %q in bucket %q", req.GetKey(), b.name), b, err)
	}
	s.seen(b, rev)
	return &natsgwv1.KeyValueServicePutResponse{Revision: rev}, nil
}

// putMsg is the message that stores value under key in b, as nats.go's
// Put writes it, with an optional TTL. A value with a TTL rolls the key's
// earlier revisions up: NATS removes only the expiring message, and the
// previous revision would otherwise become the key's value again.
func (s *kvServer) putMsg(b kvBucket, key string, value []byte, ttl time.Duration) *nats.Msg {
	m := &nats.Msg{Subject: b.subject(key), Data: value}
	if ttl > 0 {
		m.Header = nats.Header{
			jetstream.MsgTTLHeader: []string{ttl.String()},
			jetstream.MsgRollup:    []string{jetstream.MsgRollupSubject},
		}
	}
	return m
}

func (s *kvServer) Create(ctx context.Context, req *natsgwv1.KeyValueServiceCreateRequest) (*natsgwv1.KeyValueServiceCreateResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	if err := s.checkValue(req.GetValue()); err != nil {
		return nil, err
	}
	ttl, err := wholeSeconds("ttl", req.GetTtl(), true)
	if err != nil {
		return nil, err
	}
	var opts []jetstream.KVCreateOpt
	if ttl > 0 {
		opts = append(opts, jetstream.KeyTTL(ttl))
	}
	var rev uint64
	err = s.withBucket(ctx, b, true, func(kv jetstream.KeyValue) (err error) {
		rev, err = kv.Create(ctx, req.GetKey(), req.GetValue(), opts...)
		return err
	})
	if err != nil {
		if isWrongLastSeq(err) {
			err = errKeyExists // Create expected no revision: the key has one
		}
		return nil, s.kvError(ctx, fmt.Sprintf("create %q in bucket %q", req.GetKey(), b.name), b, err)
	}
	s.seen(b, rev)
	return &natsgwv1.KeyValueServiceCreateResponse{Revision: rev}, nil
}

func (s *kvServer) Update(ctx context.Context, req *natsgwv1.KeyValueServiceUpdateRequest) (*natsgwv1.KeyValueServiceUpdateResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	if err := s.checkValue(req.GetValue()); err != nil {
		return nil, err
	}
	if req.GetRevision() == 0 {
		return nil, invalidArgumentf("revision", "must be at least 1 (use Create for a key without a value)")
	}
	var rev uint64
	err = s.withBucket(ctx, b, true, func(kv jetstream.KeyValue) (err error) {
		rev, err = kv.Update(ctx, req.GetKey(), req.GetValue(), req.GetRevision())
		return err
	})
	if err != nil {
		return nil, s.kvError(ctx, fmt.Sprintf("update %q in bucket %q at revision %d", req.GetKey(), b.name, req.GetRevision()), b, err)
	}
	s.seen(b, rev)
	return &natsgwv1.KeyValueServiceUpdateResponse{Revision: rev}, nil
}

func (s *kvServer) Get(ctx context.Context, req *natsgwv1.KeyValueServiceGetRequest) (*natsgwv1.KeyValueServiceGetResponse, error) {
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	key, rev := req.GetKey(), req.GetRevision()
	var entry *natsgwv1.KeyValueEntry
	if rev == 0 {
		entry, err = s.latest(ctx, b, key, req.GetConsistent(), req.GetMinRevision())
	} else {
		err = s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) error {
			e, err := kv.GetRevision(ctx, key, rev)
			if err == nil {
				entry = entryToProto(e)
			}
			return err
		})
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			// nats.go hides delete markers; the caller asked for this revision.
			entry, err = s.markerAt(ctx, b, key, rev)
		}
	}
	if err != nil {
		action := fmt.Sprintf("get %q from bucket %q", key, b.name)
		if rev != 0 {
			action = fmt.Sprintf("get %q at revision %d from bucket %q", key, rev, b.name)
		}
		return nil, s.kvError(ctx, action, b, err)
	}
	return &natsgwv1.KeyValueServiceGetResponse{Entry: entry}, nil
}

// latest returns key's latest value in b: from the read cache when it can
// answer (unless consistent), from NATS otherwise. minRev is the bucket
// revision the answer must reflect at least. The error is unmapped.
func (s *kvServer) latest(ctx context.Context, b kvBucket, key string, consistent bool, minRev uint64) (*natsgwv1.KeyValueEntry, error) {
	if !consistent {
		if e, ok, err := s.cached(ctx, b, key, minRev); ok {
			return e, err
		}
	}
	return s.latestNATS(ctx, b, key)
}

// cached answers a read of key in b from the read cache: ok is false when
// the cache cannot answer. err is ErrKeyNotFound for a key without a value.
func (s *kvServer) cached(ctx context.Context, b kvBucket, key string, minRev uint64) (e *natsgwv1.KeyValueEntry, ok bool, err error) {
	if s.reads == nil {
		return nil, false, nil
	}
	switch e, res := s.reads.Get(ctx, b.org, b.nats, key, minRev); res {
	case kvcache.Hit:
		return e, true, nil
	case kvcache.Absent:
		return nil, true, jetstream.ErrKeyNotFound
	}
	return nil, false, nil
}

// latestNATS reads key's latest value in b from NATS.
func (s *kvServer) latestNATS(ctx context.Context, b kvBucket, key string) (*natsgwv1.KeyValueEntry, error) {
	var entry *natsgwv1.KeyValueEntry
	err := s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) error {
		e, err := kv.Get(ctx, key)
		if err == nil {
			entry = entryToProto(e)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Later cached reads here return this state or a newer one.
	s.seen(b, entry.GetRevision())
	return entry, nil
}

// markerAt returns the delete or purge marker of key at revision rev in b,
// or ErrKeyNotFound.
func (s *kvServer) markerAt(ctx context.Context, b kvBucket, key string, rev uint64) (*natsgwv1.KeyValueEntry, error) {
	stream, err := s.g.js.Stream(ctx, kvStreamPrefix+b.nats)
	if err != nil {
		return nil, err
	}
	m, err := stream.GetMsg(ctx, rev)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, jetstream.ErrKeyNotFound
	}
	if err != nil {
		return nil, err
	}
	op := opFromHeader(m.Header)
	if m.Subject != kvSubjectPrefix+b.nats+"."+key || op == natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PUT {
		return nil, jetstream.ErrKeyNotFound
	}
	return &natsgwv1.KeyValueEntry{Key: key, Revision: m.Sequence, Created: timestamppb.New(m.Time), Operation: op}, nil
}

// opFromHeader reads a stored KV message's operation as nats.go does: the
// KV-Operation header of Delete and Purge, or the marker JetStream leaves
// when a TTL removes a key.
func opFromHeader(h nats.Header) natsgwv1.KeyValueOperation {
	switch h.Get(kvOpHeader) {
	case "DEL":
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_DELETE
	case "PURGE":
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PURGE
	}
	switch h.Get(jetstream.MarkerReasonHeader) {
	case "MaxAge", "Purge":
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PURGE
	case "Remove":
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_DELETE
	}
	return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PUT
}

func entryToProto(e jetstream.KeyValueEntry) *natsgwv1.KeyValueEntry {
	return &natsgwv1.KeyValueEntry{
		Key:       e.Key(),
		Value:     e.Value(),
		Revision:  e.Revision(),
		Created:   timestamppb.New(e.Created()),
		Operation: opToProto(e.Operation()),
	}
}

func opToProto(op jetstream.KeyValueOp) natsgwv1.KeyValueOperation {
	switch op {
	case jetstream.KeyValueDelete:
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_DELETE
	case jetstream.KeyValuePurge:
		return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PURGE
	}
	return natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PUT
}

func (s *kvServer) Delete(ctx context.Context, req *natsgwv1.KeyValueServiceDeleteRequest) (*natsgwv1.KeyValueServiceDeleteResponse, error) {
	rev, err := s.remove(ctx, "delete", req.GetBucket(), req.GetKey(), req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	return &natsgwv1.KeyValueServiceDeleteResponse{Revision: rev}, nil
}

func (s *kvServer) Purge(ctx context.Context, req *natsgwv1.KeyValueServicePurgeRequest) (*natsgwv1.KeyValueServicePurgeResponse, error) {
	rev, err := s.remove(ctx, "purge", req.GetBucket(), req.GetKey(), req.GetExpectedRevision())
	if err != nil {
		return nil, err
	}
	return &natsgwv1.KeyValueServicePurgeResponse{Revision: rev}, nil
}

// remove deletes or purges key (op "delete" or "purge"), optionally only at
// revision rev, and returns the marker's revision. It writes the marker as
// nats.go's Delete and Purge do, which do not return the revision.
func (s *kvServer) remove(ctx context.Context, op, bucket, key string, rev uint64) (uint64, error) {
	b, err := s.bucketKey(ctx, bucket, key)
	if err != nil {
		return 0, err
	}
	m := nats.NewMsg(b.subject(key))
	if op == "purge" {
		m.Header.Set(kvOpHeader, "PURGE")
		m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	} else {
		m.Header.Set(kvOpHeader, "DEL")
	}
	if rev != 0 {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(rev, 10))
	}
	var marker uint64
	err = s.withBucket(ctx, b, false, func(jetstream.KeyValue) error {
		ack, err := s.g.js.PublishMsg(ctx, m)
		if err == nil {
			marker = ack.Sequence
		}
		return err
	})
	if err != nil {
		if isWrongLastSeq(err) {
			err = fmt.Errorf("%w: %w", err, jetstream.ErrKeyRevisionMismatch) // as nats.go reports it
		}
		return 0, s.kvError(ctx, fmt.Sprintf("%s %q from bucket %q", op, key, b.name), b, err)
	}
	s.seen(b, marker)
	return marker, nil
}
