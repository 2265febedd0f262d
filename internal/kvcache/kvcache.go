// Package kvcache is the gateway's read cache of key-value buckets.
//
// A bucket is cached whole: the first cacheable read of a bucket starts a
// NATS watch of all its keys (the latest value of each, then every change in
// stream order), and the cache holds the bucket's current entries and the
// revision it has applied. A read is answered from memory only when
//
//   - the watch has delivered the bucket's initial state and is running, and
//     the NATS connection is up (the cache is live);
//   - the watch knows of no pending change (caught up: the last delivered
//     entry had nothing pending behind it);
//   - the applied revision is at least the revision the caller asks for
//     (min revision) and at least every revision of the bucket written or
//     read from NATS through this gateway instance (Seen), so a client reads
//     its own writes and reads through one instance never go back in time.
//
// Otherwise the read waits a little (Config.MaxWait) for the watch, and if the
// watch is still not there the caller reads NATS. Because the cache holds a
// whole bucket, a key absent from a caught-up cache is absent in NATS too.
//
// Memory is bounded per bucket (keys and bytes), per organization (bytes, over
// all its buckets) and per instance (buckets). A bucket that would break a
// bound is dropped from the cache and not cached again for a while; its reads
// go to NATS. So does a bucket written much more often than it is read
// (following it would cost every write more than the reads gain), for a
// minute. Entries older than the bucket's max age are never served (NATS
// removes them without telling watchers when the bucket has no limit markers).
//
// The cache never reads or writes outside the bucket it is asked for; the
// caller maps names into organizations and passes the NATS bucket name.
package kvcache

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultBucketKeys  = 100_000
	DefaultBucketBytes = 64 << 20
	DefaultOrgBytes    = 256 << 20
	DefaultMaxBuckets  = 1024
	DefaultMaxWait     = 2 * time.Millisecond
	// DefaultWriteWindow is the default of Config.WriteWindow.
	DefaultWriteWindow = 10_000
)

// entryOverhead is the bytes counted per cached entry beyond its key and
// value (map slot, entry struct, converted value).
const entryOverhead = 160

// Retry delays of a bucket that could not be cached.
const (
	retryFailed   = time.Second     // the watch could not start or ended
	retryOverflow = 5 * time.Minute // the bucket broke a memory bound
	retryWrites   = time.Minute     // the bucket was written much more than read
	idleEvict     = time.Minute     // a bucket unused this long may give way to another
)

// Config bounds a Cache. Zero fields take the defaults.
type Config struct {
	// BucketKeys is the most keys one cached bucket may hold. Default 100,000.
	BucketKeys int
	// BucketBytes is the most bytes (keys, values and overhead) one cached
	// bucket may hold. Default 64 MiB.
	BucketBytes int64
	// OrgBytes is the most bytes all cached buckets of one organization may
	// hold on this instance. Default 256 MiB.
	OrgBytes int64
	// MaxBuckets is the most buckets cached at once on this instance (each
	// costs a NATS consumer). Default 1024.
	MaxBuckets int
	// MaxWait bounds how long a read waits for the watch to reach the
	// revision it needs before the caller reads NATS. Default 2 ms.
	MaxWait time.Duration
	// WriteWindow: every WriteWindow changes a cached bucket applies, the
	// cache checks that the bucket was read at least a quarter as often
	// (following a bucket costs every write a delivery to the cache); a
	// bucket read less leaves the cache for a minute. Default 10,000.
	WriteWindow int
	// Registerer receives the cache's metrics. Nil: none.
	Registerer prometheus.Registerer
	// Logger receives the cache's logs. Nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.BucketKeys <= 0 {
		c.BucketKeys = DefaultBucketKeys
	}
	if c.BucketBytes <= 0 {
		c.BucketBytes = DefaultBucketBytes
	}
	if c.OrgBytes <= 0 {
		c.OrgBytes = DefaultOrgBytes
	}
	if c.MaxBuckets <= 0 {
		c.MaxBuckets = DefaultMaxBuckets
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.WriteWindow <= 0 {
		c.WriteWindow = DefaultWriteWindow
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Source is what the cache needs from the gateway.
type Source[V any] struct {
	// Open returns a handle of the NATS bucket name.
	Open func(ctx context.Context, bucket string) (jetstream.KeyValue, error)
	// Live reports whether the NATS connection is up.
	Live func() bool
	// Convert turns a watched entry into what Get returns. It runs once per
	// change, on the watch's goroutine; the result is shared by every reader
	// and must not be modified.
	Convert func(jetstream.KeyValueEntry) V
}

// Cache caches buckets. Its methods are safe for concurrent use.
type Cache[V any] struct {
	cfg Config
	src Source[V]
	m   *metrics

	mu      sync.RWMutex
	buckets map[string]*bucket[V]
	orgs    map[string]*atomic.Int64 // bytes cached per organization
	closed  bool
	wg      sync.WaitGroup
}

// New returns an empty cache; it does no I/O.
func New[V any](cfg Config, src Source[V]) *Cache[V] {
	cfg = cfg.withDefaults()
	return &Cache[V]{cfg: cfg, src: src, m: newMetrics(cfg.Registerer), buckets: map[string]*bucket[V]{}, orgs: map[string]*atomic.Int64{}}
}

// bucket states.
const (
	loading int32 = iota
	live
	dead // not cached until retryAt
)

type bucket[V any] struct {
	name     string
	orgBytes *atomic.Int64
	cancel   context.CancelFunc
	retryAt  atomic.Int64 // unix nanos; for dead, set before the state changes

	state    atomic.Int32
	applied  atomic.Uint64 // the revision the map reflects
	seen     atomic.Uint64 // the highest revision written or read through this instance
	behind   atomic.Bool   // the watch knows of changes it has not delivered
	lastUsed atomic.Int64  // unix nanos of the last read
	reads    atomic.Int64  // reads since the last write-window check
	changes  int           // changes since that check; only run touches it
	maxAge   time.Duration // the bucket's max age when the watch started

	mu    sync.RWMutex
	m     map[string]item[V]
	bytes int64

	waitMu  sync.Mutex
	waiters int
	changed chan struct{} // closed when applied advances while waiters > 0
}

type item[V any] struct {
	v       V
	created time.Time
	size    int64
}

// Result says how Get went.
type Result int

const (
	// Miss: the cache cannot answer; read NATS.
	Miss Result = iota
	// Hit: the key's latest value is returned.
	Hit
	// Absent: the key has no value (never written, deleted, purged or
	// expired).
	Absent
)

// Get looks key up in the cached bucket (a NATS bucket name) of org. It
// starts caching the bucket if it is not cached yet (that read misses).
// minRev is the revision the answer must reflect at least (0: none).
func (c *Cache[V]) Get(ctx context.Context, org, name, key string, minRev uint64) (V, Result) {
	var zero V
	b := c.bucket(org, name)
	if b == nil {
		c.m.missCold.Inc()
		return zero, Miss
	}
	// lastUsed serves eviction in minutes: a store a second is enough,
	// and spares concurrent readers a shared write on every hit.
	if now := time.Now().UnixNano(); now-b.lastUsed.Load() > int64(time.Second) {
		b.lastUsed.Store(now)
	}
	b.reads.Add(1)
	if b.state.Load() != live || !c.src.Live() {
		c.m.missCold.Inc()
		return zero, Miss
	}
	need := max(minRev, b.seen.Load())
	if b.applied.Load() < need || b.behind.Load() {
		if !b.wait(ctx, need, c.cfg.MaxWait) {
			c.m.missBehind.Inc()
			return zero, Miss
		}
	}
	b.mu.RLock()
	it, ok := b.m[key]
	b.mu.RUnlock()
	if b.state.Load() != live {
		// Dropped meanwhile (deleted bucket, overflow): the map may be
		// cleared.
		c.m.missCold.Inc()
		return zero, Miss
	}
	if !ok {
		c.m.hitAbsent.Inc()
		return zero, Absent
	}
	if b.maxAge > 0 && time.Since(it.created) >= b.maxAge {
		c.m.missExpired.Inc()
		return zero, Miss
	}
	c.m.hitValue.Inc()
	return it.v, Hit
}

// Seen records that a caller of this instance has seen revision rev of
// bucket name (it wrote it, or read it from NATS): later reads here wait for
// the watch to apply it, so they never return an older state.
func (c *Cache[V]) Seen(name string, rev uint64) {
	c.mu.RLock()
	b := c.buckets[name]
	c.mu.RUnlock()
	if b == nil {
		// Not cached: a watch started later begins after this write.
		return
	}
	for {
		w := b.seen.Load()
		if w >= rev || b.seen.CompareAndSwap(w, rev) {
			return
		}
	}
}

// Drop forgets bucket name (deleted or reconfigured); the next read starts
// caching it anew.
func (c *Cache[V]) Drop(name string) {
	c.mu.Lock()
	b := c.buckets[name]
	delete(c.buckets, name)
	c.mu.Unlock()
	if b != nil {
		b.state.Store(dead)
		b.cancel()
		c.m.buckets.Set(float64(c.count()))
	}
}

// Close stops every watch and waits for them to end. Get misses afterwards.
func (c *Cache[V]) Close() {
	c.mu.Lock()
	c.closed = true
	for name, b := range c.buckets {
		b.state.Store(dead)
		b.cancel()
		delete(c.buckets, name)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Cache[V]) count() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.buckets)
}

// bucket returns name's cache entry, starting one if there is none and the
// bucket may be cached; nil when it may not.
func (c *Cache[V]) bucket(org, name string) *bucket[V] {
	c.mu.RLock()
	b := c.buckets[name]
	c.mu.RUnlock()
	if b != nil && b.usable() {
		return b
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if b = c.buckets[name]; b != nil {
		if b.usable() {
			return b
		}
		delete(c.buckets, name)
	}
	if len(c.buckets) >= c.cfg.MaxBuckets && !c.evictIdleLocked() {
		return nil
	}
	ob := c.orgs[org]
	if ob == nil {
		ob = new(atomic.Int64)
		c.orgs[org] = ob
	}
	ctx, cancel := context.WithCancel(context.Background())
	b = &bucket[V]{name: name, orgBytes: ob, cancel: cancel, m: map[string]item[V]{}, changed: make(chan struct{})}
	c.buckets[name] = b
	c.m.buckets.Set(float64(len(c.buckets)))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.run(ctx, b)
	}()
	return b
}

// evictIdleLocked drops the least recently read bucket if it has been idle
// a while (or is dead), making room for another.
func (c *Cache[V]) evictIdleLocked() bool {
	var lru *bucket[V]
	for _, b := range c.buckets {
		if lru == nil || b.lastUsed.Load() < lru.lastUsed.Load() {
			lru = b
		}
	}
	if lru == nil || (lru.state.Load() != dead && time.Since(time.Unix(0, lru.lastUsed.Load())) < idleEvict) {
		return false
	}
	delete(c.buckets, lru.name)
	lru.state.Store(dead)
	lru.cancel()
	return true
}

// run follows bucket b until ctx ends, the watch ends or b overflows; b is
// dead afterwards and its memory released.
func (c *Cache[V]) run(ctx context.Context, b *bucket[V]) {
	retry := retryFailed
	defer func() {
		b.retryAt.Store(time.Now().Add(retry).UnixNano())
		b.state.Store(dead)
		b.release(c.m)
		b.notify()
	}()
	kv, err := c.src.Open(ctx, b.name)
	if err != nil {
		c.cfg.Logger.Debug("kv cache: open", "bucket", b.name, "err", err)
		return
	}
	st, err := kv.Status(ctx)
	if err != nil {
		c.cfg.Logger.Debug("kv cache: status", "bucket", b.name, "err", err)
		return
	}
	var last uint64
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok && bs.StreamInfo() != nil {
		last = bs.StreamInfo().State.LastSeq
	}
	b.maxAge = st.TTL()
	w, err := kv.WatchAll(ctx)
	if err != nil {
		c.cfg.Logger.Debug("kv cache: watch", "bucket", b.name, "err", err)
		return
	}
	defer func() {
		_ = w.Stop()
		for range w.Updates() { // let nats.go's delivery goroutine finish
		}
	}()
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case e, ok = <-w.Updates():
		case <-ctx.Done():
			return
		}
		if !ok {
			return // the watch ended (bucket deleted, connection closed)
		}
		if e == nil {
			// Initial state delivered. Every revision up to last was
			// either delivered or superseded.
			if b.applied.Load() < last {
				b.applied.Store(last)
			}
			b.state.CompareAndSwap(loading, live)
			b.notify()
			continue
		}
		if !c.apply(b, e) {
			retry = retryOverflow
			c.m.overflows.Inc()
			c.cfg.Logger.Info("kv cache: bucket exceeds the cache's bounds; reads go to NATS", "bucket", b.name, "retry_in", retry)
			return
		}
		if b.state.Load() != live {
			continue
		}
		if b.changes++; b.changes >= c.cfg.WriteWindow {
			if reads := b.reads.Swap(0); reads*4 < int64(b.changes) {
				retry = retryWrites
				c.m.writeHeavy.Inc()
				c.cfg.Logger.Debug("kv cache: bucket written much more than read; reads go to NATS", "bucket", b.name, "changes", b.changes, "reads", reads, "retry_in", retry)
				return
			}
			b.changes = 0
		}
	}
}

// apply records e in b; false when b broke a bound.
func (c *Cache[V]) apply(b *bucket[V], e jetstream.KeyValueEntry) bool {
	key := e.Key()
	b.mu.Lock()
	old, had := b.m[key]
	var delta int64
	if had {
		delta -= old.size
		delete(b.m, key)
	}
	ok := true
	if e.Operation() == jetstream.KeyValuePut {
		size := int64(len(key) + len(e.Value()) + entryOverhead)
		delta += size
		b.m[key] = item[V]{v: c.src.Convert(e), created: e.Created(), size: size}
		if len(b.m) > c.cfg.BucketKeys || b.bytes+delta > c.cfg.BucketBytes || b.orgBytes.Load()+delta > c.cfg.OrgBytes {
			ok = false
		}
	}
	b.bytes += delta
	b.mu.Unlock()
	b.orgBytes.Add(delta)
	c.m.bytes.Add(float64(delta))
	if !ok {
		return false
	}
	// The map reflects e before a reader can see its revision applied.
	b.applied.Store(e.Revision())
	b.behind.Store(e.Delta() > 0)
	b.notify()
	return true
}

// usable reports whether b is cached or being loaded, or gave up too
// recently to be tried again.
func (b *bucket[V]) usable() bool {
	return b.state.Load() != dead || time.Now().UnixNano() < b.retryAt.Load()
}

// release forgets b's entries and gives back their bytes.
func (b *bucket[V]) release(m *metrics) {
	b.mu.Lock()
	n := b.bytes
	b.m, b.bytes = map[string]item[V]{}, 0
	b.mu.Unlock()
	b.orgBytes.Add(-n)
	m.bytes.Add(-float64(n))
}

// notify wakes the readers waiting for b to advance.
func (b *bucket[V]) notify() {
	b.waitMu.Lock()
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.waitMu.Unlock()
}

// wait waits up to d for b to be live, caught up and at revision need.
func (b *bucket[V]) wait(ctx context.Context, need uint64, d time.Duration) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	b.waitMu.Lock()
	b.waiters++
	defer func() {
		b.waitMu.Lock()
		b.waiters--
		b.waitMu.Unlock()
	}()
	for {
		if b.state.Load() != live {
			b.waitMu.Unlock()
			return false
		}
		if b.applied.Load() >= need && !b.behind.Load() {
			b.waitMu.Unlock()
			return true
		}
		ch := b.changed
		b.waitMu.Unlock()
		if timer == nil {
			timer = time.NewTimer(d)
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
		b.waitMu.Lock()
	}
}

// OrgBytes reports the bytes cached for org.
func (c *Cache[V]) OrgBytes(org string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if ob := c.orgs[org]; ob != nil {
		return ob.Load()
	}
	return 0
}

type metrics struct {
	hits   *prometheus.CounterVec
	misses *prometheus.CounterVec
	// Children of hits and misses, looked up once.
	hitValue, hitAbsent, missCold, missBehind, missExpired prometheus.Counter
	bytes                                                  prometheus.Gauge
	buckets                                                prometheus.Gauge
	overflows                                              prometheus.Counter
	writeHeavy                                             prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "natsgw_kv_cache_hits_total",
			Help: "KV reads answered from the gateway's read cache, by result (value: the key's value; absent: the key has none).",
		}, []string{"result"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "natsgw_kv_cache_misses_total",
			Help: "Cacheable KV reads that went to NATS, by reason (cold: the bucket is not cached or not live; behind: the watch did not reach the needed revision in time; expired: past the bucket's max age).",
		}, []string{"reason"}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "natsgw_kv_cache_bytes",
			Help: "Bytes held by the KV read cache (keys, values and per-entry overhead).",
		}),
		buckets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "natsgw_kv_cache_buckets",
			Help: "Buckets the KV read cache follows or has recently given up on.",
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "natsgw_kv_cache_overflows_total",
			Help: "Buckets dropped from the KV read cache because they exceeded a memory bound.",
		}),
	}
	m.hitValue, m.hitAbsent = m.hits.WithLabelValues("value"), m.hits.WithLabelValues("absent")
	m.missCold, m.missBehind, m.missExpired = m.misses.WithLabelValues("cold"), m.misses.WithLabelValues("behind"), m.misses.WithLabelValues("expired")
	m.writeHeavy = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "natsgw_kv_cache_write_heavy_total",
		Help: "Buckets dropped from the KV read cache for a minute because they were written far more often than read.",
	})
	if reg != nil {
		reg.MustRegister(m.hits, m.misses, m.bytes, m.buckets, m.overflows, m.writeHeavy)
	}
	return m
}
