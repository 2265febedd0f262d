package tenant

import (
	"strings"
	"testing"
)

func mustMapper(t testing.TB) Mapper {
	t.Helper()
	m, err := NewMapper(DefaultRoot)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidateOrg(t *testing.T) {
	for _, tc := range []struct {
		org string
		ok  bool
	}{
		{"acme", true},
		{"a", true},
		{"team-42", true},
		{strings.Repeat("a", 32), true},
		{"", false},
		{strings.Repeat("a", 33), false},
		{"Acme", false},
		{"ac.me", false},
		{"ac_me", false},
		{"a*", false},
		{">", false},
		{"ac me", false},
	} {
		if err := ValidateOrg(tc.org); (err == nil) != tc.ok {
			t.Errorf("ValidateOrg(%q) = %v, want ok=%v", tc.org, err, tc.ok)
		}
	}
}

func TestValidateUser(t *testing.T) {
	for _, tc := range []struct {
		user string
		ok   bool
	}{
		{"anonymous", true},
		{"svc.billing_v2@acme-prod", true},
		{"Worker-1", true},
		{"", false},
		{strings.Repeat("u", 65), false},
		{"a b", false},
		{"a/b", false},
		{"a*b", false},
	} {
		if err := ValidateUser(tc.user); (err == nil) != tc.ok {
			t.Errorf("ValidateUser(%q) = %v, want ok=%v", tc.user, err, tc.ok)
		}
	}
}

func TestNewMapper(t *testing.T) {
	for _, root := range []string{"", "a.b", "a_b", "*", ">", "a b", strings.Repeat("r", 33)} {
		if _, err := NewMapper(root); err == nil {
			t.Errorf("NewMapper(%q) succeeded, want error", root)
		}
	}
	for _, root := range []string{"tenant", "natsgw-prod", "T1"} {
		if _, err := NewMapper(root); err != nil {
			t.Errorf("NewMapper(%q) = %v", root, err)
		}
	}
}

func TestPublishSubject(t *testing.T) {
	m := mustMapper(t)
	for _, tc := range []struct {
		subject string
		want    string // "" means error
		errHas  string
	}{
		{"events.user.login", "tenant.acme.events.user.login", ""},
		{"a", "tenant.acme.a", ""},
		{"a*b.c>d", "tenant.acme.a*b.c>d", ""}, // partial wildcards are literal in NATS
		{"ünïcode.ok", "tenant.acme.ünïcode.ok", ""},
		{"", "", "empty"},
		{".a", "", "token 1 is empty"},
		{"a.", "", "token 2 is empty"},
		{"a..b", "", "token 2 is empty"},
		{"a b", "", "whitespace"},
		{"a\tb", "", "whitespace"},
		{"a\nb", "", "whitespace"},
		{"a\x00b", "", "control"},
		{"a.*", "", "only allowed in subscriptions"},
		{">", "", "only allowed in subscriptions"},
		{"$JS.API.STREAM.LIST", "", "reserved"},
		{"$KV.x.y", "", "reserved"},
		{"_INBOX.abc", "", "reserved for reply inboxes"},
		{"_natsgw.ctl", "", "reserved for the gateway"},
		{strings.Repeat("a", MaxSubjectLen+1), "", "at most"},
	} {
		got, err := m.PublishSubject("acme", tc.subject)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("PublishSubject(%q) = %q, %v; want error containing %q", tc.subject, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PublishSubject(%q) = %q, %v; want %q", tc.subject, got, err, tc.want)
		}
	}
}

func TestSubscribeSubject(t *testing.T) {
	m := mustMapper(t)
	for _, tc := range []struct {
		pattern string
		want    string
	}{
		{">", "tenant.acme.>"},
		{"*", "tenant.acme.*"},
		{"events.user.*", "tenant.acme.events.user.*"},
		{"orders.>", "tenant.acme.orders.>"},
		{"*.*.x", "tenant.acme.*.*.x"},
		{"a.>.b", ""},
		{">.a", ""},
		{"$SYS.>", ""},
		{"_INBOX.>", ""},
		{"a..*", ""},
	} {
		got, err := m.SubscribeSubject("acme", tc.pattern)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("SubscribeSubject(%q) = %q, %v; want %q", tc.pattern, got, err, tc.want)
		}
	}
}

func TestReplySubject(t *testing.T) {
	m := mustMapper(t)
	got, err := m.ReplySubject("acme", "_INBOX.gw1.abc")
	if err != nil || got != "tenant.acme._INBOX.gw1.abc" {
		t.Fatalf("ReplySubject(_INBOX) = %q, %v", got, err)
	}
	for _, bad := range []string{"$JS.ACK.x", "_natsgw.x", "a.*", "a.>", ""} {
		if got, err := m.ReplySubject("acme", bad); err == nil {
			t.Errorf("ReplySubject(%q) = %q, want error", bad, got)
		}
	}
}

func TestMappingRejectsInvalidOrg(t *testing.T) {
	m := mustMapper(t)
	for _, org := range []string{"", "a.b", "*", ">", "a_b", "A"} {
		if s, err := m.PublishSubject(org, "x"); err == nil {
			t.Errorf("PublishSubject(org %q) = %q, want error", org, s)
		}
		if s, err := m.SubscribeSubject(org, ">"); err == nil {
			t.Errorf("SubscribeSubject(org %q) = %q, want error", org, s)
		}
		if s, err := m.Name(org, "x"); err == nil {
			t.Errorf("Name(org %q) = %q, want error", org, s)
		}
	}
}

func TestClientSubject(t *testing.T) {
	m := mustMapper(t)
	for _, tc := range []struct {
		org, nats, want string
		ok              bool
	}{
		{"acme", "tenant.acme.events.x", "events.x", true},
		{"acme", "tenant.acme._INBOX.gw.1", "_INBOX.gw.1", true},
		{"acme", "tenant.acme.", "", false},
		{"acme", "tenant.acme", "", false},
		{"acme", "tenant.acmex.events", "", false},
		{"acme", "tenant.bob.events", "", false},
		{"acme", "other.acme.events", "", false},
		{"acme", "_INBOX.xyz", "", false},
		{"acme", "", "", false},
	} {
		got, ok := m.ClientSubject(tc.org, tc.nats)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ClientSubject(%q, %q) = %q, %v; want %q, %v", tc.org, tc.nats, got, ok, tc.want, tc.ok)
		}
	}
}

func TestInbox(t *testing.T) {
	m := mustMapper(t)
	p, err := m.InboxPrefix("acme", "GW1")
	if err != nil || p != "tenant.acme._INBOX.GW1." {
		t.Fatalf("InboxPrefix = %q, %v", p, err)
	}
	if pat := m.InboxPattern("GW1"); pat != "tenant.*._INBOX.GW1.*" {
		t.Fatalf("InboxPattern = %q", pat)
	}
	for _, id := range []string{"", "a.b", "*", ">"} {
		if _, err := m.InboxPrefix("acme", id); err == nil {
			t.Errorf("InboxPrefix(gateway id %q) succeeded", id)
		}
	}
	// A responder's reply token for an inbox maps back to the same inbox.
	tok, ok := m.ClientReplyToken("acme", p+"r1")
	if !ok || tok != "_INBOX.GW1.r1" {
		t.Fatalf("ClientReplyToken = %q, %v", tok, ok)
	}
	if back, err := m.ReplySubject("acme", tok); err != nil || back != p+"r1" {
		t.Fatalf("ReplySubject(token) = %q, %v", back, err)
	}
	if org, ok := m.OrgOf(p + "r1"); !ok || org != "acme" {
		t.Fatalf("OrgOf = %q, %v", org, ok)
	}
	if _, ok := m.OrgOf("other.acme.x"); ok {
		t.Fatal("OrgOf accepted a subject outside the root")
	}
}

func TestNames(t *testing.T) {
	m := mustMapper(t)
	for _, tc := range []struct {
		name, want string
	}{
		{"TASKS", "tenant_acme_TASKS"},
		{"app-config", "tenant_acme_app-config"},
		{"a_b_c", "tenant_acme_a_b_c"},
		{"", ""},
		{"a.b", ""},
		{"a b", ""},
		{"a/b", ""},
		{"*", ""},
		{">", ""},
		{strings.Repeat("n", MaxNameLen+1), ""},
	} {
		got, err := m.Name("acme", tc.name)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("Name(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
			continue
		}
		if tc.want == "" {
			continue
		}
		back, ok := m.ClientName("acme", got)
		if !ok || back != tc.name {
			t.Errorf("ClientName(%q) = %q, %v; want %q", got, back, ok, tc.name)
		}
		if _, ok := m.ClientName("acm", got); ok {
			t.Errorf("ClientName(acm, %q) claimed another org's name", got)
		}
	}
	for _, foreign := range []string{"KV_tenant_acme_x", "tenant_acme_", "tenant_acme", "tenant_bob_TASKS", "TASKS", "tenant_acme_a.b"} {
		if n, ok := m.ClientName("acme", foreign); ok {
			t.Errorf("ClientName(acme, %q) = %q, want not ours", foreign, n)
		}
	}
}
