package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Pull limits.
const (
	maxPullBatch   = 10000
	defaultMaxWait = 5 * time.Second
	maxMaxWait     = 5 * time.Minute
	// pullBytes bounds the payload one pull request may bring (one larger
	// message still travels alone: see pullMaxBytes).
	pullBytes = 64 << 20
	// pullSlack is how long the gateway waits past a pull request's expiry
	// for NATS's closing status, and how much of a call's deadline it
	// leaves unused so the answer gets back in time.
	pullSlack = 200 * time.Millisecond
)

// pullRequest is the JetStream API's pull request
// ($JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>). With no_wait and expires
// together, NATS waits up to expires for the first message and then returns
// as soon as nothing more is immediately available: a long poll. nats.go's
// Fetch cannot ask for that (it waits for a full batch), so the gateway
// speaks the protocol itself, here and in Consume.
type pullRequest struct {
	Batch     int           `json:"batch"`
	MaxBytes  int           `json:"max_bytes,omitempty"`
	Expires   time.Duration `json:"expires,omitempty"`
	NoWait    bool          `json:"no_wait,omitempty"`
	Heartbeat time.Duration `json:"idle_heartbeat,omitempty"`
	// Priority groups.
	Group         string `json:"group,omitempty"`
	MinPending    int64  `json:"min_pending,omitempty"`
	MinAckPending int64  `json:"min_ack_pending,omitempty"`
	PinID         string `json:"id,omitempty"`
	Priority      int    `json:"priority,omitempty"`
}

// withPriority validates p (request field field) and sets the priority
// group fields of pr.
func withPriority(field string, p *natsgwv1.PriorityRequest, pr *pullRequest) error {
	if p == nil {
		return nil
	}
	if err := priorityGroupName(p.GetGroup()); err != nil {
		return invalidArgument(field+".group", err)
	}
	switch {
	case p.GetMinPending() < 0:
		return invalidArgumentf(field+".min_pending", "must not be negative")
	case p.GetMinAckPending() < 0:
		return invalidArgumentf(field+".min_ack_pending", "must not be negative")
	case p.GetPriority() > 9:
		return invalidArgumentf(field+".priority", "must be 0 to 9 (got %d)", p.GetPriority())
	case len(p.GetPinId()) > 64 || strings.ContainsAny(p.GetPinId(), " \t\r\n\"\\"):
		return invalidArgumentf(field+".pin_id", "not a pin id NATS handed out")
	}
	pr.Group, pr.MinPending, pr.MinAckPending, pr.PinID, pr.Priority = p.GetGroup(), p.GetMinPending(), p.GetMinAckPending(), p.GetPinId(), int(p.GetPriority())
	return nil
}

func nextSubject(st tenant.Stream, consumer string) string {
	return "$JS.API.CONSUMER.MSG.NEXT." + st.NATSName() + "." + consumer
}

// pullMaxBytes is the max_bytes of a pull request: pullBytes, or enough for
// one message of the largest size.
func (g *Gateway) pullMaxBytes() int { return max(pullBytes, g.maxPayload+64<<10) }

// pullStatus classifies what arrives on a pull request's reply subject.
type pullStatus int

const (
	pullMsg       pullStatus = iota // a stored message
	pullHeartbeat                   // 100: idle heartbeat
	pullDone                        // 404/408, 409 "Batch Completed": the request ended
	pullConflict                    // 409: the request was refused or cut (see description)
	pullGone                        // 503: nobody serves the consumer
	pullOther                       // any other status
)

// classify looks at m: stored messages carry an ack reply subject; status
// messages carry none, a Status header and no data. pending is the request's
// unfulfilled message count (408) and desc NATS's description.
func classify(m *nats.Msg) (kind pullStatus, pending int, desc string) {
	if m.Reply != "" || len(m.Data) > 0 {
		return pullMsg, 0, ""
	}
	code := m.Header.Get("Status")
	desc = m.Header.Get("Description")
	pending, _ = strconv.Atoi(m.Header.Get("Nats-Pending-Messages"))
	switch code {
	case "":
		return pullMsg, 0, ""
	case "100":
		return pullHeartbeat, 0, desc
	case "404", "408":
		return pullDone, pending, desc
	case "409":
		if strings.EqualFold(desc, "batch completed") {
			return pullDone, pending, desc // max_bytes left over once the batch was full
		}
		return pullConflict, pending, desc
	case "503":
		return pullGone, 0, desc
	}
	return pullOther, 0, desc
}

// consumedOut converts a message delivered by a consumer of st for org.
// ok is false when its reply subject is not an ack token of org's stream
// st, which only a bug elsewhere could cause: such a message is not handed
// out.
func (g *Gateway) consumedOut(org string, st tenant.Stream, m *nats.Msg) (*natsgwv1.ConsumedMessage, bool) {
	tok, err := g.m.ParseAckToken(org, m.Reply)
	if err != nil || tok.NATSStream != st.NATSName() {
		return nil, false
	}
	subj, _ := st.ClientSubject(m.Subject)
	return &natsgwv1.ConsumedMessage{
		Subject:          subj,
		Data:             m.Data,
		Headers:          fromStoredHeader(m.Header),
		AckToken:         m.Reply,
		Stream:           st.Name(),
		Consumer:         tok.Consumer,
		StreamSequence:   tok.StreamSeq,
		ConsumerSequence: tok.ConsumerSeq,
		DeliveryCount:    tok.Delivered,
		Timestamp:        timestamppb.New(time.Unix(0, tok.Timestamp)),
		Pending:          tok.Pending,
	}, true
}

// conflictError maps a 409 status that ends a pull or a Consume stream.
func conflictError(action, desc string) error {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "consumer deleted"):
		return notFound("%s: the consumer was deleted", action)
	case strings.Contains(d, "consumer is push based"):
		return failedPrecondition("%s: the consumer is a push consumer; natsgw reads pull consumers only", action)
	case strings.Contains(d, "exceeded maxwaiting"), strings.Contains(d, "exceeded maxrequest"):
		return resourceExhausted("%s: %s", action, desc)
	case strings.Contains(d, "exceeds maxbytes"):
		return resourceExhausted("%s: a message is larger than the gateway reads at once (%s)", action, desc)
	}
	return unavailable("%s: %s; retry", action, desc)
}

// consumerGone explains a pull that nobody answered: the stream or the
// consumer does not exist.
func (g *Gateway) consumerGone(ctx context.Context, action string, st tenant.Stream, consumer string) error {
	if _, err := g.consumerInfo(ctx, st, consumer); err != nil {
		return g.natsError(ctx, action, err)
	}
	return unavailable("%s: the consumer is not answering; retry", action)
}

func (s *consumerServer) Pull(ctx context.Context, req *natsgwv1.PullRequest) (*natsgwv1.PullResponse, error) {
	org, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("consumer", req.GetConsumer()); err != nil {
		return nil, err
	}
	batch := int(req.GetBatch())
	switch {
	case batch > maxPullBatch:
		return nil, invalidArgumentf("batch", "at most %d (got %d)", maxPullBatch, batch)
	case batch == 0:
		batch = 1
	}
	wait := defaultMaxWait
	if mw := req.GetMaxWait(); mw != nil {
		if err := mw.CheckValid(); err != nil {
			return nil, invalidArgument("max_wait", err)
		}
		if wait = mw.AsDuration(); wait < 0 || wait > maxMaxWait {
			return nil, invalidArgumentf("max_wait", "must be between 0 and %s", maxMaxWait)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)-pullSlack)
	}
	pr := pullRequest{Batch: batch, MaxBytes: s.g.pullMaxBytes(), NoWait: true}
	if !req.GetNoWait() && wait >= time.Millisecond {
		pr.Expires = wait
	}
	if err := withPriority("priority", req.GetPriority(), &pr); err != nil {
		return nil, err
	}
	action := fmt.Sprintf("pull from consumer %q of stream %q", req.GetConsumer(), req.GetStream())
	msgs, err := s.g.pull(ctx, org, st, req.GetConsumer(), pr)
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	bytes := 0
	for _, m := range msgs {
		bytes += len(m.GetData())
	}
	s.g.traffic.out(org, len(msgs), bytes)
	return &natsgwv1.PullResponse{Messages: msgs}, nil
}

// pull sends one pull request on a private inbox and collects what it
// brings until the batch is full or NATS ends the request.
func (g *Gateway) pull(ctx context.Context, org string, st tenant.Stream, consumer string, pr pullRequest) ([]*natsgwv1.ConsumedMessage, error) {
	action := fmt.Sprintf("pull from consumer %q of stream %q", consumer, st.Name())
	inbox := nats.NewInbox()
	sub, err := g.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	_ = sub.SetPendingLimits(-1, -1) // bounded by the request: batch messages, max_bytes
	body, err := json.Marshal(pr)
	if err != nil {
		return nil, err
	}
	// The subscription is sent before the request on the same connection,
	// so NATS knows it when the first message comes back.
	if err := g.nc.PublishRequest(nextSubject(st, consumer), inbox, body); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, pr.Expires+pullSlack+time.Second)
	defer cancel()
	var out []*natsgwv1.ConsumedMessage
	for len(out) < pr.Batch {
		m, err := sub.NextMsgWithContext(wctx)
		switch {
		case errors.Is(err, nats.ErrNoResponders): // nats.go turns the 503 status into this
			return nil, g.consumerGone(ctx, action, st, consumer)
		case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			return out, nil // NATS never closed the request; what came is the answer
		case err != nil:
			return nil, err
		}
		kind, _, desc := classify(m)
		switch kind {
		case pullMsg:
			if cm, ok := g.consumedOut(org, st, m); ok {
				out = append(out, cm)
			}
			continue
		case pullHeartbeat:
			continue
		case pullDone:
		case pullGone:
			return nil, g.consumerGone(ctx, action, st, consumer)
		case pullConflict:
			if len(out) > 0 && strings.Contains(strings.ToLower(desc), "exceeds maxbytes") {
				break // the next message is too big to join this batch
			}
			return nil, conflictError(action, desc)
		default:
			return nil, unavailable("%s: %s", action, desc)
		}
		break
	}
	return out, nil
}
