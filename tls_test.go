package natsgw_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestTLS: a gateway serving TLS carries calls and streams for clients
// that trust its certificate, refuses plaintext clients and clients that
// do not trust it, and serves a new certificate after a reload.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithTLS())
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	h, err := c.Health(ctx)
	testutil.NoErr(t, err, "health over TLS")
	if !h.Healthy {
		t.Fatalf("health over TLS: %+v", h)
	}
	got, _ := sink(t, c, "events.>")
	testutil.NoErr(t, c.Publish(ctx, "events.a", []byte("secret")), "publish over TLS")
	m := testutil.Recv(t, got, "message over TLS")
	testutil.Equal(t, [2]string{m.Subject, string(m.Data)}, [2]string{"events.a", "secret"}, "message")
	_, err = c.KeyValue("b").Put(ctx, "k", []byte("v")) // the KV session stream
	testutil.NoErr(t, err, "kv put over TLS")

	refused := func(what string, opts ...natsgw.Option) {
		t.Helper()
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		c, err := natsgw.Dial(dctx, srv.Addr(), opts...)
		if err == nil {
			_, err = c.Health(dctx)
			_ = c.Close()
		}
		if err == nil {
			t.Fatalf("%s: connected to a TLS gateway", what)
		}
	}
	refused("plaintext client")
	refused("client without the gateway's certificate", natsgw.WithTLS(&tls.Config{RootCAs: nil, ServerName: "example.com"}))
	old := srv.ClientTLSConfig()

	// Rotate: new files, reload; new connections get the new certificate.
	certFile, keyFile := srv.TLSFiles()
	natsgwtest.WriteSelfSignedCert(t, certFile, keyFile)
	testutil.NoErr(t, srv.ReloadTLS(), "reload")
	refused("client trusting only the old certificate", natsgw.WithTLS(old))
	nc := srv.Client(t, natsgw.WithOrg("acme"))
	_, err = nc.Health(ctx)
	testutil.NoErr(t, err, "health with the new certificate")
	_, err = c.Health(ctx)
	testutil.NoErr(t, err, "the connection opened before the reload still works")
}
