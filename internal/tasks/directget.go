package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsgw/natsgw/internal/tenant"
)

// Reads of a queue's stream go through JetStream's direct get (the stream
// allows it): the newest message of a subject filter (a task's state), and
// batches over a filter with the count of what matches (listings, counts).

// directReq is a direct get request.
type directReq struct {
	Seq      uint64 `json:"seq,omitempty"`
	LastFor  string `json:"last_by_subj,omitempty"`
	NextFor  string `json:"next_by_subj,omitempty"`
	Batch    int    `json:"batch,omitempty"`
	MaxBytes int    `json:"max_bytes,omitempty"`
}

// storedMsg is a message read from a queue's stream.
type storedMsg struct {
	subject string
	seq     uint64
	time    time.Time
	header  nats.Header
	data    []byte
}

// readTimeout bounds a direct get when the call has no deadline.
const readTimeout = 10 * time.Second

func directSubject(q tenant.TaskQueue) string { return "$JS.API.DIRECT.GET." + q.NATSName() }

// status returns a status-only reply's code ("404", "204", ...), or "".
func statusOf(m *nats.Msg) string {
	if len(m.Data) == 0 && m.Header != nil {
		return m.Header.Get("Status")
	}
	return ""
}

func toStored(m *nats.Msg) (storedMsg, error) {
	seq, err := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
	if err != nil {
		return storedMsg{}, fmt.Errorf("direct get: bad sequence %q", m.Header.Get("Nats-Sequence"))
	}
	ts, _ := time.Parse(time.RFC3339Nano, m.Header.Get("Nats-Time-Stamp"))
	return storedMsg{subject: m.Header.Get("Nats-Subject"), seq: seq, time: ts, header: m.Header, data: m.Data}, nil
}

// get returns one message (req without batch); nil when there is none.
func (s *Service) get(ctx context.Context, q tenant.TaskQueue, req directReq) (*storedMsg, error) {
	body, _ := json.Marshal(req)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readTimeout)
		defer cancel()
	}
	m, err := s.nc.RequestWithContext(ctx, directSubject(q), body)
	if err != nil {
		return nil, err
	}
	switch st := statusOf(m); st {
	case "":
	case "404":
		return nil, nil
	default:
		return nil, fmt.Errorf("direct get: status %s %s", st, m.Header.Get("Description"))
	}
	sm, err := toStored(m)
	return &sm, err
}

// last returns the newest message matching filter; nil when there is none.
func (s *Service) last(ctx context.Context, q tenant.TaskQueue, filter string) (*storedMsg, error) {
	return s.get(ctx, q, directReq{LastFor: filter})
}

// page returns up to n messages matching filter from sequence from on,
// and how many more match after them.
func (s *Service) page(ctx context.Context, q tenant.TaskQueue, filter string, from uint64, n int) ([]storedMsg, uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readTimeout)
		defer cancel()
	}
	inbox := s.nc.NewInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	body, _ := json.Marshal(directReq{Seq: from, NextFor: filter, Batch: n, MaxBytes: 16 << 20})
	if err := s.nc.PublishRequest(directSubject(q), inbox, body); err != nil {
		return nil, 0, err
	}
	var out []storedMsg
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, 0, err
		}
		switch st := statusOf(m); st {
		case "":
		case "404":
			return out, 0, nil
		case "204": // end of batch
			left, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
			return out, left, nil
		default:
			return nil, 0, fmt.Errorf("direct get: status %s %s", st, m.Header.Get("Description"))
		}
		sm, err := toStored(m)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, sm)
	}
}

// count is how many messages match filter.
func (s *Service) count(ctx context.Context, q tenant.TaskQueue, filter string) (uint64, error) {
	msgs, left, err := s.page(ctx, q, filter, 0, 1)
	return uint64(len(msgs)) + left, err
}
