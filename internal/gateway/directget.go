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
	"github.com/nats-io/nats.go/jetstream"
)

// Direct get (JetStream ADR-31) reads stored messages straight from a stream
// that allows it (object store streams do), without a consumer: one request,
// one reply per message. In batch mode the server answers with up to `batch`
// messages matching a subject from a start sequence, then an end-of-batch
// marker; each message carries how many more match (Nats-Num-Pending). The
// object store uses it to read a chunk range from the right chunk on and to
// page through object infos, with memory bounded by the batch.

// directGetRequest is the body of a $JS.API.DIRECT.GET.<stream> request.
type directGetRequest struct {
	Seq      uint64 `json:"seq,omitempty"`
	LastFor  string `json:"last_by_subj,omitempty"`
	NextFor  string `json:"next_by_subj,omitempty"`
	Batch    int    `json:"batch,omitempty"`
	MaxBytes int    `json:"max_bytes,omitempty"`
}

// storedMsg is one message read by a direct get.
type storedMsg struct {
	subject string
	seq     uint64
	time    time.Time
	// pending is how many messages matching the request's subject follow
	// this one (batch requests only).
	pending uint64
	data    []byte
}

var (
	// errNoMessage: nothing matches (404).
	errNoMessage = errors.New("direct get: no message")
	// errNoStream: nobody answers direct gets for the stream; it does not
	// exist (or is not ready yet).
	errNoStream = errors.New("direct get: no responders for the stream")
)

// directGetSubject is the API subject of direct gets on stream. (The
// gateway's JetStream context uses the default API prefix unless built with
// another one.)
func (g *Gateway) directGetSubject(stream string) string {
	prefix := g.js.Options().APIPrefix
	switch {
	case prefix == "":
		prefix = jetstream.DefaultAPIPrefix
	case !strings.HasSuffix(prefix, "."):
		prefix += "."
	}
	return prefix + "DIRECT.GET." + stream
}

// directGetOne reads one message: the last on a subject, or the first at or
// after req.Seq matching req.NextFor (with pending set: req.Batch must then
// be 1).
func (g *Gateway) directGetOne(ctx context.Context, stream string, req directGetRequest) (storedMsg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return storedMsg{}, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	m, err := g.nc.RequestWithContext(ctx, g.directGetSubject(stream), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return storedMsg{}, errNoStream
	}
	if err != nil {
		return storedMsg{}, err
	}
	sm, end, err := parseDirect(m)
	if err == nil && end {
		err = errNoMessage
	}
	return sm, err
}

// parseDirect reads a direct-get reply. end is true for the end-of-batch
// marker.
func parseDirect(m *nats.Msg) (sm storedMsg, end bool, err error) {
	if len(m.Data) == 0 {
		switch st := m.Header.Get("Status"); st {
		case "":
		case "204":
			return storedMsg{}, true, nil
		case "404":
			return storedMsg{}, false, errNoMessage
		case "503":
			return storedMsg{}, false, errNoStream
		default:
			return storedMsg{}, false, fmt.Errorf("direct get: status %s %s", st, m.Header.Get("Description"))
		}
	}
	sm.subject = m.Header.Get(jetstream.SubjectHeader)
	if sm.seq, err = strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64); err != nil || sm.subject == "" {
		return storedMsg{}, false, fmt.Errorf("direct get: malformed reply headers %v", m.Header)
	}
	if sm.time, err = time.Parse(time.RFC3339Nano, m.Header.Get(jetstream.TimeStampHeaer)); err != nil {
		return storedMsg{}, false, fmt.Errorf("direct get: malformed time stamp: %w", err)
	}
	if p := m.Header.Get("Nats-Num-Pending"); p != "" {
		if sm.pending, err = strconv.ParseUint(p, 10, 64); err != nil {
			return storedMsg{}, false, fmt.Errorf("direct get: malformed pending count %q", p)
		}
	}
	sm.data = m.Data
	return sm, false, nil
}

// directBatch reads batches of messages matching subject, from sequence
// `from` on, over one private inbox. It is not safe for concurrent use.
type directBatch struct {
	g       *Gateway
	stream  string
	subject string
	sub     *nats.Subscription
}

func (g *Gateway) newDirectBatch(stream, subject string) (*directBatch, error) {
	sub, err := g.nc.SubscribeSync(g.nc.NewInbox())
	if err != nil {
		return nil, err
	}
	return &directBatch{g: g, stream: stream, subject: subject, sub: sub}, nil
}

func (d *directBatch) close() { _ = d.sub.Unsubscribe() }

// fetch asks for up to n messages (and about maxBytes: the server stops
// after the message that reaches it) from sequence from on, and calls f for
// each in order. It returns the number of matching messages after the last
// one delivered, as counted when the batch ended. A batch that finds nothing
// returns errNoMessage; f's error ends the fetch (the rest of the batch is
// drained by closing the batch, never read).
func (d *directBatch) fetch(ctx context.Context, from uint64, n, maxBytes int, f func(storedMsg) error) (pending uint64, err error) {
	body, err := json.Marshal(directGetRequest{Seq: from, NextFor: d.subject, Batch: n, MaxBytes: maxBytes})
	if err != nil {
		return 0, err
	}
	if err := d.g.nc.PublishRequest(d.g.directGetSubject(d.stream), d.sub.Subject, body); err != nil {
		return 0, err
	}
	for {
		// The timeout bounds each wait for NATS, not the whole batch: f may
		// block as long as the client takes to consume.
		wctx, cancel := context.WithTimeout(ctx, jsAPITimeout)
		m, err := d.sub.NextMsgWithContext(wctx)
		cancel()
		if errors.Is(err, nats.ErrNoResponders) {
			return 0, errNoStream
		}
		if err != nil {
			return 0, err
		}
		sm, end, err := parseDirect(m)
		if err != nil {
			return 0, err
		}
		if end {
			p, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
			return p, nil
		}
		if err := f(sm); err != nil {
			return 0, err
		}
	}
}

// withDefaultTimeout bounds ctx by the JetStream API timeout when it has no
// deadline of its own.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, jsAPITimeout)
}

// jsAPITimeout bounds one JetStream API call made without a deadline.
const jsAPITimeout = 10 * time.Second
