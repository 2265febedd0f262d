package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Stream limits.
const (
	maxStreamSubjects = 256
	// jsTimeout bounds a JetStream API call when the gRPC call has no
	// deadline.
	jsTimeout = 10 * time.Second
	// defaultDuplicateWindow is NATS's default, restated because a
	// dead-letter stream relies on it.
	defaultDuplicateWindow = 2 * time.Minute
)

type streamServer struct {
	natsgwv1.UnimplementedStreamServiceServer
	g *Gateway
}

// withJSTimeout bounds ctx by jsTimeout when it has no deadline.
func withJSTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, jsTimeout)
}

// stream resolves the stream name in request field field for org: an
// ordinary or a dead-letter stream.
func (g *Gateway) stream(org, field, name string) (tenant.Stream, error) {
	s, err := g.m.Stream(org, name)
	if err != nil {
		return tenant.Stream{}, invalidArgument(field, err)
	}
	return s, nil
}

// callerStream returns the caller's organization and the stream named in
// request field field.
func (g *Gateway) callerStream(ctx context.Context, field, name string) (string, tenant.Stream, error) {
	id, err := identity(ctx)
	if err != nil {
		return "", tenant.Stream{}, err
	}
	st, err := g.stream(id.Org, field, name)
	return id.Org, st, err
}

// userStream is stream for calls that write a stream's configuration or its
// messages: dead-letter streams are the gateway's.
func (g *Gateway) userStream(org, field, name, what string) (tenant.Stream, error) {
	s, err := g.stream(org, field, name)
	if err == nil && s.DeadLetterFor() != "" {
		return tenant.Stream{}, invalidArgumentf(field, "%q is a dead-letter stream: only the gateway %s it", name, what)
	}
	return s, err
}

// jsAPI sends a raw JetStream API request ("STREAM.PURGE.<name>") and
// decodes the answer into resp. An API error comes back as
// *jetstream.APIError. Used where nats.go's jetstream package hides a result
// (the purged count) or adds round trips.
func (g *Gateway) jsAPI(ctx context.Context, subject string, req, resp any) error {
	ctx, cancel := withJSTimeout(ctx)
	defer cancel()
	var data []byte
	if req != nil {
		var err error
		if data, err = json.Marshal(req); err != nil {
			return err
		}
	}
	msg, err := g.nc.RequestWithContext(ctx, "$JS.API."+subject, data)
	if err != nil {
		return err
	}
	var e struct {
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		return fmt.Errorf("decode JetStream answer: %w", err)
	}
	if e.Error != nil {
		return e.Error
	}
	return json.Unmarshal(msg.Data, resp)
}

// streamConfigIn validates c (request field field) and builds the NATS
// configuration of stream s.
func (g *Gateway) streamConfigIn(s tenant.Stream, field string, c *natsgwv1.StreamConfig) (jetstream.StreamConfig, error) {
	out := jetstream.StreamConfig{
		Name:               s.NATSName(),
		Description:        c.GetDescription(),
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         -1,
		Replicas:           1,
		Duplicates:         defaultDuplicateWindow,
		AllowMsgTTL:        c.GetAllowMsgTtl(),
		AllowMsgSchedules:  c.GetAllowMsgSchedules(),
		AllowAtomicPublish: c.GetAllowAtomicPublish(),
		AllowMsgCounter:    c.GetAllowMsgCounter(),
	}
	if out.AllowMsgSchedules {
		out.AllowRollup = true // NATS requires it of schedules
	}
	if len(out.Description) > maxDescriptionLen {
		return out, invalidArgumentf(field+".description", "must be at most %d bytes", maxDescriptionLen)
	}
	subjects := c.GetSubjects()
	if len(subjects) == 0 {
		return out, invalidArgumentf(field+".subjects", "at least one subject is required")
	}
	if len(subjects) > maxStreamSubjects {
		return out, invalidArgumentf(field+".subjects", "at most %d subjects (got %d)", maxStreamSubjects, len(subjects))
	}
	for i, subj := range subjects {
		mapped, err := s.Pattern(subj)
		if err != nil {
			return out, invalidArgument(fmt.Sprintf("%s.subjects[%d]", field, i), err)
		}
		out.Subjects = append(out.Subjects, mapped)
	}
	var err error
	if out.Storage, err = enumIn(field+".storage", c.GetStorage(), storageIn); err != nil {
		return out, err
	}
	if out.Retention, err = enumIn(field+".retention", c.GetRetention(), retentionIn); err != nil {
		return out, err
	}
	if out.Discard, err = enumIn(field+".discard", c.GetDiscard(), discardIn); err != nil {
		return out, err
	}
	for _, l := range []struct {
		name string
		v    int64
		dst  *int64
	}{
		{"max_msgs", c.GetMaxMsgs(), &out.MaxMsgs},
		{"max_bytes", c.GetMaxBytes(), &out.MaxBytes},
		{"max_msgs_per_subject", c.GetMaxMsgsPerSubject(), &out.MaxMsgsPerSubject},
	} {
		if l.v < 0 {
			return out, invalidArgumentf(field+"."+l.name, "must not be negative (0 means unlimited)")
		}
		if l.v > 0 {
			*l.dst = l.v
		}
	}
	switch n := c.GetMaxMsgSize(); {
	case n < 0:
		return out, invalidArgumentf(field+".max_msg_size", "must not be negative (0 means the gateway's max payload)")
	case n > 0:
		out.MaxMsgSize = n
	}
	switch n := c.GetReplicas(); {
	case n < 0 || n > maxReplicas:
		return out, invalidArgumentf(field+".replicas", "must be between 1 and %d (0 means 1)", maxReplicas)
	case n > 0:
		out.Replicas = int(n)
	}
	if out.MaxAge, err = optDuration(field+".max_age", c.GetMaxAge(), 0); err != nil {
		return out, err
	}
	if d := c.GetDuplicateWindow(); d != nil {
		if out.Duplicates, err = optDuration(field+".duplicate_window", d, 0); err != nil {
			return out, err
		}
	}
	return out, nil
}

// The enums of a stream's configuration. The UNSPECIFIED value (0) maps
// like the default it stands for.
var (
	storageIn = map[natsgwv1.StreamStorage]jetstream.StorageType{
		natsgwv1.StreamStorage_STREAM_STORAGE_UNSPECIFIED: jetstream.FileStorage,
		natsgwv1.StreamStorage_STREAM_STORAGE_FILE:        jetstream.FileStorage,
		natsgwv1.StreamStorage_STREAM_STORAGE_MEMORY:      jetstream.MemoryStorage,
	}
	retentionIn = map[natsgwv1.StreamRetention]jetstream.RetentionPolicy{
		natsgwv1.StreamRetention_STREAM_RETENTION_UNSPECIFIED: jetstream.LimitsPolicy,
		natsgwv1.StreamRetention_STREAM_RETENTION_LIMITS:      jetstream.LimitsPolicy,
		natsgwv1.StreamRetention_STREAM_RETENTION_INTEREST:    jetstream.InterestPolicy,
		natsgwv1.StreamRetention_STREAM_RETENTION_WORKQUEUE:   jetstream.WorkQueuePolicy,
	}
	discardIn = map[natsgwv1.StreamDiscard]jetstream.DiscardPolicy{
		natsgwv1.StreamDiscard_STREAM_DISCARD_UNSPECIFIED: jetstream.DiscardOld,
		natsgwv1.StreamDiscard_STREAM_DISCARD_OLD:         jetstream.DiscardOld,
		natsgwv1.StreamDiscard_STREAM_DISCARD_NEW:         jetstream.DiscardNew,
	}
)

// enumIn converts a request enum through its table; a value outside it is
// InvalidArgument for field.
func enumIn[P ~int32, J any](field string, v P, table map[P]J) (J, error) {
	j, ok := table[v]
	if !ok {
		return j, invalidArgumentf(field, "unknown value %d", v)
	}
	return j, nil
}

// enumOut converts a NATS value back to the (non-UNSPECIFIED) request enum
// that maps to it.
func enumOut[P ~int32, J comparable](table map[P]J, j J) P {
	var best P
	for p, v := range table {
		if v == j && p != 0 && (best == 0 || p < best) {
			best = p
		}
	}
	return best
}

// optDuration converts an optional non-negative duration field, at least min
// when set and positive.
func optDuration(field string, d *durationpb.Duration, min time.Duration) (time.Duration, error) {
	if d == nil {
		return 0, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, invalidArgument(field, err)
	}
	v := d.AsDuration()
	if v < 0 {
		return 0, invalidArgumentf(field, "must not be negative")
	}
	if v > 0 && v < min {
		return 0, invalidArgumentf(field, "must be at least %s", min)
	}
	return v, nil
}

func unlimited(v int64) int64 {
	if v < 0 {
		return 0
	}
	return v
}

func optTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func optDurationpb(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

// streamInfoOut converts info of stream s for the caller.
func streamInfoOut(s tenant.Stream, info *jetstream.StreamInfo) *natsgwv1.StreamInfo {
	c := info.Config
	cfg := &natsgwv1.StreamConfig{
		Name:               s.Name(),
		Description:        c.Description,
		MaxMsgs:            unlimited(c.MaxMsgs),
		MaxBytes:           unlimited(c.MaxBytes),
		MaxAge:             optDurationpb(c.MaxAge),
		MaxMsgSize:         int32(unlimited(int64(c.MaxMsgSize))),
		MaxMsgsPerSubject:  unlimited(c.MaxMsgsPerSubject),
		Replicas:           int32(c.Replicas),
		DuplicateWindow:    optDurationpb(c.Duplicates),
		AllowMsgTtl:        c.AllowMsgTTL,
		AllowMsgSchedules:  c.AllowMsgSchedules,
		AllowAtomicPublish: c.AllowAtomicPublish,
		AllowMsgCounter:    c.AllowMsgCounter,
		Storage:            enumOut(storageIn, c.Storage),
		Retention:          enumOut(retentionIn, c.Retention),
		Discard:            enumOut(discardIn, c.Discard),
	}
	for _, subj := range c.Subjects {
		if cs, ok := s.ClientSubject(subj); ok {
			cfg.Subjects = append(cfg.Subjects, cs)
		}
	}
	st := info.State
	state := &natsgwv1.StreamState{
		Messages:      st.Msgs,
		Bytes:         st.Bytes,
		FirstSequence: st.FirstSeq,
		FirstTime:     optTimestamp(st.FirstTime),
		LastSequence:  st.LastSeq,
		LastTime:      optTimestamp(st.LastTime),
		NumSubjects:   st.NumSubjects,
		NumDeleted:    uint64(max(st.NumDeleted, 0)),
		Consumers:     uint32(max(st.Consumers, 0)),
	}
	if len(st.Subjects) > 0 {
		state.Subjects = make(map[string]uint64, len(st.Subjects))
		for subj, n := range st.Subjects {
			if cs, ok := s.ClientSubject(subj); ok {
				state.Subjects[cs] = n
			}
		}
	}
	return &natsgwv1.StreamInfo{Config: cfg, State: state, Created: optTimestamp(info.Created), DeadLetterFor: s.DeadLetterFor()}
}

func (s *streamServer) CreateStream(ctx context.Context, req *natsgwv1.CreateStreamRequest) (*natsgwv1.CreateStreamResponse, error) {
	info, err := s.g.putStream(ctx, req.GetConfig(), false)
	if err != nil {
		return nil, err
	}
	return &natsgwv1.CreateStreamResponse{Stream: info}, nil
}

func (s *streamServer) UpdateStream(ctx context.Context, req *natsgwv1.UpdateStreamRequest) (*natsgwv1.UpdateStreamResponse, error) {
	info, err := s.g.putStream(ctx, req.GetConfig(), true)
	if err != nil {
		return nil, err
	}
	return &natsgwv1.UpdateStreamResponse{Stream: info}, nil
}

// putStream creates or updates a stream from a caller's configuration.
func (g *Gateway) putStream(ctx context.Context, c *natsgwv1.StreamConfig, update bool) (*natsgwv1.StreamInfo, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, invalidArgumentf("config", "is required")
	}
	if err := tenant.ValidateStreamName(c.GetName()); err != nil {
		return nil, invalidArgument("config.name", err)
	}
	st, err := g.stream(id.Org, "config.name", c.GetName())
	if err != nil {
		return nil, err
	}
	cfg, err := g.streamConfigIn(st, "config", c)
	if err != nil {
		return nil, err
	}
	var str jetstream.Stream
	if update {
		defer g.subjects.forget(st.NATSName())
		str, err = g.js.UpdateStream(ctx, cfg)
	} else {
		str, err = g.js.CreateStream(ctx, cfg)
	}
	if err != nil {
		if !update && errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			if cur, e := g.js.Stream(ctx, cfg.Name); e == nil {
				if diff := streamSettingsDiffer(cfg, cur.CachedInfo().Config); len(diff) > 0 {
					return nil, alreadyExists("stream %q already exists with other settings: %s (UpdateStream changes them)", c.GetName(), strings.Join(diff, ", "))
				}
			}
		}
		return nil, g.natsError(ctx, fmt.Sprintf("stream %q", c.GetName()), inField("config", err))
	}
	return streamInfoOut(st, str.CachedInfo()), nil
}

func (s *streamServer) DeleteStream(ctx context.Context, req *natsgwv1.DeleteStreamRequest) (*natsgwv1.DeleteStreamResponse, error) {
	_, st, err := s.g.callerStream(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	defer s.g.subjects.forget(st.NATSName())
	if err := s.g.js.DeleteStream(ctx, st.NATSName()); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("delete stream %q", req.GetName()), err)
	}
	return &natsgwv1.DeleteStreamResponse{}, nil
}

func (s *streamServer) GetStream(ctx context.Context, req *natsgwv1.GetStreamRequest) (*natsgwv1.GetStreamResponse, error) {
	_, st, err := s.g.callerStream(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	var filter struct {
		SubjectsFilter string `json:"subjects_filter,omitempty"`
	}
	if f := req.GetSubjectsFilter(); f != "" {
		if filter.SubjectsFilter, err = st.Pattern(f); err != nil {
			return nil, invalidArgument("subjects_filter", err)
		}
	}
	// One raw request: with a filter it returns the first page of subject
	// counts (NATS pages at 100000), where nats.go would fetch them all.
	var info jetstream.StreamInfo
	if err := s.g.jsAPI(ctx, "STREAM.INFO."+st.NATSName(), filter, &info); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("stream %q", req.GetName()), err)
	}
	return &natsgwv1.GetStreamResponse{Stream: streamInfoOut(st, &info)}, nil
}

func (s *streamServer) ListStreams(ctx context.Context, _ *natsgwv1.ListStreamsRequest) (*natsgwv1.ListStreamsResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	// Ask NATS only for streams in the org's subject space and in its
	// dead-letter space; ClientName then decides what is the caller's (KV_
	// and OBJ_ buckets, other orgs and raw streams never pass).
	orgSpace, err := s.g.m.OrgPattern(id.Org)
	if err != nil {
		return nil, s.g.natsError(ctx, "list streams", err)
	}
	dlqSpace, err := s.g.m.DeadLetterSpace(id.Org)
	if err != nil {
		return nil, s.g.natsError(ctx, "list streams", err)
	}
	resp := &natsgwv1.ListStreamsResponse{}
	seen := map[string]bool{}
	for _, space := range []string{orgSpace, dlqSpace} {
		lister := s.g.js.ListStreams(ctx, jetstream.WithStreamListSubject(space))
		for info := range lister.Info() {
			name, ok := s.g.m.ClientName(id.Org, info.Config.Name)
			if !ok || seen[name] {
				continue
			}
			st, err := s.g.m.Stream(id.Org, name)
			if err != nil {
				continue // a name the caller could not have made
			}
			seen[name] = true
			resp.Streams = append(resp.Streams, streamInfoOut(st, info))
		}
		if err := lister.Err(); err != nil {
			return nil, s.g.natsError(ctx, "list streams", err)
		}
	}
	slices.SortFunc(resp.Streams, func(a, b *natsgwv1.StreamInfo) int {
		return strings.Compare(a.GetConfig().GetName(), b.GetConfig().GetName())
	})
	return resp, nil
}

func (s *streamServer) PurgeStream(ctx context.Context, req *natsgwv1.PurgeStreamRequest) (*natsgwv1.PurgeStreamResponse, error) {
	_, st, err := s.g.callerStream(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	if req.GetKeep() > 0 && req.GetUpToSequence() > 0 {
		return nil, invalidArgumentf("keep", "cannot be combined with up_to_sequence")
	}
	purge := struct {
		Filter string `json:"filter,omitempty"`
		Seq    uint64 `json:"seq,omitempty"`
		Keep   uint64 `json:"keep,omitempty"`
	}{Seq: req.GetUpToSequence(), Keep: req.GetKeep()}
	if f := req.GetSubject(); f != "" {
		if purge.Filter, err = st.Pattern(f); err != nil {
			return nil, invalidArgument("subject", err)
		}
	}
	var out struct {
		Purged uint64 `json:"purged"`
	}
	if err := s.g.jsAPI(ctx, "STREAM.PURGE."+st.NATSName(), purge, &out); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("purge stream %q", req.GetName()), err)
	}
	return &natsgwv1.PurgeStreamResponse{Purged: out.Purged}, nil
}

func (s *streamServer) GetStreamMessage(ctx context.Context, req *natsgwv1.GetStreamMessageRequest) (*natsgwv1.GetStreamMessageResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	get := struct {
		Seq     uint64 `json:"seq,omitempty"`
		LastFor string `json:"last_by_subj,omitempty"`
	}{Seq: req.GetSequence()}
	switch {
	case req.GetSequence() > 0 && req.GetLastBySubject() != "":
		return nil, invalidArgumentf("sequence", "set either sequence or last_by_subject, not both")
	case req.GetLastBySubject() != "":
		if get.LastFor, err = st.Subject(req.GetLastBySubject()); err != nil {
			return nil, invalidArgument("last_by_subject", err)
		}
	case req.GetSequence() == 0:
		return nil, invalidArgumentf("sequence", "set sequence (from 1) or last_by_subject")
	}
	m, err := s.g.getStoredMsg(ctx, st, get)
	if err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("get message from stream %q", req.GetStream()), err)
	}
	return &natsgwv1.GetStreamMessageResponse{Message: storedMsgOut(st, m)}, nil
}

// getStoredMsg reads one message of st through the JetStream API (one round
// trip, where nats.go's Stream handle would add a StreamInfo).
func (g *Gateway) getStoredMsg(ctx context.Context, st tenant.Stream, req any) (*jetstream.RawStreamMsg, error) {
	var resp struct {
		Message *struct {
			Subject  string    `json:"subject"`
			Sequence uint64    `json:"seq"`
			Header   []byte    `json:"hdrs,omitempty"`
			Data     []byte    `json:"data,omitempty"`
			Time     time.Time `json:"time"`
		} `json:"message"`
	}
	if err := g.jsAPI(ctx, "STREAM.MSG.GET."+st.NATSName(), req, &resp); err != nil {
		return nil, err
	}
	if resp.Message == nil {
		return nil, jetstream.ErrMsgNotFound
	}
	m := &jetstream.RawStreamMsg{Subject: resp.Message.Subject, Sequence: resp.Message.Sequence, Data: resp.Message.Data, Time: resp.Message.Time}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("decode stored headers: %w", err)
		}
		m.Header = h
	}
	return m, nil
}

func storedMsgOut(st tenant.Stream, m *jetstream.RawStreamMsg) *natsgwv1.StoredMessage {
	subj, _ := st.ClientSubject(m.Subject) // "" can only mean a foreign subject; never reveal it
	return &natsgwv1.StoredMessage{Subject: subj, Sequence: m.Sequence, Data: m.Data, Headers: fromStoredHeader(m.Header), Time: optTimestamp(m.Time)}
}

func (s *streamServer) DeleteStreamMessage(ctx context.Context, req *natsgwv1.DeleteStreamMessageRequest) (*natsgwv1.DeleteStreamMessageResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if req.GetSequence() == 0 {
		return nil, invalidArgumentf("sequence", "must be at least 1")
	}
	if err := s.g.deleteStoredMsg(ctx, st, req.GetSequence()); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("delete message %d from stream %q", req.GetSequence(), req.GetStream()), err)
	}
	return &natsgwv1.DeleteStreamMessageResponse{}, nil
}

// deleteStoredMsg removes message seq of st.
func (g *Gateway) deleteStoredMsg(ctx context.Context, st tenant.Stream, seq uint64) error {
	var resp struct {
		Success bool `json:"success"`
	}
	err := g.jsAPI(ctx, "STREAM.MSG.DELETE."+st.NATSName(), struct {
		Seq     uint64 `json:"seq"`
		NoErase bool   `json:"no_erase"`
	}{seq, true}, &resp)
	if err == nil && !resp.Success {
		err = errors.New("message delete not confirmed")
	}
	return err
}

// streamSettingsDiffer names, in the API's terms, the settings of a stream
// to create (want, normalized by streamConfigIn) that differ from the
// existing stream's, so an AlreadyExists says which setting clashes. Subjects
// are named without values (the stream's are mapped into the organization).
func streamSettingsDiffer(want, have jetstream.StreamConfig) []string {
	var diff []string
	num := func(name string, w, h int64) {
		if w != h {
			diff = append(diff, fmt.Sprintf("config.%s %d (the stream has %d)", name, w, h))
		}
	}
	if !slices.Equal(want.Subjects, have.Subjects) {
		diff = append(diff, "config.subjects")
	}
	num("max_msgs", want.MaxMsgs, have.MaxMsgs)
	num("max_bytes", want.MaxBytes, have.MaxBytes)
	num("max_msgs_per_subject", want.MaxMsgsPerSubject, have.MaxMsgsPerSubject)
	num("max_msg_size", int64(want.MaxMsgSize), int64(have.MaxMsgSize))
	num("replicas", int64(want.Replicas), int64(have.Replicas))
	if want.MaxAge != have.MaxAge {
		diff = append(diff, fmt.Sprintf("config.max_age %s (the stream has %s)", want.MaxAge, have.MaxAge))
	}
	if want.Duplicates != have.Duplicates {
		diff = append(diff, fmt.Sprintf("config.duplicate_window %s (the stream has %s)", want.Duplicates, have.Duplicates))
	}
	for _, f := range []struct {
		name string
		w, h fmt.Stringer
	}{{"storage", want.Storage, have.Storage}, {"retention", want.Retention, have.Retention}, {"discard", want.Discard, have.Discard}} {
		if f.w.String() != f.h.String() {
			diff = append(diff, fmt.Sprintf("config.%s %s (the stream has %s)", f.name, f.w, f.h))
		}
	}
	if want.AllowMsgTTL != have.AllowMsgTTL {
		diff = append(diff, fmt.Sprintf("config.allow_msg_ttl %t (the stream has %t)", want.AllowMsgTTL, have.AllowMsgTTL))
	}
	if want.Description != have.Description {
		diff = append(diff, "config.description")
	}
	return diff
}
