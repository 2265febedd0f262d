// Package gateway implements the natsgw gRPC services on top of one shared
// NATS connection. Handlers validate the request, map every caller-named
// subject and name through internal/tenant into the caller's organization,
// call NATS, and map results back. They never know whether NATS is embedded
// or external.
//
// Invariants: a handler reads the caller's identity only from the context
// (set by authentication), and every subject or name it hands to NATS comes
// from the tenant mapper for that identity's organization.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/kvcache"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Config configures a Gateway.
type Config struct {
	// Conn is the shared NATS connection. Required; the Gateway does not
	// close it.
	Conn *nats.Conn
	// Mapper maps names into organizations. Required.
	Mapper tenant.Mapper
	// MaxPayload is the largest message (data plus headers) accepted.
	// Required.
	MaxPayload int
	// Mode and Version are reported by Health.
	Mode    natsgwv1.NatsMode
	Version string
	// Connections, when set, reports the gRPC client connections open to
	// this instance, for Health and GetStatistics.
	Connections func() int
	// Logger receives handler logs. Nil discards them.
	Logger *slog.Logger
	// MaxBufferedBytesPerOrg bounds the bytes one organization's
	// subscriptions may hold on this instance (messages waiting for slow
	// clients); beyond it messages are dropped and counted. 0: no bound.
	MaxBufferedBytesPerOrg int64
	// OpDone, when set, is told of every operation carried inside a stream
	// rather than as a call of its own (KeyValueService/Session), under the
	// full method name of its unary form, when it ends: the server records
	// it as it records unary calls.
	OpDone func(ctx context.Context, method string, start time.Time, err error)
	// KVCache configures the KV read cache (see internal/kvcache). Nil: no
	// cache, every Get reads NATS.
	KVCache *kvcache.Config
}

// Gateway serves the natsgw gRPC services. Build it with New, call Start
// before serving and Close when done.
type Gateway struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	m          tenant.Mapper
	maxPayload int
	log        *slog.Logger
	cfg        Config
	// id names this instance in inbox subjects; unique per process start.
	id string
	// scrubRE matches organization prefixes in NATS error descriptions.
	scrubRE *regexp.Regexp

	subs    registry
	buffers orgBuffers
	traffic trafficByOrg
	inbox   *inbox
	dlq     *deadLetters
	confirm *confirmer
	objects *objectServer
	kv      *kvServer
	closing chan struct{}
	close   sync.Once
	deleted *nats.Subscription // stream-deleted advisories
	updated *nats.Subscription // stream-updated advisories
	// subjects caches stream subjects for PublishToStream.
	subjects streamSubjects
}

// New builds a Gateway; it does no I/O.
func New(cfg Config) (*Gateway, error) {
	if cfg.Conn == nil {
		return nil, errors.New("gateway: Conn is required")
	}
	if cfg.Mapper.Root() == "" {
		return nil, errors.New("gateway: Mapper is required")
	}
	if cfg.MaxPayload <= 0 {
		return nil, errors.New("gateway: MaxPayload must be positive")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("gateway: jetstream: %w", err)
	}
	g := &Gateway{
		nc:         cfg.Conn,
		js:         js,
		m:          cfg.Mapper,
		maxPayload: cfg.MaxPayload,
		log:        log,
		cfg:        cfg,
		id:         nuid.Next(),
		subs:       registry{byID: make(map[string]*subscription)},
		buffers:    orgBuffers{max: cfg.MaxBufferedBytesPerOrg},
		closing:    make(chan struct{}),
		scrubRE:    regexp.MustCompile(`(?:_natsgw\.dlq\.)?` + regexp.QuoteMeta(cfg.Mapper.Root()) + `[._][a-z0-9-]{1,32}[._]`),
		traffic:    trafficByOrg{since: time.Now()},
	}
	g.inbox = newInbox(g.m, g.id)
	g.dlq = newDeadLetters(g)
	g.confirm = newConfirmer()
	g.kv = newKVServer(g)
	if g.objects, err = newObjectServer(g); err != nil {
		return nil, fmt.Errorf("gateway: object store: %w", err)
	}
	return g, nil
}

// Start makes the instance's own NATS subscriptions: request inboxes and
// the dead-letter advisories (shared with every other instance).
func (g *Gateway) Start() error {
	if err := g.inbox.start(g.nc); err != nil {
		return fmt.Errorf("gateway: inbox: %w", err)
	}
	if err := g.confirm.start(g.nc); err != nil {
		return fmt.Errorf("gateway: ack confirmations: %w", err)
	}
	if err := g.dlq.start(); err != nil {
		return fmt.Errorf("gateway: dead-letter advisories: %w", err)
	}
	var err error
	if g.deleted, err = g.nc.Subscribe(advisoryStreamDeleted+"*", g.onStreamDeleted); err != nil {
		return fmt.Errorf("gateway: stream-deleted advisories: %w", err)
	}
	if g.updated, err = g.nc.Subscribe(advisoryStreamUpdated+"*", g.onStreamUpdated); err != nil {
		return fmt.Errorf("gateway: stream-updated advisories: %w", err)
	}
	return g.nc.Flush()
}

// advisoryStreamDeleted prefixes the advisory NATS publishes when a stream
// is deleted; its last token is the stream's name.
const advisoryStreamDeleted = "$JS.EVENT.ADVISORY.STREAM.DELETED."

// onStreamDeleted ends this instance's watches of a deleted KV bucket, drops
// it from the read cache, and drops a deleted stream's cached subjects,
// whoever deleted it.
func (g *Gateway) onStreamDeleted(m *nats.Msg) {
	stream := strings.TrimPrefix(m.Subject, advisoryStreamDeleted)
	g.subjects.forget(stream)
	if bucket, ok := strings.CutPrefix(stream, kvStreamPrefix); ok {
		g.kv.bucketDeleted(bucket)
	}
}

// onStreamUpdated drops a reconfigured stream's cached subjects and a
// reconfigured KV bucket from the read cache (its max age may have changed),
// whoever updated it.
func (g *Gateway) onStreamUpdated(m *nats.Msg) {
	stream := strings.TrimPrefix(m.Subject, advisoryStreamUpdated)
	g.subjects.forget(stream)
	if bucket, ok := strings.CutPrefix(stream, kvStreamPrefix); ok {
		g.kv.forget(bucket)
	}
}

// BufferedBytes reports the bytes org's subscriptions hold on this
// instance now (see Config.MaxBufferedBytesPerOrg).
func (g *Gateway) BufferedBytes(org string) int64 { return g.buffers.held(org) }

// TotalBufferedBytes reports the bytes all subscriptions hold now.
func (g *Gateway) TotalBufferedBytes() int64 { return g.buffers.total() }

// Register adds the gateway's services to s.
func (g *Gateway) Register(s grpc.ServiceRegistrar) {
	natsgwv1.RegisterMessagingServiceServer(s, &messagingServer{g: g})
	natsgwv1.RegisterAdminServiceServer(s, &adminServer{g: g})
	natsgwv1.RegisterStreamServiceServer(s, &streamServer{g: g})
	natsgwv1.RegisterConsumerServiceServer(s, &consumerServer{g: g})
	natsgwv1.RegisterKeyValueServiceServer(s, g.kv)
	natsgwv1.RegisterObjectStoreServiceServer(s, g.objects)
}

// Close ends every open subscription stream (clients see Unavailable and
// reconnect elsewhere) and the instance's own NATS subscriptions. Safe to call
// more than once.
func (g *Gateway) Close() {
	g.close.Do(func() {
		close(g.closing)
		g.inbox.stop()
		g.dlq.stop()
		g.confirm.stop()
		for _, sub := range []*nats.Subscription{g.deleted, g.updated} {
			if sub != nil {
				_ = sub.Unsubscribe()
			}
		}
		g.kv.close()
	})
}

// identity returns the caller, set by the authentication interceptor.
func identity(ctx context.Context) (tenant.Identity, error) {
	id, ok := tenant.FromContext(ctx)
	if !ok {
		// Unreachable when the server is wired correctly; fail closed.
		return tenant.Identity{}, status.Error(codes.Unauthenticated, "no identity")
	}
	return id, nil
}

// flushTimeout bounds a NATS flush when the call has no deadline.
const flushTimeout = 10 * time.Second

// flush waits until NATS has processed everything this instance sent.
func (g *Gateway) flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	return g.nc.FlushWithContext(ctx)
}
