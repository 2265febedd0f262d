package tenant

import (
	"errors"
	"fmt"
	"strings"
)

// Stream names starting with reservedNamePrefix belong to the gateway; the
// only such streams today are dead-letter streams, "_dlq_<origin>".
const (
	reservedNamePrefix = "_"
	deadLetterPrefix   = "_dlq_"
	// deadLetterToken starts the subjects of dead-letter streams:
	// "_natsgw.dlq.<root>.<org>.<origin>.<original subject>". It lies outside
	// every organization's subject space ("<root>.<org>.>"), so no stream a
	// caller creates can overlap it, and no caller can publish into it.
	deadLetterToken = internalToken + ".dlq"
)

// MaxDeadLetterOriginLen is the longest stream name that can have a
// dead-letter stream (its name adds the 5-character prefix "_dlq_").
const MaxDeadLetterOriginLen = MaxNameLen - len(deadLetterPrefix)

// ValidateStreamName checks the name a caller gives a stream it creates:
// ValidateName's rules, and not starting with "_" (reserved for the
// gateway's own streams).
func ValidateStreamName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, reservedNamePrefix) {
		return fmt.Errorf("must not start with %q: reserved for the gateway's streams (dead-letter streams are %q<stream>)", reservedNamePrefix, deadLetterPrefix)
	}
	return nil
}

// DeadLetterName returns the name of the dead-letter stream of stream
// origin.
func DeadLetterName(origin string) (string, error) {
	if err := ValidateStreamName(origin); err != nil {
		return "", err
	}
	if len(origin) > MaxDeadLetterOriginLen {
		return "", fmt.Errorf("a stream with a dead-letter stream has a name of at most %d characters (got %d)", MaxDeadLetterOriginLen, len(origin))
	}
	return deadLetterPrefix + origin, nil
}

// Stream is one stream of one organization, as the gateway addresses it: its
// NATS name and the subject space its messages live in. Ordinary streams
// hold subjects of the organization ("<root>.<org>.<subject>"); a
// dead-letter stream holds copies of another stream's messages under
// "_natsgw.dlq.<root>.<org>.<origin>.<subject>", so that every dead letter
// keeps its original subject in the caller's view. Build one with
// Mapper.Stream; the zero value is not usable.
type Stream struct {
	name, natsName string
	origin         string // set for a dead-letter stream
	prefix         string // subject prefix, ending in "."
}

// Stream returns org's stream name: an ordinary stream name
// (ValidateStreamName) or a dead-letter stream name ("_dlq_<origin>"). Any
// other name starting with "_" is an error.
func (m Mapper) Stream(org, name string) (Stream, error) {
	natsName, err := m.Name(org, name)
	if err != nil {
		return Stream{}, err
	}
	if origin, ok := strings.CutPrefix(name, deadLetterPrefix); ok {
		if err := ValidateStreamName(origin); err != nil {
			return Stream{}, fmt.Errorf("dead-letter stream %q: origin %q %w", name, origin, err)
		}
		return Stream{name: name, natsName: natsName, origin: origin, prefix: m.deadLetterPrefix(org, origin)}, nil
	}
	if err := ValidateStreamName(name); err != nil {
		return Stream{}, err
	}
	return Stream{name: name, natsName: natsName, prefix: m.orgPrefix(org)}, nil
}

// DeadLetterStream returns the dead-letter stream of org's stream origin.
func (m Mapper) DeadLetterStream(org, origin string) (Stream, error) {
	name, err := DeadLetterName(origin)
	if err != nil {
		return Stream{}, err
	}
	return m.Stream(org, name)
}

func (m Mapper) deadLetterPrefix(org, origin string) string {
	return deadLetterToken + "." + m.root + "." + org + "." + origin + "."
}

// Name is the stream's name in the caller's view.
func (s Stream) Name() string { return s.name }

// NATSName is the stream's name in NATS.
func (s Stream) NATSName() string { return s.natsName }

// DeadLetterFor is, for a dead-letter stream, the name of the stream whose
// dead letters it holds; "" for an ordinary stream.
func (s Stream) DeadLetterFor() string { return s.origin }

// Subject maps a literal subject (no wildcards) into the stream's subject
// space.
func (s Stream) Subject(subject string) (string, error) {
	if s.prefix == "" {
		return "", errors.New("tenant: zero Stream")
	}
	if err := checkSubject(subject, literal); err != nil {
		return "", err
	}
	return s.prefix + subject, nil
}

// Pattern maps a subject or pattern (stream subjects, consumer filters,
// purge and info filters) into the stream's subject space. ">" alone is the
// whole space.
func (s Stream) Pattern(p string) (string, error) {
	if s.prefix == "" {
		return "", errors.New("tenant: zero Stream")
	}
	if err := checkSubject(p, pattern); err != nil {
		return "", err
	}
	return s.prefix + p, nil
}

// ClientSubject maps a subject stored in the stream back to the caller's
// view; ok is false when it lies outside the stream's subject space.
func (s Stream) ClientSubject(natsSubject string) (string, bool) {
	if len(natsSubject) <= len(s.prefix) || natsSubject[:len(s.prefix)] != s.prefix {
		return "", false
	}
	return natsSubject[len(s.prefix):], true
}

// SplitName splits a NATS stream name of this root into organization and
// the caller's name; ok is false for names that belong to no organization
// (KV_ and OBJ_ buckets, other roots, anything malformed).
func (m Mapper) SplitName(natsName string) (org, name string, ok bool) {
	rest, found := strings.CutPrefix(natsName, m.root+"_")
	if !found {
		return "", "", false
	}
	org, name, found = strings.Cut(rest, "_")
	if !found || ValidateOrg(org) != nil || ValidateName(name) != nil {
		return "", "", false
	}
	return org, name, true
}

// DeadLetterSpace returns the NATS pattern matching the subjects of every
// dead-letter stream of org ("_natsgw.dlq.<root>.<org>.>").
func (m Mapper) DeadLetterSpace(org string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	return deadLetterToken + "." + m.root + "." + org + ".>", nil
}
