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

	"github.com/natsgw/natsgw/internal/tenant"
)

// Dead letters.
//
// A consumer with dead_letter set (metadata natsgw.dead_letter=true, kept in
// NATS) sends the messages it gives up on to its stream's dead-letter
// stream "_dlq_<stream>" (tenant.DeadLetterStream), a copy under the
// original subject with Natsgw-Dlq-* headers naming the origin. Two paths
// produce copies:
//
//   - Term through the gateway (the Term call, or a TERM on a Consume
//     stream) copies the message before it publishes +TERM, because a
//     terminated message of a work-queue or interest stream is removed at
//     once. If the copy fails, the TERM is not sent: the message is
//     redelivered and nothing is lost.
//   - NATS's advisories $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>
//     (a message reached max_deliver) and ...MSG_TERMINATED... (covers terms
//     that did not go through the gateway: the gateway's own TERMs carry
//     termMarker in their reason, and their advisories are skipped).
//     nats-server 2.15 emits the first when it would deliver the message
//     again: with max_deliver 1 as soon as the ack wait runs out, otherwise
//     once a pull request is waiting (a Consume stream always has one; a
//     Pull loop makes one). It keeps the message in the stream, work queues
//     included. Advisories are core NATS messages, so the gateway keeps them
//     in the stream advisoryStream (interest retention, a week at most),
//     read by one durable consumer per tenant root that every instance
//     consumes: each advisory is handled by one instance, and those emitted
//     while no instance runs are handled when one starts. If that stream
//     cannot be made (an operator's stream already captures the subjects),
//     the instances subscribe to the advisories in one queue group instead.
//
// Every copy is published with Nats-Msg-Id "dlq:<consumer>:<seq>", so the
// dead-letter stream's duplicate window (2 minutes) drops a second copy of
// the same message: the Term path and its advisory, or two instances. For a
// work-queue stream, a message that reached max_deliver stays in the stream
// forever (nobody will be given it again), so once it is copied the gateway
// deletes it: dead-lettering moves it.
//
// What is guaranteed: a term through the gateway is copied before it takes
// effect. A max_deliver dead letter is copied once some gateway instance
// reads its advisory, within the advisory stream's week, if the message is
// still in its stream then (limits retention may have dropped it).

// Headers of a dead letter.
const (
	hdrDlqStream     = "Natsgw-Dlq-Stream"
	hdrDlqSubject    = "Natsgw-Dlq-Subject"
	hdrDlqSequence   = "Natsgw-Dlq-Sequence"
	hdrDlqConsumer   = "Natsgw-Dlq-Consumer"
	hdrDlqDeliveries = "Natsgw-Dlq-Deliveries"
	hdrDlqReason     = "Natsgw-Dlq-Reason"
	hdrDlqTermReason = "Natsgw-Dlq-Term-Reason"
	hdrDlqTime       = "Natsgw-Dlq-Time"

	reasonMaxDeliveries = "max_deliveries"
	reasonTerminated    = "terminated"

	advisoryMaxDeliveries = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."
	advisoryTerminated    = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED."
	// dlqQueue is the queue group all gateway instances share for
	// advisories when they cannot keep them in advisoryStream.
	dlqQueue = "natsgw-dead-letters"
	// dlqTimeout bounds the handling of one advisory.
	dlqTimeout = 10 * time.Second

	// advisoryStream keeps the advisories for the instances: its leading
	// '_' no organization's stream name can have.
	advisoryStream    = "_natsgw_advisories"
	advisoryMaxAge    = 7 * 24 * time.Hour
	advisoryMaxBytes  = 256 << 20
	advisoryRetry     = 5 * time.Second // delay of a failed advisory's retry
	advisoryAttempts  = 10
	advisoryBatch     = 16
	advisoryAckWait   = 3 * dlqTimeout
	advisoryStopAfter = dlqTimeout + time.Second // bound on stop's wait

	// termMarker starts the reason of every TERM the gateway sends, so that
	// the advisory of a term already copied is not copied again.
	termMarker = "[natsgw]"
)

// deadLetters copies messages to dead-letter streams.
type deadLetters struct {
	g    *Gateway
	subs []*nats.Subscription     // fallback: core subscriptions
	cc   jetstream.ConsumeContext // advisories kept in advisoryStream
}

func newDeadLetters(g *Gateway) *deadLetters { return &deadLetters{g: g} }

func (d *deadLetters) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), dlqTimeout)
	defer cancel()
	err := d.startDurable(ctx)
	if err == nil {
		return nil
	}
	d.g.log.Warn("cannot keep consumer advisories in a stream; dead letters of max_deliver need a running gateway when NATS emits them",
		"stream", advisoryStream, "err", err)
	for _, prefix := range []string{advisoryMaxDeliveries, advisoryTerminated} {
		sub, err := d.g.nc.QueueSubscribe(prefix+">", dlqQueue, func(m *nats.Msg) {
			if err := d.handle(m.Subject, m.Data); err != nil {
				d.g.log.Warn("dead letter not copied", "advisory", m.Subject, "err", err)
			}
		})
		if err != nil {
			d.stop()
			return err
		}
		d.subs = append(d.subs, sub)
	}
	return nil
}

// startDurable makes advisoryStream and this root's consumer of it, and
// consumes it.
func (d *deadLetters) startDurable(ctx context.Context) error {
	js := d.g.js
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        advisoryStream,
		Description: "natsgw: consumer advisories kept until a gateway has handled their dead letters",
		Subjects:    []string{advisoryMaxDeliveries + ">", advisoryTerminated + ">"},
		Retention:   jetstream.InterestPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      advisoryMaxAge,
		MaxBytes:    advisoryMaxBytes,
		Discard:     jetstream.DiscardOld,
		Replicas:    1,
	})
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, advisoryStream, jetstream.ConsumerConfig{
		Durable:           "deadletters-" + d.g.m.Root(),
		Description:       "natsgw instances with tenant root " + d.g.m.Root(),
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           advisoryAckWait,
		MaxDeliver:        advisoryAttempts,
		MaxAckPending:     4 * advisoryBatch,
		InactiveThreshold: advisoryMaxAge,
	})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	d.cc, err = cons.Consume(d.onStored, jetstream.PullMaxMessages(advisoryBatch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			d.g.log.Debug("consuming advisories", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	return nil
}

// onStored handles one kept advisory: acked when done (or not for natsgw),
// retried later when the copy failed.
func (d *deadLetters) onStored(m jetstream.Msg) {
	if err := d.handle(m.Subject(), m.Data()); err != nil {
		d.g.log.Warn("dead letter not copied; will retry", "advisory", m.Subject(), "err", err)
		_ = m.NakWithDelay(advisoryRetry)
		return
	}
	_ = m.Ack()
}

func (d *deadLetters) stop() {
	for _, s := range d.subs {
		_ = s.Unsubscribe()
	}
	d.subs = nil
	if d.cc != nil {
		d.cc.Stop()
		select {
		case <-d.cc.Closed():
		case <-time.After(advisoryStopAfter):
		}
		d.cc = nil
	}
}

// advisory holds the fields natsgw reads from both advisories
// (JSConsumerDeliveryExceededAdvisory, JSConsumerDeliveryTerminatedAdvisory).
type advisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
	Reason     string `json:"reason"`
}

// handle copies the dead letter an advisory announces, if its consumer
// wants dead letters. It returns an error only when a copy failed (worth a
// retry); advisories that concern no dead letter are no error. Each is
// bounded by dlqTimeout.
func (d *deadLetters) handle(subject string, data []byte) error {
	var a advisory
	if err := json.Unmarshal(data, &a); err != nil {
		return nil
	}
	org, name, ok := d.g.m.SplitName(a.Stream)
	if !ok || a.StreamSeq == 0 {
		return nil // not a stream of an organization
	}
	st, err := d.g.m.Stream(org, name)
	if err != nil || st.DeadLetterFor() != "" || tenant.ValidateName(a.Consumer) != nil {
		return nil
	}
	reason := reasonTerminated
	if strings.HasPrefix(subject, advisoryMaxDeliveries) {
		reason = reasonMaxDeliveries
	} else if strings.HasPrefix(a.Reason, termMarker) {
		return nil // the gateway's own TERM: copied before it was sent
	}
	ctx, cancel := context.WithTimeout(context.Background(), dlqTimeout)
	defer cancel()
	cons, err := d.g.consumerInfo(ctx, st, a.Consumer)
	if err != nil || !deadLetterOn(cons.Config) {
		return nil // gone, or no dead letters wanted
	}
	if err := d.copy(ctx, org, st, a.Consumer, a.StreamSeq, a.Deliveries, reason, a.Reason); err != nil {
		return fmt.Errorf("stream %s consumer %s seq %d (%s): %w", a.Stream, a.Consumer, a.StreamSeq, reason, err)
	}
	return nil
}

// beforeTerm copies the messages of ops (TERM operations) whose consumer
// has dead letters to the dead-letter stream.
func (d *deadLetters) beforeTerm(ctx context.Context, org string, ops []ackOp) error {
	wants := map[[2]string]bool{} // (stream, consumer) -> dead letters on
	for _, op := range ops {
		key := [2]string{op.tok.Stream, op.tok.Consumer}
		st, err := d.g.m.Stream(org, op.tok.Stream)
		if err != nil || st.DeadLetterFor() != "" {
			continue
		}
		on, known := wants[key]
		if !known {
			info, err := d.g.consumerInfo(ctx, st, op.tok.Consumer)
			switch {
			case errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrStreamNotFound):
				on = false // the TERM will report it
			case err != nil:
				return err
			default:
				on = deadLetterOn(info.Config)
			}
			wants[key] = on
		}
		if on {
			if err := d.copy(ctx, org, st, op.tok.Consumer, op.tok.StreamSeq, op.tok.Delivered, reasonTerminated, op.reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// copy publishes message seq of st to its dead-letter stream (creating the
// stream if it is missing). A message that is gone already (removed by a
// work queue's term, purged, expired) is no error: there is nothing left to
// copy. For a work-queue stream, a max_deliver dead letter is then deleted
// from st.
func (d *deadLetters) copy(ctx context.Context, org string, st tenant.Stream, consumer string, seq, deliveries uint64, reason, termReason string) error {
	g := d.g
	orig, err := g.getStoredMsg(ctx, st, struct {
		Seq uint64 `json:"seq"`
	}{seq})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read message %d: %w", seq, err)
	}
	dl, err := g.m.DeadLetterStream(org, st.Name())
	if err != nil {
		return err
	}
	subj, ok := st.ClientSubject(orig.Subject)
	if !ok {
		return fmt.Errorf("message %d has a subject outside its stream's space", seq)
	}
	natsSubj, err := dl.Subject(subj)
	if err != nil {
		return fmt.Errorf("dead-letter subject: %w", err)
	}
	hdr := nats.Header{}
	for k, v := range orig.Header {
		if len(k) < 5 || !strings.EqualFold(k[:5], "Nats-") {
			hdr[k] = v
		}
	}
	hdr.Set(hdrDlqStream, st.Name())
	hdr.Set(hdrDlqSubject, subj)
	hdr.Set(hdrDlqSequence, strconv.FormatUint(seq, 10))
	hdr.Set(hdrDlqConsumer, consumer)
	hdr.Set(hdrDlqDeliveries, strconv.FormatUint(deliveries, 10))
	hdr.Set(hdrDlqReason, reason)
	if termReason != "" {
		hdr.Set(hdrDlqTermReason, termReason)
	}
	hdr.Set(hdrDlqTime, orig.Time.UTC().Format(time.RFC3339Nano))
	msg := &nats.Msg{Subject: natsSubj, Header: hdr, Data: orig.Data}
	opts := []jetstream.PublishOpt{
		jetstream.WithMsgID("dlq:" + consumer + ":" + strconv.FormatUint(seq, 10)),
		jetstream.WithExpectStream(dl.NATSName()),
		jetstream.WithRetryAttempts(0),
	}
	_, err = g.js.PublishMsg(ctx, msg, opts...)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		// Deleted by its owner since the consumer was set up: make it again.
		if err = d.ensureStream(ctx, org, st); err == nil {
			_, err = g.js.PublishMsg(ctx, msg, opts...)
		}
	}
	if err != nil {
		return fmt.Errorf("publish dead letter: %w", err)
	}
	if reason == reasonMaxDeliveries {
		return d.moveFromWorkQueue(ctx, st, seq)
	}
	return nil
}

// moveFromWorkQueue deletes message seq of st if st is a work queue (where
// a message past max_deliver would otherwise stay for ever).
func (d *deadLetters) moveFromWorkQueue(ctx context.Context, st tenant.Stream, seq uint64) error {
	var info jetstream.StreamInfo
	if err := d.g.jsAPI(ctx, "STREAM.INFO."+st.NATSName(), nil, &info); err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	if info.Config.Retention != jetstream.WorkQueuePolicy {
		return nil
	}
	if err := d.g.deleteStoredMsg(ctx, st, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete dead letter %d from the work queue: %w", seq, err)
	}
	return nil
}

// ensureStream makes the dead-letter stream of st if it does not exist:
// same storage and replicas as st, limits retention, every dead letter
// kept until someone purges or deletes them.
func (d *deadLetters) ensureStream(ctx context.Context, org string, st tenant.Stream) error {
	g := d.g
	dl, err := g.m.DeadLetterStream(org, st.Name())
	if err != nil {
		return err
	}
	var info jetstream.StreamInfo
	if err := g.jsAPI(ctx, "STREAM.INFO."+st.NATSName(), nil, &info); err != nil {
		return err
	}
	all, err := dl.Pattern(">")
	if err != nil {
		return err
	}
	_, err = g.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:              dl.NATSName(),
		Description:       "natsgw: dead letters of stream " + st.Name(),
		Subjects:          []string{all},
		Storage:           info.Config.Storage,
		Replicas:          info.Config.Replicas,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        -1,
		Duplicates:        defaultDuplicateWindow,
	})
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil // it exists (made when st had other replicas, say): use it
	}
	return err
}
