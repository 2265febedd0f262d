package natsgw_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestCheckReplyMirrorsGateway: the SDK checks a responder's reply before
// sending it (a reply the gateway rejects would end the whole Serve stream),
// so its verdict must be the gateway's for every input: compared here with
// the gateway's answer to the same reply through the Reply call.
func TestCheckReplyMirrorsGateway(t *testing.T) {
	t.Parallel()
	const limit = 1024
	srv := natsgwtest.NewServer(t, natsgwtest.WithMaxPayload(limit))
	raw, ctx := rawMessaging(t, srv, "acme")

	type reply struct {
		data []byte
		h    natsgw.Header
	}
	var cases []reply
	for c := range 0x80 {
		cases = append(cases,
			reply{nil, natsgw.Header{string(rune(c)): {"v"}}},
			reply{nil, natsgw.Header{"a" + string(rune(c)) + "b": {"v"}}},
			reply{nil, natsgw.Header{"k": {"a" + string(rune(c)) + "b"}}},
		)
	}
	cases = append(cases,
		reply{nil, natsgw.Header{"ü": {"v"}}},
		reply{nil, natsgw.Header{"k": {"ü"}}},
		reply{nil, natsgw.Header{"": {"v"}}},
		reply{nil, natsgw.Header{"k": {}}},
		reply{nil, natsgw.Header{"k": nil}},
		reply{nil, natsgw.Header{strings.Repeat("k", 256): {"v"}}},
		reply{nil, natsgw.Header{strings.Repeat("k", 257): {"v"}}},
	)
	// Sizes around the limit, with headers counted as NATS encodes them
	// (12 bytes of framing, "k: v\r\n", values trimmed).
	for _, n := range []int{limit - 18, limit - 17} {
		cases = append(cases,
			reply{make([]byte, n), natsgw.Header{"k": {"v"}}},
			reply{make([]byte, n), natsgw.Header{"k": {"  v\t"}}},
		)
	}
	cases = append(cases, reply{make([]byte, limit), nil}, reply{make([]byte, limit+1), nil})

	for _, r := range cases {
		what := fmt.Sprintf("reply of %d bytes with headers %q", len(r.data), r.h)
		sdkErr := natsgw.CheckReply(r.data, r.h, limit)
		hdrs := map[string]*natsgwv1.HeaderValues{}
		for k, vs := range r.h {
			hdrs[k] = &natsgwv1.HeaderValues{Values: vs}
		}
		_, gwErr := raw.Reply(ctx, &natsgwv1.ReplyRequest{ReplyToken: "replies", Data: r.data, Headers: hdrs})
		switch code := codeOf(gwErr); {
		case code == "OK" && sdkErr != nil:
			t.Errorf("%s: the gateway accepts it, the SDK refuses it: %v", what, sdkErr)
		case code == "InvalidArgument" && !errors.Is(sdkErr, natsgw.ErrInvalidArgument),
			code == "ResourceExhausted" && !errors.Is(sdkErr, natsgw.ErrResourceExhausted):
			t.Errorf("%s: the gateway says %v, the SDK %v", what, gwErr, sdkErr)
		case code == "Internal" && strings.Contains(gwErr.Error(), "marshaling") && !errors.Is(sdkErr, natsgw.ErrInvalidArgument):
			// Cannot even be sent: protobuf strings are UTF-8.
			t.Errorf("%s: cannot be encoded, yet the SDK accepts it", what)
		case code != "OK" && code != "InvalidArgument" && code != "ResourceExhausted" && code != "Internal":
			t.Errorf("%s: unexpected gateway answer %v", what, gwErr)
		}
	}
}

// TestRespondBadReplyKeepsResponder: a reply the gateway would reject fails
// only that Respond; the responder stays up and answers the next request.
func TestRespondBadReplyKeepsResponder(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	events := make(chan natsgw.Event, 8)
	c := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithEventHandler(func(e natsgw.Event) { events <- e }))
	ctx := testutil.Context(t)
	bad := []natsgw.Header{
		{"a/b": {"v"}},
		{"a\x01b": {"v"}},
		{"ü": {"v"}},
		{"k": {"\xff"}},
		{"k": {"a\nb"}},
	}
	results := make(chan error, len(bad))
	svc, err := c.Handle(ctx, "api.svc", func(m *natsgw.Msg) {
		for _, h := range bad {
			results <- m.RespondWithHeader(ctx, nil, h)
		}
		_ = m.RespondWithHeader(ctx, []byte("ok"), natsgw.Header{"good": {"yes"}})
	})
	testutil.NoErr(t, err, "handle")
	id := svc.ID()
	for range 2 {
		r, err := c.Request(ctx, "api.svc", nil)
		testutil.NoErr(t, err, "request")
		testutil.Equal(t, string(r.Data), "ok", "reply")
		for _, h := range bad {
			testutil.ErrIs(t, testutil.Recv(t, results, "bad respond"), natsgw.ErrInvalidArgument, fmt.Sprintf("respond with %q", h))
		}
	}
	testutil.Equal(t, svc.ID(), id, "responder stream (unchanged)")
	testutil.NoRecv(t, events, "a lost responder")
}
