package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/natsgw/natsgw/internal/tenant"
)

// TokenPrefix starts every token natsgw generates, so that leaked tokens are
// easy to recognise (and to scan for).
const TokenPrefix = "ngw_"

// AuthFile is the JSON file that turns authentication on: each entry grants
// the bearer of a token an identity. Only SHA-256 digests of tokens are
// stored.
//
//	{"tokens": [{"org": "acme", "user": "billing", "sha256": "9f86d0..."}]}
type AuthFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// TokenEntry grants one token's bearer an identity.
type TokenEntry struct {
	Org  string `json:"org"`
	User string `json:"user"`
	// SHA256 is the hex SHA-256 digest of the token.
	SHA256 string `json:"sha256"`
	// Comment is free text for operators.
	Comment string `json:"comment,omitempty"`
}

// NewToken returns a fresh random token and its entry for org and user.
func NewToken(org, user string) (string, TokenEntry, error) {
	if err := tenant.ValidateOrg(org); err != nil {
		return "", TokenEntry{}, fmt.Errorf("org: %w", err)
	}
	if err := tenant.ValidateUser(user); err != nil {
		return "", TokenEntry{}, fmt.Errorf("user: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", TokenEntry{}, err
	}
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, TokenEntry{Org: org, User: user, SHA256: digest(tok)}, nil
}

func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokens maps token digests to identities; swapped atomically on reload.
type tokens struct {
	path     string
	byDigest atomic.Pointer[map[string]tenant.Identity]
}

func loadTokens(path string) (*tokens, error) {
	t := &tokens{path: path}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// reload re-reads the file; on error the previous tokens stay in force.
func (t *tokens) reload() error {
	b, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("auth file: %w", err)
	}
	var f AuthFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("auth file %s: %w", t.path, err)
	}
	m := make(map[string]tenant.Identity, len(f.Tokens))
	for i, e := range f.Tokens {
		if err := tenant.ValidateOrg(e.Org); err != nil {
			return fmt.Errorf("auth file %s: tokens[%d].org: %w", t.path, i, err)
		}
		if err := tenant.ValidateUser(e.User); err != nil {
			return fmt.Errorf("auth file %s: tokens[%d].user: %w", t.path, i, err)
		}
		d := strings.ToLower(e.SHA256)
		if raw, err := hex.DecodeString(d); err != nil || len(raw) != sha256.Size {
			return fmt.Errorf("auth file %s: tokens[%d].sha256: must be 64 hex digits", t.path, i)
		}
		if _, dup := m[d]; dup {
			return fmt.Errorf("auth file %s: tokens[%d].sha256: duplicate token", t.path, i)
		}
		m[d] = tenant.Identity{Org: e.Org, User: e.User}
	}
	t.byDigest.Store(&m)
	return nil
}

// identity returns the identity the token with this digest grants.
// Looking up by digest means timing reveals nothing about valid tokens.
func (t *tokens) identity(digest string) (tenant.Identity, bool) {
	id, ok := (*t.byDigest.Load())[digest]
	return id, ok
}
