// Package tenant maps what a caller names (subjects, patterns, reply tokens,
// stream and bucket names) into its organization's namespace in NATS, and
// back; and it checks what comes back from a caller that the gateway handed
// out (JetStream ack tokens, see ParseAckToken).
//
// Invariants, kept by every function here and checked by fuzz targets:
//   - Whatever a caller sends, a successful mapping lies inside the caller's
//     organization: subjects start with "<root>.<org>." (with no wildcard in
//     those two tokens), names start with "<root>_<org>_".
//   - Mappings are injective and reversible: two different (org, input) pairs
//     never map to the same NATS subject or name, and the Client* functions
//     recover the caller's view exactly.
//
// Everything here is a pure function of its arguments: no I/O, no state.
package tenant

import (
	"errors"
	"fmt"
)

// DefaultRoot is the subject token and name prefix under which all
// organizations live when no other root is configured.
const DefaultRoot = "tenant"

// Identity limits.
const (
	MaxOrgLen  = 32
	MaxUserLen = 64
)

// Defaults used in open (development) mode when the caller states no identity.
const (
	DefaultOrg  = "default"
	DefaultUser = "anonymous"
)

// Identity is who is calling: the organization (namespace) and the user
// (principal) inside it.
type Identity struct {
	Org  string
	User string
}

// ValidateOrg checks an organization id: lowercase letters, digits and "-",
// 1 to 32 characters.
func ValidateOrg(org string) error {
	if org == "" {
		return errors.New("must not be empty")
	}
	if len(org) > MaxOrgLen {
		return fmt.Errorf("must be at most %d characters", MaxOrgLen)
	}
	for i := 0; i < len(org); i++ {
		c := org[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("may contain only lowercase letters, digits and '-' (found %q)", rune(c))
		}
	}
	return nil
}

// ValidateUser checks a user id: letters, digits, '.', '_', '@' and '-', 1 to
// 64 characters.
func ValidateUser(user string) error {
	if user == "" {
		return errors.New("must not be empty")
	}
	if len(user) > MaxUserLen {
		return fmt.Errorf("must be at most %d characters", MaxUserLen)
	}
	for i := 0; i < len(user); i++ {
		c := user[i]
		if !(isAlnum(c) || c == '.' || c == '_' || c == '@' || c == '-') {
			return fmt.Errorf("may contain only letters, digits, '.', '_', '@' and '-' (found %q)", rune(c))
		}
	}
	return nil
}

// Mapper maps between a caller's view and NATS for one root. The zero value is
// not usable; build one with NewMapper.
type Mapper struct {
	root string
}

// NewMapper returns a Mapper for root, which must be one token of letters,
// digits and '-' (so that it can prefix both subjects and names
// unambiguously).
func NewMapper(root string) (Mapper, error) {
	if root == "" {
		return Mapper{}, errors.New("tenant root must not be empty")
	}
	if len(root) > 32 {
		return Mapper{}, errors.New("tenant root must be at most 32 characters")
	}
	for i := 0; i < len(root); i++ {
		c := root[i]
		if !(isAlnum(c) || c == '-') {
			return Mapper{}, fmt.Errorf("tenant root %q may contain only letters, digits and '-'", root)
		}
	}
	return Mapper{root: root}, nil
}

// Root returns the root token.
func (m Mapper) Root() string { return m.root }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkOrg guards every mapping: an org that fails validation could contain
// '.', '_' or a wildcard and escape its namespace.
func checkOrg(org string) error {
	if err := ValidateOrg(org); err != nil {
		return fmt.Errorf("organization %q: %w", org, err)
	}
	return nil
}

// orgPrefix is "<root>.<org>.".
func (m Mapper) orgPrefix(org string) string {
	return m.root + "." + org + "."
}

// OrgPattern returns the NATS pattern matching every subject of org
// ("<root>.<org>.>").
func (m Mapper) OrgPattern(org string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	return m.orgPrefix(org) + ">", nil
}
