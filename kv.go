package natsgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// KeyValue is a key-value bucket of the caller's organization: values with
// revisions, built on NATS JetStream KV. Get one with Client.KeyValue; it is
// cheap and safe for concurrent use.
//
// Writing to a bucket that does not exist (Put, Create, Update) creates it
// with the defaults described at KeyValueConfig; every other call on a
// missing bucket fails with ErrNotFound.
//
// Keys are letters, digits and '-', '/', '_', '=', '.', at most 1024 bytes,
// with no '.' at either end and no "..": '.' separates the tokens that the
// wildcards of watch and key filters match ('*' one token, '>' the rest).
// Every change gets a revision, unique and increasing within the bucket.
//
// Get, Put, Create, Update, Delete, Purge, GetMany, PutMany, Increment and
// Expire of all of a Client's buckets travel on one stream to the gateway (KeyValueService/Session), opened on
// first use and again after a failure, which costs much less than a call
// per operation; against a gateway without it they are unary calls.
type KeyValue struct {
	bucket string
	svc    natsgwv1.KeyValueServiceClient
	c      *Client
}

// KeyValue returns the handle of bucket (letters, digits, '_' and '-', 1 to
// 128 characters). It does no I/O: a bad name is reported by the first call.
func (c *Client) KeyValue(bucket string) *KeyValue {
	return &KeyValue{bucket: bucket, svc: c.kv.svc, c: c}
}

// Bucket is the bucket's name.
func (kv *KeyValue) Bucket() string { return kv.bucket }

// KeyValueOp is what a revision did to its key.
type KeyValueOp int

const (
	// KeyValuePut: the key got a value (Put, Create, Update).
	KeyValuePut KeyValueOp = iota + 1
	// KeyValueDelete: the key was deleted; its earlier revisions are kept.
	KeyValueDelete
	// KeyValuePurge: the key was purged (Purge, or a TTL expired); its
	// earlier revisions are gone.
	KeyValuePurge
)

func (op KeyValueOp) String() string {
	switch op {
	case KeyValuePut:
		return "PUT"
	case KeyValueDelete:
		return "DELETE"
	case KeyValuePurge:
		return "PURGE"
	}
	return "UNKNOWN"
}

// KeyValueEntry is one revision of a key.
type KeyValueEntry struct {
	// Bucket is the bucket's name.
	Bucket string
	// Key is the key.
	Key string
	// Value is the value; empty for deletes and purges.
	Value []byte
	// Revision is unique and increasing within the bucket.
	Revision uint64
	// Created is when the revision was written.
	Created time.Time
	// Operation is what the revision did.
	Operation KeyValueOp
}

func (kv *KeyValue) entry(p *natsgwv1.KeyValueEntry) *KeyValueEntry {
	e := &KeyValueEntry{Bucket: kv.bucket, Key: p.GetKey(), Value: p.GetValue(), Revision: p.GetRevision(), Operation: KeyValuePut}
	if p.GetCreated() != nil {
		e.Created = p.GetCreated().AsTime()
	}
	switch p.GetOperation() {
	case natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_DELETE:
		e.Operation = KeyValueDelete
	case natsgwv1.KeyValueOperation_KEY_VALUE_OPERATION_PURGE:
		e.Operation = KeyValuePurge
	}
	return e
}

// Put stores value under key and returns the new revision. WithKeyTTL
// gives the value a time to live.
func (kv *KeyValue) Put(ctx context.Context, key string, value []byte, opts ...KVPutOption) (uint64, error) {
	req := &natsgwv1.KeyValueServicePutRequest{Bucket: kv.bucket, Key: key, Value: value}
	if ttl := createTTL(opts); ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Put{Put: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetPut,
		func(ctx context.Context) (*natsgwv1.KeyValueServicePutResponse, error) { return kv.svc.Put(ctx, req) })
	if err != nil {
		return 0, err
	}
	return kv.saw(r.GetRevision()), nil
}

// KVCreateOption configures KeyValue.Create and KeyValue.Put.
type KVCreateOption func(*kvCreateOptions)

// KVPutOption configures KeyValue.Put; the options are Create's.
type KVPutOption = KVCreateOption

type kvCreateOptions struct{ ttl time.Duration }

func createTTL(opts []KVCreateOption) time.Duration {
	var o kvCreateOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o.ttl
}

// WithKeyTTL gives the created or put value a time to live: after it, the
// key is purged (Get returns ErrNotFound, watchers see a KeyValuePurge). A
// whole number of seconds, at least 1 s; a TTL shorter than the bucket's
// LimitMarkerTTL (default 1 s) is raised to it. A later Put or Update of the
// key without a TTL removes it. A Put with a TTL replaces the key's kept
// history (NATS would otherwise bring the previous revision back when the
// TTL ran out). Default: no TTL.
func WithKeyTTL(d time.Duration) KVCreateOption {
	return func(o *kvCreateOptions) { o.ttl = d }
}

// Create stores value under key only if the key has no value (it never had
// one, or it was deleted or purged), and returns the new revision. If the key
// has a value it fails with ErrAlreadyExists.
func (kv *KeyValue) Create(ctx context.Context, key string, value []byte, opts ...KVCreateOption) (uint64, error) {
	req := &natsgwv1.KeyValueServiceCreateRequest{Bucket: kv.bucket, Key: key, Value: value}
	if ttl := createTTL(opts); ttl != 0 {
		req.Ttl = durationpb.New(ttl)
	}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Create{Create: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetCreate,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceCreateResponse, error) {
			return kv.svc.Create(ctx, req)
		})
	if err != nil {
		return 0, err
	}
	return kv.saw(r.GetRevision()), nil
}

// Update stores value under key only if the key's latest revision is
// revision (compare-and-swap), and returns the new revision. Otherwise it
// fails with ErrFailedPrecondition: read the key again and retry.
func (kv *KeyValue) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	req := &natsgwv1.KeyValueServiceUpdateRequest{Bucket: kv.bucket, Key: key, Value: value, Revision: revision}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Update{Update: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetUpdate,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceUpdateResponse, error) {
			return kv.svc.Update(ctx, req)
		})
	if err != nil {
		return 0, err
	}
	return kv.saw(r.GetRevision()), nil
}

// Get returns key's latest value. A key that was never set, or whose latest
// revision is a delete or purge, is ErrNotFound.
//
// By default the gateway may answer from its read cache: the answer is never
// older than anything this Client has written or read in the bucket,
// through any gateway instance (the Client sends the highest revision it
// has seen), but a change made by another client may take a moment to show.
// WithConsistentRead reads NATS instead. (If another client deletes the
// bucket and makes it again, revisions start anew and cached reads of it by
// this Client each wait up to 2 ms before reading NATS, until the new
// bucket passes the revision this Client saw last.)
func (kv *KeyValue) Get(ctx context.Context, key string, opts ...KVGetOption) (*KeyValueEntry, error) {
	var o kvGetOptions
	for _, opt := range opts {
		opt(&o)
	}
	return kv.get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: kv.bucket, Key: key, Consistent: o.consistent, MinRevision: kv.minRevision()})
}

// GetRevision returns key's entry at revision (0 means the latest). Asking
// for the revision of a delete or purge returns that entry, with its
// Operation; a revision the bucket no longer keeps, or of another key, is
// ErrNotFound.
func (kv *KeyValue) GetRevision(ctx context.Context, key string, revision uint64) (*KeyValueEntry, error) {
	return kv.get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: kv.bucket, Key: key, Revision: revision, MinRevision: kv.minRevision()})
}

func (kv *KeyValue) get(ctx context.Context, req *natsgwv1.KeyValueServiceGetRequest) (*KeyValueEntry, error) {
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{Get: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetGet,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceGetResponse, error) { return kv.svc.Get(ctx, req) })
	if err != nil {
		return nil, err
	}
	if req.GetRevision() == 0 {
		kv.saw(r.GetEntry().GetRevision())
	}
	return kv.entry(r.GetEntry()), nil
}

// KVDeleteOption configures KeyValue.Delete and KeyValue.Purge.
type KVDeleteOption func(*kvDeleteOptions)

type kvDeleteOptions struct{ revision uint64 }

// WithExpectedRevision makes Delete or Purge happen only if the key's latest
// revision is revision; otherwise they fail with ErrFailedPrecondition.
// Default: unconditional.
func WithExpectedRevision(revision uint64) KVDeleteOption {
	return func(o *kvDeleteOptions) { o.revision = revision }
}

func expectedRevision(opts []KVDeleteOption) uint64 {
	var o kvDeleteOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o.revision
}

// Delete marks key deleted (a tombstone revision); its history stays.
// Deleting a key that has no value succeeds.
func (kv *KeyValue) Delete(ctx context.Context, key string, opts ...KVDeleteOption) error {
	req := &natsgwv1.KeyValueServiceDeleteRequest{Bucket: kv.bucket, Key: key, ExpectedRevision: expectedRevision(opts)}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Delete{Delete: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetDelete,
		func(ctx context.Context) (*natsgwv1.KeyValueServiceDeleteResponse, error) {
			return kv.svc.Delete(ctx, req)
		})
	kv.saw(r.GetRevision())
	return err
}

// Purge marks key deleted and removes its history.
func (kv *KeyValue) Purge(ctx context.Context, key string, opts ...KVDeleteOption) error {
	req := &natsgwv1.KeyValueServicePurgeRequest{Bucket: kv.bucket, Key: key, ExpectedRevision: expectedRevision(opts)}
	r, err := kvCall(ctx, kv.c.kv, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Purge{Purge: req}},
		(*natsgwv1.KeyValueServiceSessionResponse).GetPurge,
		func(ctx context.Context) (*natsgwv1.KeyValueServicePurgeResponse, error) {
			return kv.svc.Purge(ctx, req)
		})
	kv.saw(r.GetRevision())
	return err
}

// KVKeysOption configures KeyValue.Keys and KeyValue.ListKeys.
type KVKeysOption func(*kvKeysOptions)

type kvKeysOptions struct{ filter string }

// WithKeyFilter lists only the keys matching pattern: a key, or a pattern
// with the wildcards '*' (one token) and '>' (the rest), such as
// "database.*". Default: every key.
func WithKeyFilter(pattern string) KVKeysOption {
	return func(o *kvKeysOptions) { o.filter = pattern }
}

// Keys returns the bucket's keys (those whose latest revision is a value),
// sorted. An empty bucket has no keys and no error. For very large buckets
// ListKeys avoids holding every key at once.
func (kv *KeyValue) Keys(ctx context.Context, opts ...KVKeysOption) ([]string, error) {
	keys := []string{}
	for k, err := range kv.ListKeys(ctx, opts...) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// ListKeys iterates over the bucket's keys as the gateway streams them, in
// batches, in the order of their latest revision (not sorted). A key changed
// during the listing may be listed twice or not at all. A failure is yielded
// as the last error. Stopping the loop early ends the listing.
func (kv *KeyValue) ListKeys(ctx context.Context, opts ...KVKeysOption) iter.Seq2[string, error] {
	var o kvKeysOptions
	for _, opt := range opts {
		opt(&o)
	}
	return func(yield func(string, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := kv.svc.Keys(ctx, &natsgwv1.KeyValueServiceKeysRequest{Bucket: kv.bucket, Filter: o.filter})
		if err != nil {
			yield("", convertError(err))
			return
		}
		for {
			r, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield("", convertError(err))
				return
			}
			for _, k := range r.GetKeys() {
				if !yield(k, nil) {
					return
				}
			}
		}
	}
}

// History returns every revision the bucket keeps for key (values, deletes
// and purges), oldest first; at most the bucket's History setting.
// ErrNotFound when the key has none.
func (kv *KeyValue) History(ctx context.Context, key string) ([]*KeyValueEntry, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := kv.svc.History(ctx, &natsgwv1.KeyValueServiceHistoryRequest{Bucket: kv.bucket, Key: key})
	if err != nil {
		return nil, convertError(err)
	}
	var out []*KeyValueEntry
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, convertError(err)
		}
		for _, p := range r.GetEntries() {
			out = append(out, kv.entry(p))
		}
	}
}

// KVWatchOption configures KeyValue.Watch.
type KVWatchOption func(*kvWatchOptions)

type kvWatchOptions struct {
	includeHistory, updatesOnly bool
	resumeFrom                  uint64
}

// WithIncludeHistory makes a watch start with every revision the bucket
// keeps for the matching keys. Default: only the latest revision of each.
func WithIncludeHistory() KVWatchOption {
	return func(o *kvWatchOptions) { o.includeHistory = true }
}

// WithUpdatesOnly makes a watch skip the current values: the init marker
// comes first, then changes. Not with WithIncludeHistory or
// WithResumeFromRevision. Default: the current values come first.
func WithUpdatesOnly() KVWatchOption {
	return func(o *kvWatchOptions) { o.updatesOnly = true }
}

// WithResumeFromRevision makes a watch start at revision: every revision of
// the matching keys from it on (that the bucket still keeps), then changes.
// A watcher that saw revision N resumes with N+1. Default: start with the
// current values.
func WithResumeFromRevision(revision uint64) KVWatchOption {
	return func(o *kvWatchOptions) { o.resumeFrom = revision }
}

// KeyWatcher delivers the entries of a Watch. Stop it, or cancel the
// context given to Watch, when done.
type KeyWatcher struct {
	updates chan *KeyValueEntry
	cancel  context.CancelFunc
	done    chan struct{}
	err     error // set before updates is closed
}

// Updates is the channel of entries, in revision order: first the current
// entries, then one nil entry marking that they are all delivered (exactly
// once; first with WithUpdatesOnly), then every change as it happens. It is
// closed when the watch ends (see Err). A watch re-opened after losing its
// gateway continues with every revision after the last one delivered; if
// that happens before the marker, keys changed meanwhile may show an older
// revision before their latest. A Purge removes its key's earlier revisions,
// including any not yet delivered: the watch then sees the purge without
// them.
func (w *KeyWatcher) Updates() <-chan *KeyValueEntry { return w.updates }

// Stop ends the watch and waits until Updates is closed, or until ctx ends
// (then it returns ctx's error; the watch still ends, promptly). Safe to
// call more than once.
func (w *KeyWatcher) Stop(ctx context.Context) error {
	w.cancel()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err is why the watch ended, once Updates is closed: nil after Stop, the
// context's end or the Client's Close; otherwise an error the watch cannot
// recover from (ErrNotFound when the bucket was deleted). A lost connection
// to the gateway does not end a watch: it is re-opened with backoff from the
// revision after the last one delivered (reported as KeyWatchLost and
// KeyWatchRestored events).
func (w *KeyWatcher) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

// watchBuffer is how many entries a KeyWatcher holds for a slow reader
// before it stops reading from the gateway (which then stops reading from
// NATS: nothing is lost, the watch just falls behind).
const watchBuffer = 256

// Watch watches the keys matching pattern (a key, or a pattern as in
// WithKeyFilter; "" or ">" means every key) until ctx ends or Stop. It
// returns once the gateway has started the watch, so every change made after
// Watch returns is delivered; a missing bucket or a bad pattern fails here.
func (kv *KeyValue) Watch(ctx context.Context, pattern string, opts ...KVWatchOption) (*KeyWatcher, error) {
	if err := kv.c.errIfClosed(); err != nil {
		return nil, err
	}
	var o kvWatchOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := &natsgwv1.KeyValueServiceWatchRequest{
		Bucket: kv.bucket, Key: pattern,
		IncludeHistory: o.includeHistory, UpdatesOnly: o.updatesOnly, ResumeFromRevision: o.resumeFrom,
	}
	if pattern == ">" {
		req.Key = ""
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(kv.c.ctx, cancel) // the Client's Close ends the watch
	kw := &keyWatch{kv: kv, req: req}
	stream, first, err := kw.open(ctx)
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	w := &KeyWatcher{updates: make(chan *KeyValueEntry, watchBuffer), cancel: cancel, done: make(chan struct{})}
	kw.out = w.updates
	kv.c.wg.Add(1)
	go func() {
		defer kv.c.wg.Done()
		defer close(w.done)
		defer close(w.updates)
		defer stop()
		defer cancel()
		w.err = kw.run(ctx, stream, first)
	}()
	return w, nil
}

// keyWatch follows a watch across streams: when one breaks, the next
// resumes after the last revision delivered.
type keyWatch struct {
	kv  *KeyValue
	req *natsgwv1.KeyValueServiceWatchRequest
	out chan<- *KeyValueEntry

	next     uint64 // the revision after the last entry delivered; 0: none yet
	initDone bool   // the init marker was delivered
	last     uint64 // the bucket's last revision when the watch started
}

// run delivers entries until ctx ends (nil) or a permanent error.
func (kw *keyWatch) run(ctx context.Context, stream natsgwv1.KeyValueService_WatchClient, first *natsgwv1.KeyValueServiceWatchResponse) error {
	log, bucket, pattern := kw.kv.c.log, kw.kv.bucket, kw.req.GetKey()
	if pattern == "" {
		pattern = ">"
	}
	event := func(e Event) {
		if kw.kv.c.onEvent != nil {
			e.Bucket, e.Subject = bucket, pattern
			kw.kv.c.onEvent(e)
		}
	}
	for {
		err := kw.deliver(ctx, stream, first)
		if ctx.Err() != nil {
			return nil
		}
		if permanent(err) {
			return err
		}
		log.Warn("natsgw: key watch lost; re-opening", "bucket", bucket, "pattern", pattern, "err", err)
		event(Event{Kind: KeyWatchLost, Err: err})
		for attempt := 0; ; attempt++ {
			select {
			case <-time.After(backoffDelay(attempt)):
			case <-ctx.Done():
				return nil
			}
			stream, first, err = kw.open(ctx)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if permanent(err) {
				return err
			}
		}
		log.Info("natsgw: key watch restored", "bucket", bucket, "pattern", pattern, "from_revision", kw.next)
		event(Event{Kind: KeyWatchRestored})
	}
}

// open opens the watch, or re-opens it where it left off, and reads its
// first response.
func (kw *keyWatch) open(ctx context.Context) (natsgwv1.KeyValueService_WatchClient, *natsgwv1.KeyValueServiceWatchResponse, error) {
	req := kw.req // nothing delivered yet: start over
	if kw.next > 0 || kw.initDone {
		from := kw.next
		if from == 0 {
			from = kw.last + 1
		}
		req = &natsgwv1.KeyValueServiceWatchRequest{Bucket: kw.req.GetBucket(), Key: kw.req.GetKey(), ResumeFromRevision: from}
	}
	stream, err := kw.kv.svc.Watch(ctx, req)
	if err != nil {
		return nil, nil, convertError(err)
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, nil, watchEnd(err)
	}
	return stream, first, nil
}

// deliver copies a watch stream into kw.out until it ends, starting with
// r; the init marker goes out once over all streams.
func (kw *keyWatch) deliver(ctx context.Context, stream natsgwv1.KeyValueService_WatchClient, r *natsgwv1.KeyValueServiceWatchResponse) error {
	for {
		for _, p := range r.GetEntries() {
			select {
			case kw.out <- kw.kv.entry(p):
				kw.next = p.GetRevision() + 1
			case <-ctx.Done():
				return nil
			}
		}
		if r.GetInitDone() && !kw.initDone {
			select {
			case kw.out <- nil:
				kw.initDone, kw.last = true, r.GetLastRevision()
			case <-ctx.Done():
				return nil
			}
		}
		var err error
		if r, err = stream.Recv(); err != nil {
			return watchEnd(err)
		}
	}
}

// watchEnd converts the error that ended a watch stream.
func watchEnd(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the gateway ended the watch", ErrUnavailable)
	}
	return convertError(err)
}

// KeyValueConfig configures a bucket. Zero fields take the defaults, which
// are also what a bucket created by a first write gets.
type KeyValueConfig struct {
	// Bucket is the bucket's name: letters, digits, '_' and '-'. Required.
	Bucket string
	// Description is free text, at most 4096 bytes.
	Description string
	// History is how many revisions to keep per key, 1 to 64. Default 5.
	History int
	// TTL is how long each revision lives: a whole number of seconds, at
	// least 1 s. Default 0: forever.
	TTL time.Duration
	// MaxBytes caps the bucket's size; writes beyond it fail with
	// ErrResourceExhausted. Default 0: unlimited.
	MaxBytes int64
	// MaxValueSize caps a value's size in bytes (NATS counts a write's
	// headers in it: about 40 bytes for Create). Default 0: no bucket limit;
	// the gateway's max payload (8 MiB by default) applies anyway.
	MaxValueSize int32
	// Memory keeps the bucket in memory instead of files (faster, lost when
	// NATS restarts). Default false: file storage. Cannot change later.
	Memory bool
	// Replicas is the number of copies in a NATS cluster, 1 to 5. Default 1.
	Replicas int
	// LimitMarkerTTL is how long the purge marker lives that NATS leaves
	// when a key's or the bucket's TTL removes a key; it is also the shortest
	// key TTL (see WithKeyTTL). A whole number of seconds, at least 1 s.
	// Default 1 s.
	LimitMarkerTTL time.Duration
	// Counter makes a counter bucket, whose keys are counters changed only
	// by Increment (NATS counters); it can have neither TTL nor
	// LimitMarkerTTL, and cannot change kind later. Default false.
	Counter bool
}

func (cfg KeyValueConfig) proto() (*natsgwv1.KeyValueBucketConfig, error) {
	if cfg.History < 0 || cfg.Replicas < 0 || cfg.TTL < 0 || cfg.LimitMarkerTTL < 0 {
		return nil, fmt.Errorf("%w: config: History, Replicas, TTL and LimitMarkerTTL must not be negative", ErrInvalidArgument)
	}
	p := &natsgwv1.KeyValueBucketConfig{
		Description:  cfg.Description,
		History:      uint32(cfg.History),
		MaxBytes:     cfg.MaxBytes,
		MaxValueSize: cfg.MaxValueSize,
		Replicas:     uint32(cfg.Replicas),
		Counter:      cfg.Counter,
	}
	if cfg.Memory {
		p.Storage = natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_MEMORY
	}
	if cfg.TTL > 0 {
		p.Ttl = durationpb.New(cfg.TTL)
	}
	if cfg.LimitMarkerTTL > 0 {
		p.LimitMarkerTtl = durationpb.New(cfg.LimitMarkerTTL)
	}
	return p, nil
}

// KeyValueStatus describes a bucket.
type KeyValueStatus struct {
	// Bucket is the bucket's name.
	Bucket string
	// Config is the configuration, with defaults filled in.
	Config KeyValueConfig
	// Values counts the revisions stored, history and delete markers
	// included.
	Values uint64
	// Bytes is the bucket's size.
	Bytes uint64
	// KeyTTLAllowed says whether Create may give keys a TTL (always true for
	// buckets the gateway made, on NATS 2.11 or later).
	KeyTTLAllowed bool
	// Created is when the bucket was created.
	Created time.Time
}

func statusFromProto(p *natsgwv1.KeyValueBucketInfo) *KeyValueStatus {
	c := p.GetConfig()
	st := &KeyValueStatus{
		Bucket: p.GetBucket(),
		Config: KeyValueConfig{
			Bucket:       p.GetBucket(),
			Description:  c.GetDescription(),
			History:      int(c.GetHistory()),
			MaxBytes:     c.GetMaxBytes(),
			MaxValueSize: c.GetMaxValueSize(),
			Memory:       c.GetStorage() == natsgwv1.KeyValueStorage_KEY_VALUE_STORAGE_MEMORY,
			Replicas:     int(c.GetReplicas()),
			Counter:      c.GetCounter(),
		},
		Values:        p.GetValues(),
		Bytes:         p.GetBytes(),
		KeyTTLAllowed: p.GetKeyTtlAllowed(),
	}
	if c.GetTtl() != nil {
		st.Config.TTL = c.GetTtl().AsDuration()
	}
	if c.GetLimitMarkerTtl() != nil {
		st.Config.LimitMarkerTTL = c.GetLimitMarkerTtl().AsDuration()
	}
	if p.GetCreated() != nil {
		st.Created = p.GetCreated().AsTime()
	}
	return st
}

// Status returns the bucket's configuration and state; ErrNotFound if it
// does not exist.
func (kv *KeyValue) Status(ctx context.Context) (*KeyValueStatus, error) {
	r, err := kv.svc.GetBucket(ctx, &natsgwv1.KeyValueServiceGetBucketRequest{Bucket: kv.bucket})
	if err != nil {
		return nil, convertError(err)
	}
	return statusFromProto(r.GetInfo()), nil
}

// CreateKeyValue creates a bucket with cfg. Creating a bucket that exists
// with the same configuration succeeds; with another configuration it fails
// with ErrAlreadyExists. (A first Put creates a bucket with the defaults
// without this call.)
func (c *Client) CreateKeyValue(ctx context.Context, cfg KeyValueConfig) (*KeyValueStatus, error) {
	p, err := cfg.proto()
	if err != nil {
		return nil, err
	}
	r, err := natsgwv1.NewKeyValueServiceClient(c.conn).CreateBucket(ctx, &natsgwv1.KeyValueServiceCreateBucketRequest{Bucket: cfg.Bucket, Config: p})
	if err != nil {
		return nil, convertError(err)
	}
	return statusFromProto(r.GetInfo()), nil
}

// UpdateKeyValue replaces a bucket's configuration with cfg; zero fields take
// the defaults, so start from the Config of KeyValue.Status. The storage
// (Memory) cannot change.
func (c *Client) UpdateKeyValue(ctx context.Context, cfg KeyValueConfig) (*KeyValueStatus, error) {
	p, err := cfg.proto()
	if err != nil {
		return nil, err
	}
	r, err := natsgwv1.NewKeyValueServiceClient(c.conn).UpdateBucket(ctx, &natsgwv1.KeyValueServiceUpdateBucketRequest{Bucket: cfg.Bucket, Config: p})
	if err != nil {
		return nil, convertError(err)
	}
	return statusFromProto(r.GetInfo()), nil
}

// DeleteKeyValue deletes a bucket and every key in it; ErrNotFound if it does
// not exist.
func (c *Client) DeleteKeyValue(ctx context.Context, bucket string) error {
	_, err := natsgwv1.NewKeyValueServiceClient(c.conn).DeleteBucket(ctx, &natsgwv1.KeyValueServiceDeleteBucketRequest{Bucket: bucket})
	if err == nil {
		// A bucket made again under this name starts its revisions anew.
		c.kv.seen.Delete(bucket)
	}
	return convertError(err)
}

// KeyValues returns the organization's buckets, sorted by name.
func (c *Client) KeyValues(ctx context.Context) ([]*KeyValueStatus, error) {
	r, err := natsgwv1.NewKeyValueServiceClient(c.conn).ListBuckets(ctx, &natsgwv1.KeyValueServiceListBucketsRequest{})
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]*KeyValueStatus, 0, len(r.GetBuckets()))
	for _, b := range r.GetBuckets() {
		out = append(out, statusFromProto(b))
	}
	return out, nil
}
