package natsgw_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// writeAuthFile creates an auth file granting each token in grants its
// (org, user) and returns its path and the tokens in order.
func writeAuthFile(t *testing.T, grants ...[2]string) (string, []string) {
	t.Helper()
	var f server.AuthFile
	var toks []string
	for _, g := range grants {
		tok, e, err := server.NewToken(g[0], g[1])
		testutil.NoErr(t, err, "new token")
		f.Tokens = append(f.Tokens, e)
		toks = append(toks, tok)
	}
	b, err := json.Marshal(f)
	testutil.NoErr(t, err, "marshal")
	path := filepath.Join(t.TempDir(), "auth.json")
	testutil.NoErr(t, os.WriteFile(path, b, 0o600), "write auth file")
	return path, toks
}

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	path, toks := writeAuthFile(t, [2]string{"acme", "billing"}, [2]string{"bob", "svc"})
	srv := natsgwtest.NewServer(t, natsgwtest.WithAuthFile(path))
	ctx := testutil.Context(t)

	t.Run("no token", func(t *testing.T) {
		c := srv.Client(t)
		testutil.ErrIs(t, c.Publish(ctx, "x", nil), natsgw.ErrUnauthenticated, "publish without token")
		h, err := c.Health(ctx)
		testutil.NoErr(t, err, "Health needs no token")
		testutil.Equal(t, h.Healthy, true, "healthy")
	})
	t.Run("bad token", func(t *testing.T) {
		c := srv.Client(t, natsgw.WithToken("ngw_not-a-real-token"))
		testutil.ErrIs(t, c.Publish(ctx, "x", nil), natsgw.ErrUnauthenticated, "publish with a bad token")
		_, err := c.SubscribeSync(ctx, ">")
		testutil.ErrIs(t, err, natsgw.ErrUnauthenticated, "subscribe with a bad token")
	})
	t.Run("token decides the org", func(t *testing.T) {
		nc := srv.NATS(t)
		raw, err := nc.SubscribeSync("tenant.*.audit")
		testutil.NoErr(t, err, "raw subscribe")
		testutil.NoErr(t, nc.Flush(), "flush")

		c := srv.Client(t, natsgw.WithToken(toks[0]))
		testutil.NoErr(t, c.Publish(ctx, "audit", []byte("a")), "publish")
		m, err := raw.NextMsg(testutil.Eventually)
		testutil.NoErr(t, err, "raw receive")
		testutil.Equal(t, m.Subject, "tenant.acme.audit", "mapped subject")

		// Stating the token's own org is fine; another org is refused.
		same := srv.Client(t, natsgw.WithToken(toks[0]), natsgw.WithOrg("acme"), natsgw.WithUser("billing"))
		testutil.NoErr(t, same.Publish(ctx, "audit", nil), "publish stating the token's org")
		other := srv.Client(t, natsgw.WithToken(toks[0]), natsgw.WithOrg("bob"))
		testutil.ErrIs(t, other.Publish(ctx, "audit", nil), natsgw.ErrPermissionDenied, "publish claiming another org")
		impostor := srv.Client(t, natsgw.WithToken(toks[0]), natsgw.WithUser("admin"))
		testutil.ErrIs(t, impostor.Publish(ctx, "audit", nil), natsgw.ErrPermissionDenied, "publish claiming another user")
	})
	t.Run("orgs stay apart", func(t *testing.T) {
		acme := srv.Client(t, natsgw.WithToken(toks[0]))
		bob := srv.Client(t, natsgw.WithToken(toks[1]))
		sub, err := bob.SubscribeSync(ctx, ">")
		testutil.NoErr(t, err, "bob subscribes to everything")
		testutil.NoErr(t, acme.Publish(ctx, "secret", []byte("acme only")), "acme publishes")
		testutil.NoErr(t, bob.Publish(ctx, "mine", []byte("bob")), "bob publishes")
		m, err := sub.Next(ctx)
		testutil.NoErr(t, err, "bob receives")
		testutil.Equal(t, m.Subject, "mine", "bob sees only his own message first")
	})
	t.Run("grpc health needs no token", func(t *testing.T) {
		conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		testutil.NoErr(t, err, "grpc client")
		defer conn.Close()
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		testutil.NoErr(t, err, "health check")
		testutil.Equal(t, resp.GetStatus(), healthpb.HealthCheckResponse_SERVING, "status")
	})
}

func TestTokenAuthReload(t *testing.T) {
	t.Parallel()
	path, _ := writeAuthFile(t, [2]string{"acme", "a"})
	srv := natsgwtest.NewServer(t, natsgwtest.WithAuthFile(path))
	ctx := testutil.Context(t)

	newPath, toks := writeAuthFile(t, [2]string{"acme", "a"}, [2]string{"acme", "late"})
	c := srv.Client(t, natsgw.WithToken(toks[1]))
	testutil.ErrIs(t, c.Publish(ctx, "x", nil), natsgw.ErrUnauthenticated, "before reload")

	b, err := os.ReadFile(newPath)
	testutil.NoErr(t, err, "read")
	testutil.NoErr(t, os.WriteFile(path, b, 0o600), "replace auth file")
	testutil.NoErr(t, srv.ReloadAuth(), "reload")
	testutil.NoErr(t, c.Publish(ctx, "x", nil), "after reload")

	// A broken file is refused and the tokens in force stay.
	testutil.NoErr(t, os.WriteFile(path, []byte("{not json"), 0o600), "break auth file")
	if err := srv.ReloadAuth(); err == nil {
		t.Fatal("reload of a broken auth file succeeded")
	}
	testutil.NoErr(t, c.Publish(ctx, "x", nil), "after failed reload")
}
