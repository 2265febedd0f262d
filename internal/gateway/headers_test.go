package gateway

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/testing/protocmp"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

func TestFromStoredHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   nats.Header
		want map[string]*natsgwv1.HeaderValues
	}{
		{"none", nil, nil},
		{"only preconditions", nats.Header{"Nats-Expected-Stream": {"tenant_acme_T"}, "nats-expected-last-sequence": {"4"}}, nil},
		{"kept", nats.Header{
			"Nats-Expected-Stream": {"tenant_acme_T"},
			"Nats-Msg-Id":          {"m1"},
			"Trace":                {"a", "b"},
			"Nats-Expected":        {"not a precondition header"},
		}, map[string]*natsgwv1.HeaderValues{
			"Nats-Msg-Id":   {Values: []string{"m1"}},
			"Trace":         {Values: []string{"a", "b"}},
			"Nats-Expected": {Values: []string{"not a precondition header"}},
		}},
	} {
		if diff := cmp.Diff(tc.want, fromStoredHeader(tc.in), protocmp.Transform()); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}
}
