package gateway

import (
	"regexp"
	"strings"
	"testing"
)

// NATS KV's own rules (nats.go jetstream/kv.go): a key is
// [-/_=.a-zA-Z0-9]+ with no '.' at either end and no "..".
var natsKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func natsKeyValid(k string) bool {
	return natsKeyRe.MatchString(k) && k[0] != '.' && k[len(k)-1] != '.' && !strings.Contains(k, "..")
}

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"a", "database.host", "A-Z_a=z/0.9", "/", "=", "a.b.c", strings.Repeat("k", maxKeyLen)} {
		if err := checkKey(k); err != nil {
			t.Errorf("checkKey(%q) = %v, want ok", k, err)
		}
		if err := checkKeyPattern(k); err != nil {
			t.Errorf("checkKeyPattern(%q) = %v, want ok", k, err)
		}
	}
	for _, k := range []string{"", ".", ".a", "a.", "a..b", "a b", "*", ">", "a.*", "a.>", "a*", "ä", "a\x00", "$KV", strings.Repeat("k", maxKeyLen+1)} {
		if err := checkKey(k); err == nil {
			t.Errorf("checkKey(%q) = nil, want an error", k)
		}
	}
	for _, p := range []string{"*", ">", "a.*", "a.>", "*.b.>", "a.*.c"} {
		if err := checkKeyPattern(p); err != nil {
			t.Errorf("checkKeyPattern(%q) = %v, want ok", p, err)
		}
	}
	for _, p := range []string{"", "a*", "a.>.b", ">.a", "a.**", "a.*>", "a..*", ".*"} {
		if err := checkKeyPattern(p); err == nil {
			t.Errorf("checkKeyPattern(%q) = nil, want an error", p)
		}
	}
}

// FuzzKey proves that checkKey accepts exactly NATS's keys (up to the
// length limit), and that a pattern it accepts uses wildcards only as whole
// tokens, so a key or pattern can never reach outside its bucket's subjects.
func FuzzKey(f *testing.F) {
	for _, s := range []string{"a", "a.b", ".a", "a..b", "*", ">", "a.*.>", "a*", "$KV.x", "a b", "/=_-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keyErr := checkKey(s)
		if want := natsKeyValid(s) && len(s) <= maxKeyLen; (keyErr == nil) != want {
			t.Fatalf("checkKey(%q) = %v; NATS rule says valid=%v", s, keyErr, want)
		}
		if checkKeyPattern(s) != nil {
			if keyErr == nil {
				t.Fatalf("key %q is not a valid pattern", s)
			}
			return
		}
		toks := strings.Split(s, ".")
		for i, tok := range toks {
			switch {
			case tok == ">" && i != len(toks)-1:
				t.Fatalf("pattern %q: '>' not last", s)
			case tok == "*" || tok == ">":
			case !natsKeyValid(tok):
				t.Fatalf("pattern %q: token %q is not a key token", s, tok)
			}
		}
	})
}
