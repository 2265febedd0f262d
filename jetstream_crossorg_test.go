package natsgw_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// rawConn is a plain gRPC connection to srv, for requests the SDK never
// makes (missing messages, hand-made frames).
func rawConn(t *testing.T, srv *natsgwtest.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "dial")
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func asOrg(ctx context.Context, org string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-natsgw-org", org)
}

// TestJetStreamCrossOrg: org acme owns a stream, a consumer and pulled
// messages; orgs bob and acmex (a look-alike) try every StreamService and
// ConsumerService call on them and reach nothing.
func TestJetStreamCrossOrg(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	tasksStream(t, acme, natsgw.LimitsRetention)
	mustCreateConsumer(t, acme, "TASKS", natsgw.ConsumerConfig{Name: "w", DeadLetter: true})
	publishN(t, acme, "TASKS", "tasks.a", 3)
	pulled, err := acme.Pull(ctx, "TASKS", "w", 3, natsgw.WithMaxWait(time.Second))
	testutil.NoErr(t, err, "pull")
	testutil.Equal(t, len(pulled), 3, "pulled")
	token := pulled[0].AckToken

	for _, org := range []string{"bob", "acmex", "acm"} {
		other := srv.Client(t, natsgw.WithOrg(org))
		for _, name := range []string{"TASKS", "acme_TASKS", "tenant_acme_TASKS", "_dlq_TASKS"} {
			cfg := natsgw.StreamConfig{Name: name, Subjects: []string{"tasks.>"}}
			calls := map[string]func() error{
				"GetStream":           func() error { _, err := other.StreamInfo(ctx, name); return err },
				"UpdateStream":        func() error { _, err := other.UpdateStream(ctx, cfg); return err },
				"DeleteStream":        func() error { return other.DeleteStream(ctx, name) },
				"PurgeStream":         func() error { _, err := other.PurgeStream(ctx, name); return err },
				"PublishToStream":     func() error { _, err := other.PublishToStream(ctx, name, "tasks.a", nil); return err },
				"GetStreamMessage":    func() error { _, err := other.GetStreamMsg(ctx, name, 1); return err },
				"LastStreamMessage":   func() error { _, err := other.GetLastStreamMsg(ctx, name, "tasks.a"); return err },
				"DeleteStreamMessage": func() error { return other.DeleteStreamMsg(ctx, name, 1) },
				"PipelinePublish": func() error {
					p, err := other.NewStreamPublisher(ctx, name)
					if err != nil {
						return err
					}
					defer p.Close(ctx)
					f, err := p.Publish("tasks.a", nil)
					if err != nil {
						return err
					}
					_, err = f.Wait(ctx)
					return err
				},
				"CreateConsumer": func() error { _, err := other.CreateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w"}); return err },
				"UpdateConsumer": func() error { _, err := other.UpdateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w"}); return err },
				"DeleteConsumer": func() error { return other.DeleteConsumer(ctx, name, "w") },
				"GetConsumer":    func() error { _, err := other.ConsumerInfo(ctx, name, "w"); return err },
				"ListConsumers":  func() error { _, err := other.Consumers(ctx, name); return err },
				"Pull":           func() error { _, err := other.Pull(ctx, name, "w", 1, natsgw.WithNoWait()); return err },
				"Consume": func() error {
					cc, err := other.Consume(ctx, name, "w", func(*natsgw.StreamMsg) {})
					if err == nil {
						_ = cc.Stop(ctx)
					}
					return err
				},
			}
			for call, f := range calls {
				err := f()
				want := natsgw.ErrNotFound
				if name == "_dlq_TASKS" && (call == "UpdateStream" || call == "PublishToStream" || call == "PipelinePublish") {
					want = natsgw.ErrInvalidArgument // dead-letter streams are the gateway's to write
				}
				if !errors.Is(err, want) {
					t.Errorf("org %s: %s(%q) = %v, want %v", org, call, name, err, want)
				}
			}
		}
		// Nothing of acme's in the listing.
		streams, err := other.Streams(ctx)
		testutil.NoErr(t, err, "list streams")
		testutil.Equal(t, len(streams), 0, org+" streams")

		// acme's ack tokens are refused, whatever the verb (InProgress and
		// Consume below).
		for _, tok := range []string{token, "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0", "$JS.ACK._.hash.tenant_acme_TASKS.w.1.1.1.1.0"} {
			testutil.ErrIs(t, other.AckTokens(ctx, tok), natsgw.ErrPermissionDenied, org+": ack acme's token")
			testutil.ErrIs(t, other.NakTokens(ctx, time.Second, tok), natsgw.ErrPermissionDenied, org+": nak acme's token")
			testutil.ErrIs(t, other.TermTokens(ctx, "x", tok), natsgw.ErrPermissionDenied, org+": term acme's token")
		}
		for _, forged := range []string{"garbage", "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1", "$JS.ACK.tenant_" + org + "_TASKS.*.1.1.1.1.0", "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0 +ACK"} {
			testutil.ErrIs(t, other.AckTokens(ctx, forged), natsgw.ErrInvalidArgument, org+": forged token "+forged)
		}
	}

	// InProgress and a Consume stream refuse foreign tokens too.
	conn := rawConn(t, srv)
	cons := natsgwv1.NewConsumerServiceClient(conn)
	_, err = cons.InProgress(asOrg(ctx, "bob"), &natsgwv1.InProgressRequest{AckTokens: []string{token}})
	testutil.Equal(t, status.Code(err), codes.PermissionDenied, "InProgress with acme's token")
	bobs := srv.Client(t, natsgw.WithOrg("bob"))
	tasksStream(t, bobs, natsgw.LimitsRetention) // same name and subjects, another org: no clash
	mustCreateConsumer(t, bobs, "TASKS", natsgw.ConsumerConfig{Name: "w"})
	stream, err := cons.Consume(asOrg(ctx, "bob"))
	testutil.NoErr(t, err, "consume")
	testutil.NoErr(t, stream.Send(&natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "TASKS", Consumer: "w"}}), "start")
	_, err = stream.Recv()
	testutil.NoErr(t, err, "ready")
	testutil.NoErr(t, stream.Send(&natsgwv1.ConsumeRequest{Acks: []*natsgwv1.AckOperation{{AckToken: token, Kind: natsgwv1.AckKind_ACK_KIND_ACK}}}), "send a foreign ack")
	for {
		if _, err = stream.Recv(); err != nil {
			break
		}
	}
	testutil.Equal(t, status.Code(err), codes.PermissionDenied, "Consume stream with acme's token")

	// bob's stream of the same name took bob's message, not acme's.
	_, err = bobs.PublishToStream(ctx, "TASKS", "tasks.a", []byte("bob's"))
	testutil.NoErr(t, err, "bob publishes")
	si, err := acme.StreamInfo(ctx, "TASKS")
	testutil.NoErr(t, err, "acme's stream")
	testutil.Equal(t, si.State.Msgs, uint64(3), "acme's messages")

	// acme's own state is intact: its token still acks.
	testutil.NoErr(t, acme.AckTokens(ctx, token), "acme acks its own token")
	ci, err := acme.ConsumerInfo(ctx, "TASKS", "w")
	testutil.NoErr(t, err, "acme's consumer")
	testutil.Equal(t, ci.NumAckPending, uint64(2), "acme's ack pending")
}

// TestStreamListings: an org's listing shows its streams (and dead-letter
// streams) only; never another org's, a look-alike org's, KV or object
// buckets, or raw streams, even ones made directly in NATS with names that
// look like the org's.
func TestStreamListings(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	for _, name := range []string{"B", "A"} {
		mustCreateStream(t, acme, natsgw.StreamConfig{Name: name, Subjects: []string{name + ".>"}})
	}
	mustCreateConsumer(t, acme, "A", natsgw.ConsumerConfig{Name: "w", DeadLetter: true})
	mustCreateStream(t, srv.Client(t, natsgw.WithOrg("bob")), natsgw.StreamConfig{Name: "BOB", Subjects: []string{">"}})
	mustCreateStream(t, srv.Client(t, natsgw.WithOrg("acmex")), natsgw.StreamConfig{Name: "X", Subjects: []string{">"}})

	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "tenant_acme_cfg"})
	testutil.NoErr(t, err, "raw KV bucket")
	_, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "tenant_acme_files"})
	testutil.NoErr(t, err, "raw object bucket")
	for _, raw := range []jetstream.StreamConfig{
		{Name: "RAW", Subjects: []string{"raw.>"}},
		{Name: "tenant_bob_SPY", Subjects: []string{"tenant.acme.spy.>"}}, // bob's name over acme's subjects
		{Name: "KV_tenant_acme_x", Subjects: []string{"tenant.acme.kvx.>"}},
	} {
		_, err := js.CreateStream(ctx, raw)
		testutil.NoErr(t, err, "raw stream "+raw.Name)
	}

	streams, err := acme.Streams(ctx)
	testutil.NoErr(t, err, "list")
	var names []string
	for _, s := range streams {
		names = append(names, s.Config.Name)
	}
	testutil.Equal(t, names, []string{"A", "B", "_dlq_A"}, "acme's streams")
	testutil.Equal(t, streams[2].DeadLetterFor, "A", "dead letter for")
	testutil.Equal(t, streams[2].Config.Subjects, []string{">"}, "dead-letter stream subjects")
	for _, name := range []string{"KV_tenant_acme_cfg", "OBJ_tenant_acme_files", "cfg", "RAW", "SPY"} {
		_, err := acme.StreamInfo(ctx, name)
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "acme reads "+name)
	}
	for org, want := range map[string][]string{"bob": {"BOB"}, "acmex": {"X"}, "nobody": nil} {
		streams, err := srv.Client(t, natsgw.WithOrg(org)).Streams(ctx)
		testutil.NoErr(t, err, "list "+org)
		var got []string
		for _, s := range streams {
			got = append(got, s.Config.Name)
		}
		testutil.Equal(t, got, want, org+"'s streams")
	}
	cs, err := acme.Consumers(ctx, "A")
	testutil.NoErr(t, err, "consumers")
	testutil.Equal(t, len(cs), 1, "consumers of A")
}
