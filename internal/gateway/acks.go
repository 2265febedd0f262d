package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Acknowledgement limits.
const (
	maxAckTokens    = 10000
	maxNakDelay     = 24 * time.Hour
	maxTermReason   = 1024
	ackConfirmAfter = 10 * time.Second // bounds the wait for NATS's confirmation without a deadline
)

// ackOp is one acknowledgement to publish to a token's subject.
type ackOp struct {
	tok     tenant.AckToken
	kind    natsgwv1.AckKind
	payload []byte
	reason  string // TERM
}

// ackPayload is the JetStream protocol text of an acknowledgement.
func ackPayload(kind natsgwv1.AckKind, delay time.Duration, reason string) []byte {
	switch kind {
	case natsgwv1.AckKind_ACK_KIND_ACK:
		return []byte("+ACK")
	case natsgwv1.AckKind_ACK_KIND_NAK:
		if delay > 0 {
			return []byte(`-NAK {"delay": ` + strconv.FormatInt(int64(delay), 10) + `}`)
		}
		return []byte("-NAK")
	case natsgwv1.AckKind_ACK_KIND_TERM:
		// The marker tells the dead-letter handler that this term was
		// dealt with before it was sent (see dlq.go).
		if reason != "" {
			return []byte("+TERM " + termMarker + " " + reason)
		}
		return []byte("+TERM " + termMarker)
	case natsgwv1.AckKind_ACK_KIND_IN_PROGRESS:
		return []byte("+WPI")
	}
	return nil
}

// ackToken checks one token (request field field) for org. A token that is
// not an ack token is InvalidArgument; a token of another organization is
// PermissionDenied.
func (g *Gateway) ackToken(org, field, token string) (tenant.AckToken, error) {
	tok, err := g.m.ParseAckToken(org, token)
	switch {
	case errors.Is(err, tenant.ErrForeignAckToken):
		return tok, permissionDenied("%s: the ack token belongs to a stream outside your organization", field)
	case err != nil:
		return tok, invalidArgument(field, err)
	}
	return tok, nil
}

// ackOps validates a unary call's tokens and options into operations.
func (g *Gateway) ackOps(org string, tokens []string, kind natsgwv1.AckKind, delay time.Duration, reason string) ([]ackOp, error) {
	if len(tokens) == 0 {
		return nil, invalidArgumentf("ack_tokens", "at least one token is required")
	}
	if len(tokens) > maxAckTokens {
		return nil, invalidArgumentf("ack_tokens", "at most %d tokens (got %d)", maxAckTokens, len(tokens))
	}
	payload := ackPayload(kind, delay, reason)
	ops := make([]ackOp, len(tokens))
	for i, t := range tokens {
		tok, err := g.ackToken(org, fmt.Sprintf("ack_tokens[%d]", i), t)
		if err != nil {
			return nil, err
		}
		ops[i] = ackOp{tok: tok, kind: kind, payload: payload, reason: reason}
	}
	return ops, nil
}

// checkNakDelay validates a NAK delay field.
func checkNakDelay(field string, d *durationpb.Duration) (time.Duration, error) {
	if d == nil {
		return 0, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, invalidArgument(field, err)
	}
	v := d.AsDuration()
	if v < 0 || v > maxNakDelay {
		return 0, invalidArgumentf(field, "must be between 0 and %s", maxNakDelay)
	}
	return v, nil
}

// checkTermReason validates a TERM reason field.
func checkTermReason(field, reason string) error {
	if len(reason) > maxTermReason {
		return invalidArgumentf(field, "must be at most %d bytes", maxTermReason)
	}
	for i := 0; i < len(reason); i++ {
		if reason[i] == '\r' || reason[i] == '\n' {
			return invalidArgumentf(field, "must be one line (no CR or LF)")
		}
	}
	return nil
}

func (s *consumerServer) Ack(ctx context.Context, req *natsgwv1.AckRequest) (*natsgwv1.AckResponse, error) {
	return &natsgwv1.AckResponse{}, s.g.unaryAck(ctx, req.GetAckTokens(), natsgwv1.AckKind_ACK_KIND_ACK, 0, "")
}

func (s *consumerServer) Nak(ctx context.Context, req *natsgwv1.NakRequest) (*natsgwv1.NakResponse, error) {
	delay, err := checkNakDelay("delay", req.GetDelay())
	if err != nil {
		return nil, err
	}
	return &natsgwv1.NakResponse{}, s.g.unaryAck(ctx, req.GetAckTokens(), natsgwv1.AckKind_ACK_KIND_NAK, delay, "")
}

func (s *consumerServer) Term(ctx context.Context, req *natsgwv1.TermRequest) (*natsgwv1.TermResponse, error) {
	if err := checkTermReason("reason", req.GetReason()); err != nil {
		return nil, err
	}
	return &natsgwv1.TermResponse{}, s.g.unaryAck(ctx, req.GetAckTokens(), natsgwv1.AckKind_ACK_KIND_TERM, 0, req.GetReason())
}

func (s *consumerServer) InProgress(ctx context.Context, req *natsgwv1.InProgressRequest) (*natsgwv1.InProgressResponse, error) {
	return &natsgwv1.InProgressResponse{}, s.g.unaryAck(ctx, req.GetAckTokens(), natsgwv1.AckKind_ACK_KIND_IN_PROGRESS, 0, "")
}

// unaryAck runs Ack, Nak, Term or InProgress: every token is checked before
// anything is sent, terminated messages go to the dead-letter stream first,
// then every acknowledgement is published as a request and the call returns
// once NATS has confirmed them all.
func (g *Gateway) unaryAck(ctx context.Context, tokens []string, kind natsgwv1.AckKind, delay time.Duration, reason string) error {
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	ops, err := g.ackOps(id.Org, tokens, kind, delay, reason)
	if err != nil {
		return err
	}
	verb := ackVerb(kind)
	if kind == natsgwv1.AckKind_ACK_KIND_TERM {
		if err := g.dlq.beforeTerm(ctx, id.Org, ops); err != nil {
			return g.natsError(ctx, verb, err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ackConfirmAfter)
		defer cancel()
	}
	errs := g.confirm.requestAll(ctx, g.nc, ops)
	done := 0
	for _, e := range errs {
		if e == nil {
			done++
		}
	}
	for i, e := range errs {
		if e == nil {
			continue
		}
		what := fmt.Sprintf("%s ack_tokens[%d] (%d of %d confirmed)", verb, i, done, len(ops))
		if errors.Is(e, nats.ErrNoResponders) {
			return notFound("%s: the consumer %q of stream %q does not exist (any more)", what, ops[i].tok.Consumer, ops[i].tok.Stream)
		}
		return g.natsError(ctx, what, e)
	}
	return nil
}

func ackVerb(kind natsgwv1.AckKind) string {
	switch kind {
	case natsgwv1.AckKind_ACK_KIND_NAK:
		return "nak"
	case natsgwv1.AckKind_ACK_KIND_TERM:
		return "term"
	case natsgwv1.AckKind_ACK_KIND_IN_PROGRESS:
		return "in progress"
	}
	return "ack"
}

// confirmer publishes acknowledgements as requests ("double ack") and
// collects NATS's confirmations over one subscription of this instance.
// Its reply subjects live in the instance's private inbox, outside every
// organization, so no caller's stream ever captures a confirmation.
type confirmer struct {
	prefix string // "_INBOX.<nuid>."
	sub    *nats.Subscription

	mu      sync.Mutex
	pending map[string]chan error
	ids     *nuid.NUID // guarded by mu
}

func newConfirmer() *confirmer {
	return &confirmer{prefix: nats.NewInbox() + ".", pending: make(map[string]chan error), ids: nuid.New()}
}

func (c *confirmer) start(nc *nats.Conn) error {
	sub, err := nc.Subscribe(c.prefix+"*", c.deliver)
	if err != nil {
		return err
	}
	_ = sub.SetPendingLimits(1<<20, 64<<20)
	c.sub = sub
	return nil
}

func (c *confirmer) stop() {
	if c.sub != nil {
		_ = c.sub.Unsubscribe()
	}
}

func (c *confirmer) deliver(m *nats.Msg) {
	key := m.Subject[len(c.prefix):]
	c.mu.Lock()
	ch, ok := c.pending[key]
	delete(c.pending, key)
	c.mu.Unlock()
	if !ok {
		return
	}
	var err error
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		err = nats.ErrNoResponders
	}
	ch <- err // capacity 1, entry removed: never blocks
}

// requestAll publishes every op's payload to its token's subject with its
// own reply subject, then waits for every confirmation or ctx. errs[i] is
// nil when op i was confirmed.
func (c *confirmer) requestAll(ctx context.Context, nc *nats.Conn, ops []ackOp) []error {
	errs := make([]error, len(ops))
	chans := make([]chan error, len(ops))
	keys := make([]string, len(ops))
	c.mu.Lock()
	for i := range ops {
		keys[i] = c.ids.Next()
		chans[i] = make(chan error, 1)
		c.pending[keys[i]] = chans[i]
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		for _, k := range keys {
			delete(c.pending, k)
		}
		c.mu.Unlock()
	}()
	for i, op := range ops {
		if err := nc.PublishRequest(op.tok.Subject, c.prefix+keys[i], op.payload); err != nil {
			for j := i; j < len(ops); j++ {
				errs[j] = err
			}
			chans = chans[:i]
			break
		}
	}
	for i, ch := range chans {
		select {
		case errs[i] = <-ch:
		case <-ctx.Done():
			for j := i; j < len(chans); j++ {
				select {
				case errs[j] = <-chans[j]:
				default:
					errs[j] = ctx.Err()
				}
			}
			return errs
		}
	}
	return errs
}
