package tenant

import (
	"strings"
	"testing"
)

func TestValidateStreamName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"TASKS", true},
		{"orders-dlq", true},
		{"a_b", true},
		{"_dlq_TASKS", false},
		{"_x", false},
		{"", false},
		{"a.b", false},
		{strings.Repeat("n", MaxNameLen), true},
		{strings.Repeat("n", MaxNameLen+1), false},
	} {
		if err := ValidateStreamName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateStreamName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestStreamSubjects(t *testing.T) {
	m := mustMapper(t)
	s, err := m.Stream("acme", "TASKS")
	if err != nil {
		t.Fatal(err)
	}
	if s.NATSName() != "tenant_acme_TASKS" || s.Name() != "TASKS" || s.DeadLetterFor() != "" {
		t.Fatalf("Stream = %+v", s)
	}
	for _, tc := range []struct {
		in, want string
		pattern  bool
	}{
		{"tasks.>", "tenant.acme.tasks.>", true},
		{">", "tenant.acme.>", true},
		{"tasks.processing", "tenant.acme.tasks.processing", false},
	} {
		var got string
		if tc.pattern {
			got, err = s.Pattern(tc.in)
		} else {
			got, err = s.Subject(tc.in)
		}
		if err != nil || got != tc.want {
			t.Errorf("map %q = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if back, ok := s.ClientSubject(got); !ok || back != tc.in {
			t.Errorf("ClientSubject(%q) = %q, %v", got, back, ok)
		}
	}
	for _, bad := range []string{"tasks.*", "$JS.API.>", "_natsgw.dlq.>", "_INBOX.x", ""} {
		if got, err := s.Subject(bad); err == nil {
			t.Errorf("Subject(%q) = %q, want error", bad, got)
		}
	}
	if _, ok := s.ClientSubject("tenant.bob.tasks.x"); ok {
		t.Error("ClientSubject accepted another org's subject")
	}
}

func TestDeadLetterStream(t *testing.T) {
	m := mustMapper(t)
	d, err := m.DeadLetterStream("acme", "TASKS")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "_dlq_TASKS" || d.NATSName() != "tenant_acme__dlq_TASKS" || d.DeadLetterFor() != "TASKS" {
		t.Fatalf("DeadLetterStream = %+v", d)
	}
	all, err := d.Pattern(">")
	if err != nil || all != "_natsgw.dlq.tenant.acme.TASKS.>" {
		t.Fatalf("Pattern(>) = %q, %v", all, err)
	}
	subj, err := d.Subject("tasks.processing")
	if err != nil || subj != "_natsgw.dlq.tenant.acme.TASKS.tasks.processing" {
		t.Fatalf("Subject = %q, %v", subj, err)
	}
	if back, ok := d.ClientSubject(subj); !ok || back != "tasks.processing" {
		t.Fatalf("ClientSubject = %q, %v", back, ok)
	}
	// The dead-letter space is outside the org's subject space.
	if _, ok := m.ClientSubject("acme", subj); ok {
		t.Fatal("dead-letter subject lies inside the org's subject space")
	}
	// By name, the same stream.
	d2, err := m.Stream("acme", "_dlq_TASKS")
	if err != nil || d2 != d {
		t.Fatalf("Stream(_dlq_TASKS) = %+v, %v", d2, err)
	}
	for _, bad := range []string{"_dlq_", "_dlq__dlq_X", "_other", "_dlq_a.b"} {
		if s, err := m.Stream("acme", bad); err == nil {
			t.Errorf("Stream(%q) = %+v, want error", bad, s)
		}
	}
	if _, err := m.DeadLetterStream("acme", strings.Repeat("x", MaxDeadLetterOriginLen+1)); err == nil {
		t.Error("DeadLetterStream accepted an origin too long for the prefix")
	}
	if _, err := m.DeadLetterStream("acme", strings.Repeat("x", MaxDeadLetterOriginLen)); err != nil {
		t.Errorf("DeadLetterStream(max length) = %v", err)
	}
	// Two orgs' dead-letter spaces never meet.
	b, _ := m.DeadLetterStream("bob", "TASKS")
	if _, ok := b.ClientSubject(subj); ok {
		t.Fatal("bob's dead-letter stream claims acme's subject")
	}
}

func TestSplitName(t *testing.T) {
	m := mustMapper(t)
	for _, tc := range []struct {
		nats, org, name string
		ok              bool
	}{
		{"tenant_acme_TASKS", "acme", "TASKS", true},
		{"tenant_acme__dlq_TASKS", "acme", "_dlq_TASKS", true},
		{"tenant_acme_a_b", "acme", "a_b", true},
		{"KV_tenant_acme_x", "", "", false},
		{"OBJ_tenant_acme_x", "", "", false},
		{"tenant_acme_", "", "", false},
		{"tenant_Acme_x", "", "", false},
		{"other_acme_x", "", "", false},
		{"tenant_acme", "", "", false},
	} {
		org, name, ok := m.SplitName(tc.nats)
		if org != tc.org || name != tc.name || ok != tc.ok {
			t.Errorf("SplitName(%q) = %q, %q, %v; want %q, %q, %v", tc.nats, org, name, ok, tc.org, tc.name, tc.ok)
		}
	}
}

func TestMatchSubject(t *testing.T) {
	for _, tc := range []struct {
		pattern, subject string
		want             bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{">", "a", true},
		{"*.b.*", "a.b.c", true},
		{"*.b.*", "a.c.c", false},
		{"a.b.c", "a.b", false},
		{"a", "a.b", false},
		{"tenant.acme.tasks.>", "tenant.acme.tasks.processing", true},
		{"tenant.acme.tasks.>", "tenant.acmex.tasks.processing", false},
	} {
		if got := MatchSubject(tc.pattern, tc.subject); got != tc.want {
			t.Errorf("MatchSubject(%q, %q) = %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}
