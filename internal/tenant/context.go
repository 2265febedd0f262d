package tenant

import "context"

type identityKey struct{}

// NewContext returns ctx carrying id. Only the gateway's authentication step
// calls it, after validating id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity stored by NewContext, and false when there
// is none (a handler reached without authentication, which is a bug).
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
