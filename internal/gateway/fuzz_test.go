package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/natsembed"
	"github.com/natsgw/natsgw/internal/tenant"
)

// The fuzz targets throw arbitrary client input at the gateway's request
// preparation and check its promises: no panic; a rejection is
// InvalidArgument naming a field (or ResourceExhausted for size); whatever
// is accepted lies inside the caller's organization and is accepted by NATS
// itself, so no accepted input can fail later as an internal error.

const fuzzMaxPayload = 4096

// fuzzGateway is a Gateway over a real embedded NATS (with a small max
// payload), enough for prepare and publish.
func fuzzGateway(tb testing.TB) *Gateway {
	tb.Helper()
	ns, err := natsembed.New(natsembed.Config{DataDir: tb.TempDir(), MaxPayload: fuzzMaxPayload})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ns.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ns.Shutdown)
	nc, err := nats.Connect("", ns.ConnectOption())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	m, err := tenant.NewMapper(tenant.DefaultRoot)
	if err != nil {
		tb.Fatal(err)
	}
	return &Gateway{nc: nc, m: m, maxPayload: fuzzMaxPayload}
}

// checkRejection fails unless err is InvalidArgument with a field violation
// under fieldPrefix, or (when sizeOK) ResourceExhausted.
func checkRejection(t *testing.T, err error, fieldPrefix string, sizeOK bool) {
	t.Helper()
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument:
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					if strings.HasPrefix(v.GetField(), fieldPrefix) {
						return
					}
				}
			}
		}
		t.Fatalf("InvalidArgument %q names no field under %q", st.Message(), fieldPrefix)
	case codes.ResourceExhausted:
		if sizeOK {
			return
		}
	}
	t.Fatalf("rejected with %v, want InvalidArgument", err)
}

// checkInOrg fails unless natsSubject is a literal subject inside org whose
// caller's view is want.
func checkInOrg(t *testing.T, g *Gateway, org, natsSubject, want, what string) {
	t.Helper()
	if !strings.HasPrefix(natsSubject, tenant.DefaultRoot+"."+org+".") {
		t.Fatalf("%s %q maps to %q, outside org %q", what, want, natsSubject, org)
	}
	if got, ok := g.m.ClientSubject(org, natsSubject); !ok || got != want {
		t.Fatalf("%s %q maps to %q, which maps back to %q", what, want, natsSubject, got)
	}
	if got, ok := g.m.OrgOf(natsSubject); !ok || got != org {
		t.Fatalf("%s %q maps to %q, which belongs to org %q", what, want, natsSubject, got)
	}
}

func FuzzPrepare(f *testing.F) {
	seeds := []struct {
		org, subject, reply, key, value string
		data                            []byte
	}{
		{"acme", "events.user.login", "", "", "", []byte("hi")},
		{"acme", "orders.created", "replies.x", "priority", "high", nil},
		{"acme", "a", "_INBOX.abc.def", "Nats-Msg-Id", "1", []byte{0, 1, 2}},
		{"acme", "a.*", "", "", "", nil},
		{"acme", "a.>", "a.b", "", "", nil},
		{"acme", "$JS.API.INFO", "", "", "", nil},
		{"acme", "_natsgw.unsub.x", "", "", "", nil},
		{"acme", "a", "$JS.ACK.x", "", "", nil},
		{"acme", "a", "", "a:b", "v", nil},
		{"acme", "a", "", "a/b", "v", nil},
		{"acme", "a", "", "k", "a\r\nb", nil},
		{"acme", "a", "", "k", "  padded  ", nil},
		{"acme", "a", "", "ü", "v", nil},
		{"ACME", "a", "", "", "", nil},
		{"acme.bob", "a", "", "", "", nil},
		{"*", "a", "", "", "", nil},
		{"", "a", "", "", "", nil},
		{"acme", "tenant.bob.x", "tenant.bob.y", "", "", nil},
		{"acme", "a b", "", "", "", nil},
		{"acme", "a", "", "k", "v", make([]byte, fuzzMaxPayload)},
	}
	for _, s := range seeds {
		f.Add(s.org, s.subject, s.reply, s.key, s.value, s.data)
	}
	g := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, org, subject, reply, key, value string, data []byte) {
		m := &natsgwv1.OutgoingMessage{Subject: subject, ReplyTo: reply, Data: data}
		if key != "" || value != "" {
			m.Headers = map[string]*natsgwv1.HeaderValues{key: {Values: []string{value, value + "2"}}}
		}
		o, err := g.prepare(org, "message", m)
		if err != nil {
			checkRejection(t, err, "message", true)
			return
		}
		if err := tenant.ValidateOrg(org); err != nil {
			t.Fatalf("prepared a message for invalid org %q", org)
		}
		checkInOrg(t, g, org, o.subject, subject, "subject")
		for _, tok := range strings.Split(o.subject, ".") {
			if tok == "*" || tok == ">" {
				t.Fatalf("subject %q maps to %q, a wildcard", subject, o.subject)
			}
		}
		if reply != "" {
			checkInOrg(t, g, org, o.reply, reply, "reply_to")
		} else if o.reply != "" {
			t.Fatalf("no reply_to, but reply %q", o.reply)
		}
		// NATS accepts what the gateway accepted: headers, size, subjects.
		if err := g.publish(o); err != nil {
			t.Fatalf("prepared message (subject %q, headers %q) rejected by NATS: %v", o.subject, o.header, err)
		}
	})
}

func FuzzSubscriptionFields(f *testing.F) {
	for _, s := range [][3]string{
		{"events.user.*", "", "abc"},
		{">", "workers", "NUID123"},
		{"orders.>", "a.b-c_d", ""},
		{"a.>.b", "a b", "a-b"},
		{"$JS.>", "ü", "../x"},
		{"_INBOX.>", "q*", "a.b"},
		{"*.*", "q>", "x y"},
	} {
		f.Add("acme", s[0], s[1], s[2])
	}
	g := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, org, subject, queue, id string) {
		natsSubj, subErr := g.m.SubscribeSubject(org, subject)
		if subErr == nil && (!strings.HasPrefix(natsSubj, tenant.DefaultRoot+"."+org+".") || tenant.ValidateOrg(org) != nil) {
			t.Fatalf("pattern %q of org %q maps to %q, outside it", subject, org, natsSubj)
		}
		qErr := checkQueueGroup(queue)
		if subErr == nil && qErr == nil {
			// NATS accepts every subscription the gateway accepts.
			var (
				sub *nats.Subscription
				err error
			)
			if queue == "" {
				sub, err = g.nc.SubscribeSync(natsSubj)
			} else {
				sub, err = g.nc.QueueSubscribeSync(natsSubj, queue)
			}
			if err != nil {
				t.Fatalf("NATS rejected subscription %q (queue %q): %v", natsSubj, queue, err)
			}
			_ = sub.Unsubscribe()
		}
		if err := checkSubscriptionID(id); err == nil {
			// The control subject stays one fixed-shape literal subject.
			ctl := unsubscribeSubject(id)
			if strings.Count(ctl, ".") != 2 || strings.ContainsAny(ctl, "*> \t\r\n") {
				t.Fatalf("subscription id %q gives control subject %q", id, ctl)
			}
		}
	})
}
