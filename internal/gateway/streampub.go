package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Stream publishing limits.
const (
	maxMsgIDLen = 256
	minMsgTTL   = time.Second
	// pipelineWindow is how many messages of one PipelinePublish may await
	// their JetStream ack at once; past it the gateway stops reading the
	// client's frames (gRPC flow control then holds the producer back).
	pipelineWindow = 4096
	// pipelineAckTimeout bounds the wait for the oldest JetStream ack of a
	// pipeline.
	pipelineAckTimeout = 30 * time.Second
	// pipelineResultFrame bounds the results sent in one frame.
	pipelineResultFrame = 1024
	// pipelineLingerFill: in a burst, a frame with fewer results than this
	// waits up to consumeLinger for the next result before it is sent.
	pipelineLingerFill = 256
)

// preparedPublish is a validated stream message ready for JetStream.
type preparedPublish struct {
	msg  *nats.Msg
	opts []jetstream.PublishOpt
}

// prepareStreamPublish validates p (request field field) for stream st.
// With subjects nil, JetStream checks that the subject is one of st's
// (Nats-Expected-Stream); otherwise the gateway checks it against subjects
// (st's NATS subjects), which spares every message a header.
func (g *Gateway) prepareStreamPublish(st tenant.Stream, field string, p *natsgwv1.StreamPublish, subjects []string) (preparedPublish, error) {
	if p == nil {
		return preparedPublish{}, invalidArgumentf(field, "is required")
	}
	subj, err := st.Subject(p.GetSubject())
	if err != nil {
		return preparedPublish{}, invalidArgument(field+".subject", err)
	}
	hdr, err := toNATSHeader(field+".headers", p.GetHeaders())
	if err != nil {
		return preparedPublish{}, err
	}
	for k := range hdr {
		if len(k) >= 5 && strings.EqualFold(k[:5], "Nats-") {
			return preparedPublish{}, invalidArgumentf(field+".headers", "key %q is reserved (headers starting with \"Nats-\" are set by the gateway from the message's fields)", k)
		}
	}
	var opts []jetstream.PublishOpt
	if subjects == nil {
		opts = append(opts, jetstream.WithExpectStream(st.NATSName()))
	} else if !takesSubject(subjects, subj) {
		return preparedPublish{}, invalidArgumentf(field+".subject", "%q is not one of the stream's subjects", p.GetSubject())
	}
	if id := p.GetMsgId(); id != "" {
		if len(id) > maxMsgIDLen {
			return preparedPublish{}, invalidArgumentf(field+".msg_id", "must be at most %d bytes", maxMsgIDLen)
		}
		for i := 0; i < len(id); i++ {
			if id[i] <= ' ' || id[i] == 0x7f {
				return preparedPublish{}, invalidArgumentf(field+".msg_id", "must not contain whitespace or control characters")
			}
		}
		opts = append(opts, jetstream.WithMsgID(id))
	}
	if p.ExpectedLastSequence != nil {
		opts = append(opts, jetstream.WithExpectLastSequence(p.GetExpectedLastSequence()))
	}
	if p.ExpectedLastSubjectSequence != nil {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(p.GetExpectedLastSubjectSequence()))
	}
	if t := p.GetTtl(); t != nil {
		ttl, err := optDuration(field+".ttl", t, minMsgTTL)
		if err != nil {
			return preparedPublish{}, err
		}
		if ttl == 0 {
			return preparedPublish{}, invalidArgumentf(field+".ttl", "must be at least %s when set", minMsgTTL)
		}
		opts = append(opts, jetstream.WithMsgTTL(ttl))
	}
	if sc := p.GetSchedule(); sc != nil {
		sh, err := scheduleHeaders(st, field+".schedule", subj, sc)
		if err != nil {
			return preparedPublish{}, err
		}
		if hdr == nil {
			hdr = nats.Header{}
		}
		for k, v := range sh {
			hdr[k] = v
		}
	}
	if p.Increment != nil {
		if len(p.GetData()) > 0 {
			return preparedPublish{}, invalidArgumentf(field+".data", "must be empty with increment (a counter's messages carry no data)")
		}
		if hdr == nil {
			hdr = nats.Header{}
		}
		hdr.Set("Nats-Incr", fmt.Sprintf("%+d", p.GetIncrement()))
	}
	// Headers set from the fields above are small; leave them room.
	if size := len(p.GetData()) + headerSize(hdr); size > g.maxPayload-512 {
		return preparedPublish{}, resourceExhausted("%s: message is %d bytes (data plus headers); the max payload is %d bytes", field, size, g.maxPayload-512)
	}
	if hdr == nil && len(opts) > 0 {
		hdr = nats.Header{} // the options set headers
	}
	return preparedPublish{msg: &nats.Msg{Subject: subj, Data: p.GetData(), Header: hdr}, opts: opts}, nil
}

func (s *streamServer) PublishToStream(ctx context.Context, req *natsgwv1.PublishToStreamRequest) (*natsgwv1.PublishToStreamResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	org := id.Org
	st, err := s.g.userStream(org, "stream", req.GetStream(), "publishes to")
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("publish to stream %q", req.GetStream())
	// Counters refuse the expected-stream header: an increment is checked
	// against the stream's subjects only, so it is prepared with them.
	inc := req.GetMessage() != nil && req.GetMessage().Increment != nil
	var p preparedPublish
	if !inc {
		if p, err = s.g.prepareStreamPublish(st, "message", req.GetMessage(), nil); err != nil {
			return nil, err
		}
	}
	// Never publish what the stream does not take (see streamsubjects.go).
	subjects, err := s.g.subjectsOf(ctx, st)
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	if inc {
		if p, err = s.g.prepareStreamPublish(st, "message", req.GetMessage(), subjects); err != nil {
			return nil, err
		}
	}
	if !inc && !takesSubject(subjects, p.msg.Subject) { // an increment was checked when prepared
		return nil, invalidArgumentf("message.subject", "%q is not one of the stream's subjects", req.GetMessage().GetSubject())
	}
	// First without the no-responders retries, so that a missing stream
	// fails at once; a subject no stream takes is told apart from a blip
	// (a cluster electing a leader) by looking the stream up.
	ack, err := s.g.js.PublishMsg(ctx, p.msg, append(p.opts, jetstream.WithRetryAttempts(0))...)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		if _, ierr := s.g.js.Stream(ctx, st.NATSName()); ierr != nil {
			return nil, s.g.natsError(ctx, action, ierr)
		}
		ack, err = s.g.js.PublishMsg(ctx, p.msg, p.opts...)
	}
	if err != nil {
		return nil, s.g.publishError(ctx, action, "message", req.GetMessage().GetSubject(), err)
	}
	s.g.traffic.in(org, 1, len(p.msg.Data))
	return &natsgwv1.PublishToStreamResponse{Stream: st.Name(), Sequence: ack.Sequence, Duplicate: ack.Duplicate, CounterValue: ack.Value}, nil
}

// publishError maps a failed stream publish: a subject that the named stream
// does not take is InvalidArgument; the rest goes through natsError.
// field is the request field of the message.
func (g *Gateway) publishError(ctx context.Context, action, field, subject string, err error) error {
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrNoStreamResponse) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrCodeExpectedStreamMismatch) {
		return invalidArgumentf(field+".subject", "%q is not one of the stream's subjects", subject)
	}
	return g.natsError(ctx, action, inField(field, err))
}

// messagesField names element i of a frame's messages ("messages[i]"),
// without formatting a string per message.
func messagesField(i int) string {
	if i < MaxBatch {
		return messagesFields()[i]
	}
	return fmt.Sprintf("messages[%d]", i)
}

var messagesFields = sync.OnceValue(func() []string {
	f := make([]string, MaxBatch)
	for i := range f {
		f[i] = fmt.Sprintf("messages[%d]", i)
	}
	return f
})

// pipelineEntry is one message of a PipelinePublish awaiting its result.
type pipelineEntry struct {
	index   uint64
	field   string                 // the request field, for errors
	subject string                 // as the client named it
	fut     jetstream.PubAckFuture // nil when err is set
	err     error
}

func (s *streamServer) PipelinePublish(stream natsgwv1.StreamService_PipelinePublishServer) error {
	ctx := stream.Context()
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return nilIfEOF(err)
	}
	name := first.GetStream()
	if name == "" {
		return invalidArgumentf("stream", "is required in the first frame")
	}
	st, err := s.g.userStream(id.Org, "stream", name, "publishes to")
	if err != nil {
		return err
	}
	action := fmt.Sprintf("publish to stream %q", name)
	// The stream's subjects, checked for every frame (streamsubjects.go):
	// stream subjects never overlap, so a message that matches them cannot
	// land in another stream while they stand, and one that matches no
	// stream is never published.
	if _, err := s.g.subjectsOf(ctx, st); err != nil {
		return s.g.natsError(ctx, action, err)
	}
	// A JetStream context of its own: its async-publish window and reply
	// subscription belong to this stream alone.
	js, err := jetstream.New(s.g.nc, jetstream.WithPublishAsyncMaxPending(pipelineWindow))
	if err != nil {
		return s.g.natsError(ctx, action, err)
	}
	defer js.CleanupPublisher()

	entries := make(chan pipelineEntry, pipelineWindow)
	sent := make(chan error, 1)
	stopped := make(chan struct{}) // the sender gave up (the client is gone)
	go func() {
		defer close(stopped)
		sent <- s.g.sendPipelineResults(ctx, action, stream, entries)
	}()

	var next uint64
	tr := s.g.traffic.of(id.Org)
	readErr := func() error {
		for req := first; ; {
			if n := req.GetStream(); n != "" && n != name {
				return invalidArgumentf("stream", "every frame publishes to %q, the stream of the first frame (got %q)", name, n)
			}
			msgs := req.GetMessages()
			if len(msgs) > MaxBatch {
				return invalidArgumentf("messages", "at most %d messages per frame (got %d)", MaxBatch, len(msgs))
			}
			subjects, err := s.g.subjectsOf(ctx, st)
			if err != nil {
				return s.g.natsError(ctx, action, err)
			}
			for i, m := range msgs {
				e := pipelineEntry{index: next, field: messagesField(i), subject: m.GetSubject()}
				next++
				p, err := s.g.prepareStreamPublish(st, e.field, m, subjects)
				if err == nil {
					e.fut, err = publishAsync(ctx, js, p)
					if err != nil {
						err = s.g.publishError(ctx, action, e.field, e.subject, err)
					} else {
						// Counted per message, before the sender can
						// report its result to the client (a frame's
						// first results may go out while the rest of it is
						// still being published).
						tr.countIn(1, len(p.msg.Data))
					}
				}
				e.err = err
				select {
				case entries <- e:
				case <-stopped:
					return nil // the sender's error explains
				}
			}
			if req, err = stream.Recv(); err != nil {
				return nilIfEOF(err)
			}
		}
	}()
	close(entries)
	sendErr := <-sent
	if readErr != nil {
		return readErr
	}
	return sendErr
}

// awaitPubAck returns fut's outcome if it comes before wait fires (nil:
// only if it is there already); ready is false otherwise.
func awaitPubAck(fut jetstream.PubAckFuture, wait <-chan time.Time) (ack *jetstream.PubAck, ready bool, err error) {
	select {
	case ack = <-fut.Ok():
		return ack, true, nil
	case err = <-fut.Err():
		return nil, true, err
	default:
	}
	if wait == nil {
		return nil, false, nil
	}
	select {
	case ack = <-fut.Ok():
		return ack, true, nil
	case err = <-fut.Err():
		return nil, true, err
	case <-wait:
		return nil, false, nil
	}
}

// publishAsync hands p to JetStream's async publisher. When its window is
// full for longer than its stall wait (200 ms; NATS slow to acknowledge, a
// busy machine), it waits for the window to drain and tries again, up to
// pipelineAckTimeout: a producer is held back, not failed.
func publishAsync(ctx context.Context, js jetstream.JetStream, p preparedPublish) (jetstream.PubAckFuture, error) {
	deadline := time.Now().Add(pipelineAckTimeout)
	for {
		fut, err := js.PublishMsgAsync(p.msg, p.opts...)
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) || time.Now().After(deadline) {
			return fut, err
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Until(deadline)):
		}
	}
}

// sendPipelineResults waits for each entry's result, in order, and streams
// them back in frames: a frame goes out before waiting on a result that is
// not ready yet (so a client waiting on earlier results is never held up by
// a later one), or when it is full. One timer bounds the wait for the
// oldest result (a timer per message would cost more than the publish).
func (g *Gateway) sendPipelineResults(ctx context.Context, action string, stream natsgwv1.StreamService_PipelinePublishServer, entries <-chan pipelineEntry) error {
	resp := &natsgwv1.PipelinePublishResponse{}
	var lastFlush time.Time
	flush := func() error {
		if len(resp.Sequences) == 0 {
			return nil
		}
		lastFlush = time.Now()
		err := stream.Send(resp)
		resp.Sequences, resp.Duplicates, resp.Errors = resp.Sequences[:0], resp.Duplicates[:0], resp.Errors[:0]
		return err
	}
	timer := time.NewTimer(pipelineAckTimeout)
	defer timer.Stop()
	linger := time.NewTimer(consumeLinger)
	defer linger.Stop()
	for {
		var e pipelineEntry
		var ok bool
		select {
		case e, ok = <-entries:
		default:
			if err := flush(); err != nil {
				return err
			}
			e, ok = <-entries
		}
		if !ok {
			return flush()
		}
		if len(resp.Sequences) == 0 {
			resp.FirstIndex = e.index
		}
		err := e.err
		var seq uint64
		if err == nil {
			var ack *jetstream.PubAck
			ready := false
			if n := len(resp.Sequences); n > 0 && n < pipelineLingerFill && time.Since(lastFlush) < consumeBurst {
				// In a burst: the ack is likely a few microseconds away;
				// wait a little for it rather than send a tiny frame.
				linger.Reset(consumeLinger)
				ack, ready, err = awaitPubAck(e.fut, linger.C)
				linger.Stop()
			} else {
				ack, ready, err = awaitPubAck(e.fut, nil)
			}
			if !ready {
				if ferr := flush(); ferr != nil {
					return ferr
				}
				resp.FirstIndex = e.index
				timer.Reset(pipelineAckTimeout)
				select {
				case ack = <-e.fut.Ok():
				case err = <-e.fut.Err():
				case <-timer.C:
					err = deadlineExceeded("%s: no acknowledgement from JetStream within %s", action, pipelineAckTimeout)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if err == nil {
				seq = ack.Sequence
				if ack.Duplicate {
					resp.Duplicates = append(resp.Duplicates, e.index)
				}
			} else {
				err = g.publishError(ctx, action, e.field, e.subject, err)
			}
		}
		if err != nil {
			st := status.Convert(err)
			resp.Errors = append(resp.Errors, &natsgwv1.PipelinePublishError{Index: e.index, Code: uint32(st.Code()), Message: st.Message()})
		}
		resp.Sequences = append(resp.Sequences, seq)
		if len(resp.Sequences) >= pipelineResultFrame {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
