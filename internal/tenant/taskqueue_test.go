package tenant

import (
	"strings"
	"testing"
)

func TestTaskQueue(t *testing.T) {
	m := mustMapper(t)
	q, err := m.TaskQueue("acme", "emails")
	if err != nil {
		t.Fatal(err)
	}
	if q.Name() != "emails" || q.NATSName() != "tenant_acme__tq_emails" {
		t.Fatalf("TaskQueue = %+v", q)
	}
	if q.CounterName() != "tenant_acme__tqc_emails" || q.CounterSubject("send", "1") != "_natsgw.tqc.tenant.acme.emails.send.1" || q.CounterSpace() != "_natsgw.tqc.tenant.acme.emails.>" {
		t.Fatalf("counter stream = %q %q", q.CounterName(), q.CounterSpace())
	}
	if got := q.Subject("q", "2", "send", "id1"); got != "_natsgw.tq.tenant.acme.emails.q.2.send.id1" {
		t.Fatalf("Subject = %q", got)
	}
	if toks, ok := q.Tokens("_natsgw.tq.tenant.acme.emails.q.2.send.id1"); !ok || strings.Join(toks, "|") != "q|2|send|id1" {
		t.Fatalf("Tokens = %v, %v", toks, ok)
	}
	for _, other := range []string{"_natsgw.tq.tenant.acme.emails2.q", "_natsgw.tq.tenant.acme-2.emails.q", "_natsgw.tq.tenant.acme.emails."} {
		if _, ok := q.Tokens(other); ok {
			t.Errorf("Tokens(%q) ok", other)
		}
	}
	if back, ok := m.ClientTaskQueue("acme", q.NATSName()); !ok || back != "emails" {
		t.Fatalf("ClientTaskQueue = %q, %v", back, ok)
	}
	for _, n := range []string{"tenant_acme_emails", "tenant_acme-2__tq_emails", "tenant_acme__dlq_x"} {
		if _, ok := m.ClientTaskQueue("acme", n); ok {
			t.Errorf("ClientTaskQueue(%q) ok", n)
		}
	}
	space, err := m.TaskQueueSpace("acme")
	if err != nil || space != "_natsgw.tq.tenant.acme.>" {
		t.Fatalf("TaskQueueSpace = %q, %v", space, err)
	}
	// The queue's stream is not addressable as a caller's stream.
	if _, err := m.Stream("acme", "_tq_emails"); err == nil {
		t.Fatal("Stream accepted a task queue's name")
	}
	for _, bad := range []string{"", "a.b", "a b", "a*", strings.Repeat("q", MaxTaskQueueLen+1)} {
		if _, err := m.TaskQueue("acme", bad); err == nil {
			t.Errorf("TaskQueue(%q) accepted", bad)
		}
	}
	if _, err := m.TaskQueue("Acme", "q"); err == nil {
		t.Error("TaskQueue accepted a bad organization")
	}
}
