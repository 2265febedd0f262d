package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// JetStream's native features a stream can have beside plain publishing:
// message schedules, atomic batches and counters (the StreamPublish fields
// and PublishAtomicBatch).

// Limits of the native features.
const (
	maxSchedulePattern = 256
	maxTimeZone        = 64
	maxAtomicBatch     = 1000
)

// scheduleHeaders validates sc (request field field) for a message on
// NATS subject subj of stream st and returns the headers that make it a
// NATS message schedule. The target maps into the stream like any subject;
// NATS checks that the stream holds it.
func scheduleHeaders(st tenant.Stream, field, subj string, sc *natsgwv1.MessageSchedule) (nats.Header, error) {
	pattern := sc.GetPattern()
	switch {
	case pattern == "":
		return nil, invalidArgumentf(field+".pattern", "is required")
	case len(pattern) > maxSchedulePattern:
		return nil, invalidArgumentf(field+".pattern", "must be at most %d bytes", maxSchedulePattern)
	case strings.ContainsAny(pattern, "\r\n"):
		return nil, invalidArgumentf(field+".pattern", "must not contain CR or LF")
	}
	target, err := st.Subject(sc.GetTargetSubject())
	if err != nil {
		return nil, invalidArgument(field+".target_subject", err)
	}
	if target == subj {
		return nil, invalidArgumentf(field+".target_subject", "must differ from the message's own subject (which holds the schedule)")
	}
	h := nats.Header{}
	h.Set("Nats-Schedule", pattern)
	h.Set("Nats-Schedule-Target", target)
	if tz := sc.GetTimeZone(); tz != "" {
		if len(tz) > maxTimeZone || strings.ContainsAny(tz, "\r\n ") {
			return nil, invalidArgumentf(field+".time_zone", "must be an IANA time zone name")
		}
		h.Set("Nats-Schedule-Time-Zone", tz)
	}
	return h, nil
}

// AtomicAck is the answer to an atomic batch's commit.
type AtomicAck struct {
	Error    *jetstream.APIError `json:"error,omitempty"`
	Sequence uint64              `json:"seq"`
	Count    int                 `json:"count"`
}

func (s *streamServer) PublishAtomicBatch(ctx context.Context, req *natsgwv1.PublishAtomicBatchRequest) (*natsgwv1.PublishAtomicBatchResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.g.userStream(id.Org, "stream", req.GetStream(), "publishes to")
	if err != nil {
		return nil, err
	}
	msgs := req.GetMessages()
	switch {
	case len(msgs) == 0:
		return nil, invalidArgumentf("messages", "must not be empty")
	case len(msgs) > maxAtomicBatch:
		return nil, invalidArgumentf("messages", "at most %d messages (got %d)", maxAtomicBatch, len(msgs))
	}
	action := fmt.Sprintf("publish a batch to stream %q", req.GetStream())
	// The subjects are checked here (a message no stream takes would leave
	// the batch without its commit's answer), and counters refuse the
	// expected-stream header.
	subjects, err := s.g.subjectsOf(ctx, st)
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	prepared := make([]*nats.Msg, len(msgs))
	bytes := 0
	for i, m := range msgs {
		field := fmt.Sprintf("messages[%d]", i)
		p, err := s.g.prepareStreamPublish(st, field, m, subjects)
		if err != nil {
			return nil, err
		}
		// The publish options become headers, as nats.go would set them.
		if p.msg.Header == nil {
			p.msg.Header = nats.Header{}
		}
		if id := m.GetMsgId(); id != "" {
			p.msg.Header.Set(jetstream.MsgIDHeader, id)
		}
		if m.ExpectedLastSequence != nil {
			p.msg.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(m.GetExpectedLastSequence(), 10))
		}
		if m.ExpectedLastSubjectSequence != nil {
			p.msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(m.GetExpectedLastSubjectSequence(), 10))
		}
		if t := m.GetTtl(); t != nil {
			p.msg.Header.Set(jetstream.MsgTTLHeader, t.AsDuration().String())
		}
		prepared[i] = p.msg
		bytes += len(p.msg.Data)
	}
	ack, err := PublishAtomic(ctx, s.g.nc, prepared)
	if err != nil {
		return nil, s.g.natsError(ctx, action, inField("messages", err))
	}
	s.g.traffic.in(id.Org, len(prepared), bytes)
	return &natsgwv1.PublishAtomicBatchResponse{Stream: st.Name(), LastSequence: ack.Sequence, Count: uint32(ack.Count)}, nil
}

// PublishAtomic publishes msgs (non-empty, each with a header map) as one
// NATS atomic batch: every message but the last without waiting, the last
// with the commit, whose answer covers the whole batch (nats.go has no API
// for this yet). Also used by internal/tasks.
func PublishAtomic(ctx context.Context, nc *nats.Conn, msgs []*nats.Msg) (AtomicAck, error) {
	batch := nuid.Next()
	for i, m := range msgs {
		m.Header.Set("Nats-Batch-Id", batch)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return AtomicAck{}, err
			}
		}
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	resp, err := nc.RequestMsgWithContext(ctx, last)
	if err != nil {
		return AtomicAck{}, err
	}
	var ack AtomicAck
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return AtomicAck{}, fmt.Errorf("atomic batch: bad reply %q", resp.Data)
	}
	if ack.Error != nil {
		return AtomicAck{}, ack.Error
	}
	return ack, nil
}
