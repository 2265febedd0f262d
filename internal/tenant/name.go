package tenant

import (
	"errors"
	"fmt"
)

// MaxNameLen bounds the names of streams, consumers and buckets. With the
// root and organization prefixed (and "KV_"/"OBJ_" for buckets) the NATS name
// stays under JetStream's 255-byte limit.
const MaxNameLen = 128

// ValidateName checks the name of a stream, consumer or bucket: letters,
// digits, '_' and '-', 1 to 128 characters. (A subset of what NATS accepts
// for every one of those kinds, so one rule serves them all.)
func ValidateName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("must be at most %d characters (got %d)", MaxNameLen, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '-') {
			return fmt.Errorf("may contain only letters, digits, '_' and '-' (found %q at byte %d)", rune(c), i)
		}
	}
	return nil
}

// namePrefix is "<root>_<org>_". Neither root nor org contain '_', so the
// prefix ends at the second '_' and the mapping is reversible.
func (m Mapper) namePrefix(org string) string {
	return m.root + "_" + org + "_"
}

// NamePrefix returns the prefix shared by every NATS name of org; listings
// use it to show the caller its own names only.
func (m Mapper) NamePrefix(org string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	return m.namePrefix(org), nil
}

// Name maps a caller's stream or bucket name into org: "<root>_<org>_<name>".
// Consumers need no mapping: they live inside an already-mapped stream.
func (m Mapper) Name(org, name string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return m.namePrefix(org) + name, nil
}

// ClientName maps a NATS name back to org's view. ok is false when the name
// does not belong to org.
func (m Mapper) ClientName(org, natsName string) (string, bool) {
	// The prefix "<root>_<org>_" is checked piecewise, without building it:
	// this runs for every acknowledgement and delivery.
	r := m.root
	n := len(r) + len(org) + 2
	if len(natsName) <= n || natsName[:len(r)] != r || natsName[len(r)] != '_' ||
		natsName[len(r)+1:n-1] != org || natsName[n-1] != '_' {
		return "", false
	}
	name := natsName[n:]
	if ValidateName(name) != nil {
		return "", false
	}
	return name, true
}
