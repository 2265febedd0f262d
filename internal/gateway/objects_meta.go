package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Object infos are written with compare-and-set: every write names the
// stream sequence of the info it replaces (Nats-Expected-Last-Subject-
// Sequence, 0 for "none"), so a writer knows exactly which version it
// replaced and purges that version's chunks, and nothing written by a
// concurrent put, delete or update is lost or leaked.

// metaState is an object's current info message.
type metaState struct {
	info *jetstream.ObjectInfo // nil when the name has no info message
	seq  uint64                // its stream sequence; 0 when none
}

// loadMeta reads the current info of name, deleted or not. A name without
// info gives a zero metaState; a missing bucket gives NotFound.
func (g *Gateway) loadMeta(ctx context.Context, b objBucket, name string) (metaState, error) {
	sm, err := g.directGetOne(ctx, b.stream, directGetRequest{LastFor: b.metaSubject(name)})
	if errors.Is(err, errNoMessage) {
		return metaState{}, nil
	}
	if err != nil {
		return metaState{}, g.bucketMissing(ctx, b, fmt.Sprintf("read object %q", name), err)
	}
	info, err := decodeMeta(sm)
	if err != nil {
		return metaState{}, g.natsError(ctx, fmt.Sprintf("read object %q", name), fmt.Errorf("malformed object info at seq %d: %w", sm.seq, err))
	}
	return metaState{info: info, seq: sm.seq}, nil
}

// liveMeta is loadMeta for an object that must exist: NotFound when it does
// not (or is deleted).
func (g *Gateway) liveMeta(ctx context.Context, b objBucket, name string) (metaState, error) {
	cur, err := g.loadMeta(ctx, b, name)
	if err != nil {
		return metaState{}, err
	}
	if cur.info == nil || cur.info.Deleted {
		return metaState{}, notFound("object %q not found in bucket %q", name, b.name)
	}
	return cur, nil
}

// publishMeta stores info as the only info message of its name, if the
// name's current info message is at sequence expect (0: there is none). It
// returns the new message's sequence; a lost race is a wrong-last-sequence
// error (isWrongLastSeq).
func (g *Gateway) publishMeta(ctx context.Context, b objBucket, info *jetstream.ObjectInfo, expect uint64) (uint64, error) {
	stored := *info
	stored.ModTime = time.Time{} // NATS records the time (as nats.go does)
	data, err := json.Marshal(&stored)
	if err != nil {
		return 0, err
	}
	m := nats.NewMsg(b.metaSubject(info.Name))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = data
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	ack, err := g.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequencePerSubject(expect))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// stampModTime sets info's time to the one NATS recorded for the info
// message at seq (falling back to none if it is already replaced).
func (g *Gateway) stampModTime(ctx context.Context, b objBucket, info *jetstream.ObjectInfo, seq uint64) {
	if sm, err := g.directGetOne(ctx, b.stream, directGetRequest{Seq: seq}); err == nil {
		info.ModTime = sm.time
	}
}

// purgeChunks removes the chunks of one version of an object. It runs to
// the end even when ctx is canceled (a client that gave up must not leave
// data behind); a failure is logged, as the data is then unreachable but
// still stored.
func (g *Gateway) purgeChunks(ctx context.Context, st jetstream.Stream, b objBucket, nuid string) {
	if nuid == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(b.chunkSubject(nuid))); err != nil {
		g.log.ErrorContext(ctx, "object store: could not purge chunks; they stay stored but unreachable",
			"bucket", b.nats, "nuid", nuid, "err", err)
	}
}
