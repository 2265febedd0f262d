package tenant

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAckToken(t *testing.T) {
	m := mustMapper(t)
	const v1 = "$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1795721221408793796.3"
	got, err := m.ParseAckToken("acme", v1)
	if err != nil {
		t.Fatal(err)
	}
	want := AckToken{
		Subject: v1, Stream: "TASKS", NATSStream: "tenant_acme_TASKS", Consumer: "worker-1",
		Delivered: 2, StreamSeq: 5, ConsumerSeq: 7, Timestamp: 1795721221408793796, Pending: 3,
	}
	if got != want {
		t.Fatalf("ParseAckToken(v1) = %+v, want %+v", got, want)
	}
	for _, v2 := range []string{
		"$JS.ACK._.AbCd1234.tenant_acme_TASKS.worker-1.2.5.7.1795721221408793796.3",
		"$JS.ACK.hub.AbCd1234.tenant_acme_TASKS.worker-1.2.5.7.1795721221408793796.3.xYz9",
	} {
		got, err := m.ParseAckToken("acme", v2)
		want.Subject = v2
		if err != nil || got != want {
			t.Errorf("ParseAckToken(%q) = %+v, %v; want %+v", v2, got, err, want)
		}
	}
	dlq := "$JS.ACK.tenant_acme__dlq_TASKS.c.1.1.1.1.0"
	if got, err := m.ParseAckToken("acme", dlq); err != nil || got.Stream != "_dlq_TASKS" {
		t.Errorf("ParseAckToken(dead-letter) = %+v, %v", got, err)
	}

	foreign := []string{
		"$JS.ACK.tenant_bob_TASKS.worker-1.2.5.7.1.3",                      // another org
		"$JS.ACK.tenant_acmex_TASKS.worker-1.2.5.7.1.3",                    // look-alike org
		"$JS.ACK.tenant_acm_TASKS.worker-1.2.5.7.1.3",                      // prefix of the org
		"$JS.ACK.KV_tenant_acme_cfg.worker-1.2.5.7.1.3",                    // a KV bucket
		"$JS.ACK.TASKS.worker-1.2.5.7.1.3",                                 // a raw stream
		"$JS.ACK._.h.tenant_bob_TASKS.worker-1.2.5.7.1.3",                  // v2, another org
		"$JS.ACK.other_acme_TASKS.worker-1.2.5.7.1.3",                      // another root
		"$JS.ACK.tenant_acme_.worker-1.2.5.7.1.3",                          // empty name
		"$JS.ACK.tenant_acme_" + strings.Repeat("n", 129) + ".c.1.1.1.1.1", // too long to be ours
	}
	for _, tok := range foreign {
		if got, err := m.ParseAckToken("acme", tok); !errors.Is(err, ErrForeignAckToken) {
			t.Errorf("ParseAckToken(%q) = %+v, %v; want ErrForeignAckToken", tok, got, err)
		}
	}
	malformed := []string{
		"",
		"+ACK",
		"TASKS.worker-1.2.5.7.1.3",
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1",                      // 8 tokens
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.3.4",                  // 10 tokens
		"$JS.ACK._.h.tenant_acme_TASKS.c.1.1.1.1.1.x.y",                   // 13 tokens
		"$JS.NAK.tenant_acme_TASKS.worker-1.2.5.7.1.3",                    // not ACK
		"$js.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.3",                    // case
		"$JS.ACK.tenant_acme_TASKS.worker-1.x.5.7.1.3",                    // not a number
		"$JS.ACK.tenant_acme_TASKS.worker-1.-2.5.7.1.3",                   // sign
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.+3",                   // sign
		"$JS.ACK.tenant_acme_TASKS.worker-1.2..7.1.3",                     // empty number
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.99999999999999999999.3", // overflow
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.9999999999999999999.3",  // timestamp > int64
		"$JS.ACK.tenant_acme_TASKS.*.2.5.7.1.3",                           // wildcard consumer
		"$JS.ACK.tenant_acme_TASKS.>.2.5.7.1.3",
		"$JS.ACK.*.c.2.5.7.1.3",                            // wildcard stream
		"$JS.ACK.tenant_acme_TASKS.c 1.2.5.7.1.3",          // whitespace
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.3\r\n", // CRLF
		"$JS.ACK.tenant_acme_TASKS..2.5.7.1.3",             // empty consumer
		"$JS.ACK.*.h.tenant_acme_TASKS.c.1.1.1.1.1",        // wildcard domain
		"$JS.ACK._.h.tenant_acme_TASKS.c.1.1.1.1.1.>",      // wildcard extension
		"$JS.ACK._.h.tenant_acme_TASKS.c.1.1.1.1.1.",       // empty extension
		".$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.3",
		"$JS.ACK.tenant_acme_TASKS.worker-1.2.5.7.1.3.",
		strings.Repeat("x", MaxAckTokenLen+1),
	}
	for _, tok := range malformed {
		got, err := m.ParseAckToken("acme", tok)
		if err == nil || errors.Is(err, ErrForeignAckToken) {
			t.Errorf("ParseAckToken(%q) = %+v, %v; want a malformed-token error", tok, got, err)
		}
	}
	if _, err := m.ParseAckToken("a.b", v1); err == nil {
		t.Error("ParseAckToken accepted an invalid org")
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"007", 7, true},
		{"", 0, false},
		{"1a", 0, false},
	} {
		got, ok := parseDecimal(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseDecimal(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
