package gateway

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// FuzzStreamAndConsumerConfig throws arbitrary names, subjects, filters and
// limits at the validation of stream and consumer configurations: a
// rejection is InvalidArgument naming a field of config; whatever is
// accepted names a stream of the caller's org, and every subject or filter
// lies in that stream's subject space.
func FuzzStreamAndConsumerConfig(f *testing.F) {
	f.Add("TASKS", "tasks.>", "tasks.processing", int64(10000), int32(1), int32(0), int64(0), int32(3), int64(100))
	f.Add("_dlq_TASKS", ">", "x.*", int64(-1), int32(7), int32(9), int64(-5), int32(-1), int64(0))
	f.Add("a.b", "$JS.API.>", "_INBOX.>", int64(0), int32(2), int32(3), int64(1), int32(0), int64(1))
	f.Add("T", "a..b", ">.x", int64(1), int32(0), int32(6), int64(1<<40), int32(2), int64(5))
	m, err := tenant.NewMapper(tenant.DefaultRoot)
	if err != nil {
		f.Fatal(err)
	}
	g := &Gateway{m: m}
	const org = "acme"
	f.Fuzz(func(t *testing.T, name, subj, filter string, maxMsgs int64, storage, deliver int32, ackWaitMs int64, maxDeliver int32, startSeq int64) {
		cfg := &natsgwv1.StreamConfig{
			Name: name, Subjects: []string{subj}, MaxMsgs: maxMsgs,
			Storage: natsgwv1.StreamStorage(storage), MaxAge: durationpb.New(time.Duration(ackWaitMs) * time.Millisecond),
		}
		st, err := g.stream(org, "config.name", name)
		if err != nil {
			checkRejection(t, err, "config", false)
			return
		}
		if !strings.HasPrefix(st.NATSName(), "tenant_acme_") {
			t.Fatalf("stream %q named %q outside the org", name, st.NATSName())
		}
		space := "tenant.acme."
		if o := st.DeadLetterFor(); o != "" {
			space = "_natsgw.dlq.tenant.acme." + o + "."
		}
		if sc, err := g.streamConfigIn(st, "config", cfg); err != nil {
			checkRejection(t, err, "config", false)
		} else {
			for _, s := range sc.Subjects {
				if !strings.HasPrefix(s, space) || len(s) == len(space) {
					t.Fatalf("subject %q of stream %q mapped to %q outside %q", subj, name, s, space)
				}
			}
		}
		cc := &natsgwv1.ConsumerConfig{
			Name: name, FilterSubjects: []string{filter, subj},
			DeliverPolicy: natsgwv1.DeliverPolicy(deliver), AckWait: durationpb.New(time.Duration(ackWaitMs) * time.Millisecond),
			MaxDeliver: maxDeliver, OptStartSequence: uint64(startSeq), DeadLetter: maxDeliver%2 == 0,
			Backoff: []*durationpb.Duration{durationpb.New(time.Duration(ackWaitMs) * time.Millisecond)},
		}
		out, err := consumerConfigIn(st, "config", cc, true)
		if err != nil {
			checkRejection(t, err, "config", false)
			return
		}
		filters := out.FilterSubjects
		if out.FilterSubject != "" {
			filters = append(filters, out.FilterSubject)
		}
		for _, fs := range filters {
			if !strings.HasPrefix(fs, space) || len(fs) == len(space) {
				t.Fatalf("filter of stream %q mapped to %q outside %q", name, fs, space)
			}
		}
		if out.Durable != name || (out.Durable != "" && tenant.ValidateName(out.Durable) != nil) {
			t.Fatalf("consumer name %q accepted as %q", name, out.Durable)
		}
	})
}
