package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadTokensRejectsBadFiles(t *testing.T) {
	tok, e, err := NewToken("acme", "svc")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body, errHas string
	}{
		{"not json", `{`, "auth file"},
		{"unknown field", `{"tokens":[],"admins":[]}`, "unknown field"},
		{"bad org", `{"tokens":[{"org":"A.B","user":"u","sha256":"` + e.SHA256 + `"}]}`, "tokens[0].org"},
		{"bad user", `{"tokens":[{"org":"a","user":"u u","sha256":"` + e.SHA256 + `"}]}`, "tokens[0].user"},
		{"short digest", `{"tokens":[{"org":"a","user":"u","sha256":"abcd"}]}`, "tokens[0].sha256"},
		{"duplicate", `{"tokens":[{"org":"a","user":"u","sha256":"` + e.SHA256 + `"},{"org":"b","user":"v","sha256":"` + strings.ToUpper(e.SHA256) + `"}]}`, "tokens[1].sha256: duplicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "auth.json")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadTokens(path)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("loadTokens = %v, want error containing %q", err, tc.errHas)
			}
		})
	}
	t.Run("good", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "auth.json")
		if err := os.WriteFile(path, []byte(`{"tokens":[{"org":"acme","user":"svc","sha256":"`+e.SHA256+`"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		tk, err := loadTokens(path)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := tk.identity(digest(tok))
		if !ok || id.Org != "acme" || id.User != "svc" {
			t.Fatalf("lookup = %+v, %v", id, ok)
		}
		if _, ok := tk.identity(digest(tok + "x")); ok {
			t.Fatal("a different token was accepted")
		}
	})
}
