package tenant

import (
	"errors"
	"strings"
	"testing"
)

// FuzzAckTokenStaysInOrg proves that no ack token outside the org is
// accepted: whatever a caller sends, an accepted token is a literal
// "$JS.ACK." subject of one of the org's own streams, with the exact shape
// of a JetStream ack subject, and another org never accepts it.
func FuzzAckTokenStaysInOrg(f *testing.F) {
	for _, s := range []string{
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1795721221408793796.3",
		"$JS.ACK._.AbCd.tenant_acme_TASKS.w.1.1.1.1.0",
		"$JS.ACK._.AbCd.tenant_acme_TASKS.w.1.1.1.1.0.ext",
		"$JS.ACK.tenant_bob_TASKS.w.1.1.1.1.0",
		"$JS.ACK.tenant_acme__dlq_TASKS.w.1.1.1.1.0",
		"$JS.ACK.tenant_acme_T.*.1.1.1.1.0",
		"$JS.ACK.tenant_acme_T.>",
		"$JS.ACK.KV_tenant_acme_x.w.1.1.1.1.0",
		"tenant.acme.x",
	} {
		f.Add("acme", s)
	}
	f.Add("bob", "$JS.ACK.tenant_bob_T.c.1.2.3.4.5")
	m, err := NewMapper(DefaultRoot)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, org, token string) {
		tok, err := m.ParseAckToken(org, token)
		if err != nil {
			return
		}
		if ValidateOrg(org) != nil {
			t.Fatalf("invalid org %q accepted token %q", org, token)
		}
		if tok.Subject != token || !strings.HasPrefix(token, "$JS.ACK.") {
			t.Fatalf("accepted %q as %+v", token, tok)
		}
		for _, c := range token {
			if c <= ' ' || c == '*' || c == '>' || c == 0x7f || c > 0x7e {
				t.Fatalf("accepted %q containing %q", token, c)
			}
		}
		if strings.Contains(token, "..") || strings.HasSuffix(token, ".") {
			t.Fatalf("accepted %q with an empty token", token)
		}
		if n := strings.Count(token, ".") + 1; n != 9 && n != 11 && n != 12 {
			t.Fatalf("accepted %q with %d tokens", token, n)
		}
		prefix := "tenant_" + org + "_"
		if !strings.HasPrefix(tok.NATSStream, prefix) {
			t.Fatalf("accepted %q for stream %q outside %q", token, tok.NATSStream, prefix)
		}
		if back, ok := m.ClientName(org, tok.NATSStream); !ok || back != tok.Stream {
			t.Fatalf("stream %q maps back to %q, %v; parsed %q", tok.NATSStream, back, ok, tok.Stream)
		}
		if !strings.Contains(token, "."+tok.NATSStream+"."+tok.Consumer+".") {
			t.Fatalf("parsed stream/consumer %q/%q are not the token's", tok.NATSStream, tok.Consumer)
		}
		for _, other := range []string{"bob", org + "x", "a"} {
			if other == org {
				continue
			}
			if _, err := m.ParseAckToken(other, token); !errors.Is(err, ErrForeignAckToken) {
				t.Fatalf("org %q: token %q of org %q gave %v, want ErrForeignAckToken", other, token, org, err)
			}
		}
	})
}

// FuzzStreamSubjectsStayInSpace proves that a stream's subject mapping never
// leaves its space: an ordinary stream's subjects stay in the org, a
// dead-letter stream's in its own dead-letter space, and mappings
// round-trip.
func FuzzStreamSubjectsStayInSpace(f *testing.F) {
	for _, s := range []string{"tasks.>", ">", "*", "a.b", "$JS.API.>", "_natsgw.dlq.>", "_INBOX.x", "a..b"} {
		f.Add("acme", "TASKS", s)
		f.Add("acme", "_dlq_TASKS", s)
	}
	f.Add("acme", "_x", "a")
	m, err := NewMapper(DefaultRoot)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, org, name, subject string) {
		s, err := m.Stream(org, name)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s.NATSName(), "tenant_"+org+"_") {
			t.Fatalf("Stream(%q, %q) named %q outside the org", org, name, s.NATSName())
		}
		if strings.HasPrefix(name, "_") && s.DeadLetterFor() == "" {
			t.Fatalf("reserved name %q accepted as an ordinary stream", name)
		}
		space := "tenant." + org + "."
		if o := s.DeadLetterFor(); o != "" {
			space = "_natsgw.dlq.tenant." + org + "." + o + "."
		}
		for _, mapped := range []func(string) (string, error){s.Subject, s.Pattern} {
			got, err := mapped(subject)
			if err != nil {
				continue
			}
			if !strings.HasPrefix(got, space) || len(got) == len(space) {
				t.Fatalf("%q in stream %q mapped to %q outside %q", subject, name, got, space)
			}
			if back, ok := s.ClientSubject(got); !ok || back != subject {
				t.Fatalf("ClientSubject(%q) = %q, %v; want %q", got, back, ok, subject)
			}
			if s.DeadLetterFor() != "" {
				if _, ok := m.ClientSubject(org, got); ok {
					t.Fatalf("dead-letter subject %q lies in the org's space", got)
				}
			}
		}
	})
}
