package natsgw

import (
	"crypto/tls"
	"log/slog"

	"google.golang.org/grpc"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	org, user, token string
	logger           *slog.Logger
	onEvent          func(Event)
	dialOpts         []grpc.DialOption
	tls              *tls.Config // nil: plaintext
}

// WithOrg sets the organization to act in (open mode; sent as the
// x-natsgw-org metadata). Default: the gateway's default ("default").
func WithOrg(org string) Option { return func(o *options) { o.org = org } }

// WithUser sets the user (principal) to act as (open mode; sent as the
// x-natsgw-user metadata). Default: the gateway's default ("anonymous").
func WithUser(user string) Option { return func(o *options) { o.user = user } }

// WithToken sets a bearer token, sent as "authorization: Bearer <token>" on
// every call. Default: none.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithLogger sets where the client logs (subscriptions lost and restored,
// handler panics). Default: nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithEventHandler sets a function called when a subscription or responder is
// lost or re-established. It runs on the subscription's goroutine and must
// not block. Default: none.
func WithEventHandler(f func(Event)) Option { return func(o *options) { o.onEvent = f } }

// WithTLS connects over TLS, verifying the gateway's certificate with cfg
// (nil: the system's roots and the target's host name). Use it with a
// gateway started with --tls-cert; tokens (WithToken) should only ever
// travel over TLS beyond localhost. With a consul:// target, set
// cfg.ServerName to the name in the gateways' certificates (the target
// names a service, not a host). Default: plaintext.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			cfg = &tls.Config{}
		}
		o.tls = cfg.Clone()
		if o.tls.MinVersion == 0 {
			o.tls.MinVersion = tls.VersionTLS12
		}
	}
}

// WithDialOptions adds gRPC dial options, applied after the client's own
// (for TLS use WithTLS). Default: none.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// EventKind says what happened to a subscription.
type EventKind int

const (
	// SubscriptionLost: the stream to the gateway broke; the client is
	// retrying with backoff.
	SubscriptionLost EventKind = iota + 1
	// SubscriptionRestored: the subscription is active again.
	SubscriptionRestored
	// KeyWatchLost: the stream of a KeyValue.Watch broke; the client is
	// re-opening it with backoff, from the revision after the last one
	// delivered, so no change is missed.
	KeyWatchLost
	// KeyWatchRestored: the watch is following changes again.
	KeyWatchRestored
)

func (k EventKind) String() string {
	switch k {
	case SubscriptionLost:
		return "subscription lost"
	case SubscriptionRestored:
		return "subscription restored"
	case KeyWatchLost:
		return "key watch lost"
	case KeyWatchRestored:
		return "key watch restored"
	}
	return "unknown event"
}

// Event reports a change in the connection of a subscription, a responder
// or a key-value watch.
type Event struct {
	Kind EventKind
	// Subject is the subscription's subject, or the watch's key pattern.
	Subject string
	// Bucket is the watched bucket (KeyWatch events only).
	Bucket string
	// Err is why the stream was lost (SubscriptionLost and KeyWatchLost
	// only).
	Err error
}
