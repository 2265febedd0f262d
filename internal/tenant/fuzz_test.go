package tenant

import (
	"strings"
	"testing"
)

// FuzzSubjectStaysInOrg proves that no (org, subject) pair maps outside its
// org, for publishing, subscribing and replying, and that literal mappings
// round-trip.
func FuzzSubjectStaysInOrg(f *testing.F) {
	for _, s := range []string{"events.user.login", ">", "*", "a.*.b", "$JS.API", "_INBOX.x", "a..b", " ", "a.>", "x.y.>"} {
		f.Add("acme", s)
	}
	f.Add("a.b", "x")
	f.Add("*", ">")
	m, err := NewMapper(DefaultRoot)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, org, subject string) {
		for kind, fn := range map[string]func(string, string) (string, error){
			"publish":   m.PublishSubject,
			"subscribe": m.SubscribeSubject,
			"reply":     m.ReplySubject,
		} {
			mapped, err := fn(org, subject)
			if err != nil {
				continue
			}
			if ValidateOrg(org) != nil {
				t.Fatalf("%s: invalid org %q mapped to %q", kind, org, mapped)
			}
			prefix := "tenant." + org + "."
			if !strings.HasPrefix(mapped, prefix) || len(mapped) == len(prefix) {
				t.Fatalf("%s(%q, %q) = %q: outside %q", kind, org, subject, mapped, prefix)
			}
			// The org's own tokens are never wildcards and never empty.
			toks := strings.Split(mapped, ".")
			if toks[0] != "tenant" || toks[1] != org {
				t.Fatalf("%s(%q, %q) = %q: bad namespace tokens", kind, org, subject, mapped)
			}
			for _, tok := range toks {
				if tok == "" {
					t.Fatalf("%s(%q, %q) = %q: empty token", kind, org, subject, mapped)
				}
			}
			if kind != "subscribe" && (strings.Contains(mapped, ".*.") || strings.HasSuffix(mapped, ".*") || strings.HasSuffix(mapped, ".>")) {
				t.Fatalf("%s(%q, %q) = %q: wildcard in a literal subject", kind, org, subject, mapped)
			}
			back, ok := m.ClientSubject(org, mapped)
			if !ok || back != subject {
				t.Fatalf("ClientSubject(%q) = %q, %v; want %q", mapped, back, ok, subject)
			}
			if got, ok := m.OrgOf(mapped); !ok || got != org {
				t.Fatalf("OrgOf(%q) = %q, %v", mapped, got, ok)
			}
		}
	})
}

// FuzzNameInjective proves that names map into their org, round-trip, and
// never collide across orgs.
func FuzzNameInjective(f *testing.F) {
	f.Add("acme", "TASKS", "acme-x", "TASKS")
	f.Add("a", "b_c", "a_b", "c")
	f.Add("a", "x", "a", "x")
	m, err := NewMapper(DefaultRoot)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, org1, name1, org2, name2 string) {
		n1, err1 := m.Name(org1, name1)
		n2, err2 := m.Name(org2, name2)
		if err1 == nil {
			if back, ok := m.ClientName(org1, n1); !ok || back != name1 {
				t.Fatalf("ClientName(%q, %q) = %q, %v; want %q", org1, n1, back, ok, name1)
			}
			if !strings.HasPrefix(n1, "tenant_"+org1+"_") {
				t.Fatalf("Name(%q, %q) = %q outside the org", org1, name1, n1)
			}
		}
		if err1 == nil && err2 == nil && n1 == n2 && (org1 != org2 || name1 != name2) {
			t.Fatalf("collision: (%q,%q) and (%q,%q) both map to %q", org1, name1, org2, name2, n1)
		}
		if err1 == nil && org1 != org2 && ValidateOrg(org2) == nil {
			if _, ok := m.ClientName(org2, n1); ok {
				t.Fatalf("org %q claims %q, which belongs to %q", org2, n1, org1)
			}
		}
	})
}
