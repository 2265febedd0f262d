package server

import (
	"context"
	"testing"

	"github.com/natsgw/natsgw/internal/tenant"
)

// TestRevokeStale: a reload ends the streams whose token is gone or now
// grants another identity, and only those.
func TestRevokeStale(t *testing.T) {
	t.Parallel()
	acme := tenant.Identity{Org: "acme", User: "app"}
	open := func(o *openStreams, digest string, id tenant.Identity) *revocable {
		_, cancel := context.WithCancelCause(context.Background())
		r := &revocable{id: id, cancel: cancel, revoked: make(chan struct{})}
		o.register(digest, r)
		return r
	}
	var o openStreams
	removed := open(&o, "gone", acme)
	moved := open(&o, "moved", acme)
	kept := open(&o, "kept", acme)
	kept2 := open(&o, "kept", acme)
	ended := open(&o, "gone", acme)
	o.unregister("gone", ended)

	grants := map[string]tenant.Identity{"moved": {Org: "bob", User: "app"}, "kept": acme}
	n := o.revokeStale(func(d string) (tenant.Identity, bool) { id, ok := grants[d]; return id, ok })
	if n != 2 {
		t.Errorf("revoked %d streams, want 2", n)
	}
	for name, c := range map[string]struct {
		r    *revocable
		want bool
	}{"removed": {removed, true}, "moved": {moved, true}, "kept": {kept, false}, "kept2": {kept2, false}, "ended": {ended, false}} {
		if got := c.r.isRevoked(); got != c.want {
			t.Errorf("%s: revoked %v, want %v", name, got, c.want)
		}
	}
	removed.revoke() // twice is fine
}
