package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Frame limits of the KV streams (Keys, History, Watch), so that no gRPC
// message grows with the bucket: a 100k-key listing is a hundred frames.
const (
	keysFrameKeys   = 1000
	keysFrameBytes  = 256 << 10
	entryFrameCount = 256
	entryFrameBytes = 1 << 20
	allKeys         = ">"
)

// errWatcherEnded: nats.go ended a watcher by itself (its ordered consumer
// could not be re-created, typically because the bucket was deleted, or the
// connection closed). kvError tells the two apart.
var errWatcherEnded = errors.New("the NATS watcher ended")

// watch opens a watcher on b for the key patterns. Watchers are ordered push
// consumers: NATS paces them with flow control, and nats.go buffers at most
// its per-subscription pending limits for a slow client.
func (s *kvServer) watch(ctx context.Context, b kvBucket, pattern string, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	var w jetstream.KeyWatcher
	err := s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) (err error) {
		w, err = kv.WatchFiltered(ctx, []string{pattern}, opts...)
		return err
	})
	return w, err
}

// stopWatcher ends w and drains it: nats.go's watcher blocks its delivery
// goroutine on a full channel, and only closes the channel once that
// goroutine is done, so draining until closed is what lets it exit.
func stopWatcher(w jetstream.KeyWatcher) {
	_ = w.Stop()
	for range w.Updates() {
	}
}

// next waits for w's next entry. done is true for the init marker (nil).
func (s *kvServer) next(ctx context.Context, w jetstream.KeyWatcher) (e jetstream.KeyValueEntry, done bool, err error) {
	select {
	case e, ok := <-w.Updates():
		if !ok {
			return nil, false, errWatcherEnded
		}
		return e, e == nil, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-s.g.closing:
		return nil, false, errShuttingDown
	}
}

func (s *kvServer) Keys(req *natsgwv1.KeyValueServiceKeysRequest, stream natsgwv1.KeyValueService_KeysServer) error {
	ctx := stream.Context()
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return err
	}
	filter := req.GetFilter()
	if filter == "" {
		filter = allKeys
	} else if err := checkKeyPattern(filter); err != nil {
		return invalidArgument("filter", err)
	}
	action := fmt.Sprintf("list keys of bucket %q", b.name)
	w, err := s.watch(ctx, b, filter, jetstream.IgnoreDeletes(), jetstream.MetaOnly())
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	defer stopWatcher(w)
	resp := &natsgwv1.KeyValueServiceKeysResponse{Keys: make([]string, 0, keysFrameKeys)}
	size := 0
	for {
		e, done, err := s.next(ctx, w)
		if err != nil {
			return s.kvError(ctx, action, b, err)
		}
		if done || len(resp.Keys) >= keysFrameKeys || size >= keysFrameBytes {
			if len(resp.Keys) > 0 {
				if err := stream.Send(resp); err != nil {
					return err
				}
			}
			resp.Keys, size = resp.Keys[:0], 0
		}
		if done {
			return nil
		}
		resp.Keys = append(resp.Keys, e.Key())
		size += len(e.Key())
	}
}

func (s *kvServer) History(req *natsgwv1.KeyValueServiceHistoryRequest, stream natsgwv1.KeyValueService_HistoryServer) error {
	ctx := stream.Context()
	b, err := s.bucketKey(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return err
	}
	action := fmt.Sprintf("history of %q in bucket %q", req.GetKey(), b.name)
	w, err := s.watch(ctx, b, req.GetKey(), jetstream.IncludeHistory())
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	defer stopWatcher(w)
	resp := &natsgwv1.KeyValueServiceHistoryResponse{}
	n, err := s.pump(ctx, w, true, func(entries []*natsgwv1.KeyValueEntry, _ bool) error {
		resp.Entries = entries
		return stream.Send(resp)
	})
	if err == nil && n == 0 {
		return notFound("%s: key not found", action)
	}
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	return nil
}

func (s *kvServer) Watch(req *natsgwv1.KeyValueServiceWatchRequest, stream natsgwv1.KeyValueService_WatchServer) error {
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	b, err := s.bucket(ctx, req.GetBucket())
	if err != nil {
		return err
	}
	defer s.watches.add(b.nats, cancel)()
	pattern := req.GetKey()
	if pattern == "" {
		pattern = allKeys
	} else if err := checkKeyPattern(pattern); err != nil {
		return invalidArgument("key", err)
	}
	var opts []jetstream.WatchOpt
	if req.GetIncludeHistory() {
		opts = append(opts, jetstream.IncludeHistory())
	}
	if req.GetResumeFromRevision() > 0 {
		opts = append(opts, jetstream.ResumeFromRevision(req.GetResumeFromRevision()))
	}
	if req.GetUpdatesOnly() {
		if len(opts) > 0 {
			return invalidArgumentf("updates_only", "cannot be combined with include_history or resume_from_revision")
		}
		opts = append(opts, jetstream.UpdatesOnly())
	}
	action := fmt.Sprintf("watch %q in bucket %q", pattern, b.name)
	// The last revision before the watcher starts: where a client that
	// saw no entry resumes.
	var last uint64
	err = s.withBucket(ctx, b, false, func(kv jetstream.KeyValue) error {
		st, err := kv.Status(ctx)
		if err == nil {
			if si := bucketStatus(st).StreamInfo(); si != nil {
				last = si.State.LastSeq
			}
		}
		return err
	})
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	w, err := s.watch(ctx, b, pattern, opts...)
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	defer stopWatcher(w)
	resp := &natsgwv1.KeyValueServiceWatchResponse{}
	send := func(entries []*natsgwv1.KeyValueEntry, initDone bool) error {
		resp.Entries, resp.InitDone, resp.LastRevision = entries, initDone, 0
		if initDone {
			resp.LastRevision = last
		}
		return stream.Send(resp)
	}
	if req.GetUpdatesOnly() {
		// nats.go sends no marker without initial values; the consumer
		// exists, so every change from now on will be delivered.
		if err := send(nil, true); err != nil {
			return err
		}
	}
	_, err = s.pump(ctx, w, false, send)
	if errors.Is(context.Cause(ctx), errBucketDeleted) {
		return notFound("%s: the bucket was deleted", action)
	}
	if err != nil {
		return s.kvError(ctx, action, b, err)
	}
	return nil
}

// pump forwards w's entries to send in frames: it sends what has arrived as
// soon as nothing more is waiting, or when a frame is full. At the init
// marker it sends a lone init_done frame, or returns when once is set. It
// returns the number of entries sent.
func (s *kvServer) pump(ctx context.Context, w jetstream.KeyWatcher, once bool, send func([]*natsgwv1.KeyValueEntry, bool) error) (int, error) {
	frame := make([]*natsgwv1.KeyValueEntry, 0, entryFrameCount)
	size, n := 0, 0
	flush := func() error {
		if len(frame) == 0 {
			return nil
		}
		err := send(frame, false)
		clear(frame)
		frame, size = frame[:0], 0
		return err
	}
	for {
		var (
			e    jetstream.KeyValueEntry
			done bool
			ok   bool
		)
		select {
		case e, ok = <-w.Updates():
			if !ok {
				return n, errWatcherEnded
			}
			done = e == nil
		default:
			// Nothing waiting: send what we have, then block.
			if err := flush(); err != nil {
				return n, err
			}
			var err error
			if e, done, err = s.next(ctx, w); err != nil {
				return n, err
			}
		}
		if !done {
			n++
			pe := entryToProto(e)
			if len(frame) >= entryFrameCount || (len(frame) > 0 && size+len(pe.Value) > entryFrameBytes) {
				if err := flush(); err != nil {
					return n, err
				}
			}
			frame = append(frame, pe)
			size += len(pe.Value)
			continue
		}
		if err := flush(); err != nil {
			return n, err
		}
		if once {
			return n, nil
		}
		if err := send(nil, true); err != nil {
			return n, err
		}
	}
}
