package natsgw_test

import (
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestStreamsPerOrgLimit: one org cannot hold more open streams than the
// limit; other orgs are unaffected; closing one frees its place.
func TestStreamsPerOrgLimit(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithMaxStreamsPerOrg(2))
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	bob := srv.Client(t, natsgw.WithOrg("bob"))

	first, err := acme.SubscribeSync(ctx, "a")
	testutil.NoErr(t, err, "first subscription")
	_, err = acme.Handle(ctx, "b", func(*natsgw.Msg) {})
	testutil.NoErr(t, err, "second stream (a responder)")
	_, err = acme.SubscribeSync(ctx, "c")
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "third stream")
	if !strings.Contains(err.Error(), "the limit is 2") {
		t.Fatalf("error %q does not name the limit", err)
	}
	_, err = bob.SubscribeSync(ctx, "c")
	testutil.NoErr(t, err, "another org is not affected")

	testutil.NoErr(t, first.Unsubscribe(ctx), "unsubscribe")
	testutil.Poll(t, "a place is free again", func() error {
		s, err := acme.SubscribeSync(ctx, "c")
		if err == nil {
			return s.Unsubscribe(ctx)
		}
		return err
	})
}
