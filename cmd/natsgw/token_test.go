package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

func TestTokenCreate(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	file := filepath.Join(t.TempDir(), "auth.json")
	var out, errOut bytes.Buffer
	err := Run(ctx, []string{"token", "create", "--org", "acme", "--user", "ci", "--file", file}, nil, &out, &errOut)
	testutil.NoErr(t, err, "token create")
	tok := strings.TrimSpace(out.String())
	if !strings.HasPrefix(tok, "ngw_") {
		t.Fatalf("token %q lacks the ngw_ prefix", tok)
	}
	srv := natsgwtest.NewServer(t, natsgwtest.WithAuthFile(file))

	// The printed token is a credential for acme/ci.
	ok := srv.Client(t, natsgw.WithToken(tok), natsgw.WithOrg("acme"), natsgw.WithUser("ci"))
	testutil.NoErr(t, ok.Publish(ctx, "x", nil), "publish with the created token")
	// Another org through the CLI: the error names --org, not the metadata key.
	err = Run(ctx, []string{"--server", srv.Addr(), "--token", tok, "--org", "bob", "pub", "x", "y"}, nil, &out, &errOut)
	testutil.ErrIs(t, err, natsgw.ErrPermissionDenied, "pub as another org")
	if !strings.HasPrefix(err.Error(), `--org: the token does not grant organization "bob"`) {
		t.Errorf("error %q: want it to name --org", err)
	}

	// A second token added to the same file works after a reload.
	out.Reset()
	testutil.NoErr(t, Run(ctx, []string{"token", "create", "--org", "acme", "--user", "second", "--file", file}, nil, &out, &errOut), "second token")
	second := srv.Client(t, natsgw.WithToken(strings.TrimSpace(out.String())))
	testutil.ErrIs(t, second.Publish(ctx, "x", nil), natsgw.ErrUnauthenticated, "before reload")
	testutil.NoErr(t, srv.ReloadAuth(), "reload with two tokens")
	testutil.NoErr(t, second.Publish(ctx, "x", nil), "after reload")
	testutil.NoErr(t, ok.Publish(ctx, "x", nil), "first token still valid")

	err = Run(ctx, []string{"token", "create", "--org", "Not_Valid", "--user", "x"}, nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "org") {
		t.Fatalf("invalid org: got %v, want an error naming org", err)
	}
}
