package tenant

import (
	"errors"
	"fmt"
	"strings"
)

// MaxSubjectLen bounds a caller's subject (NATS control lines are 4 KiB; the
// mapped subject, a reply subject and sizes must fit).
const MaxSubjectLen = 1024

// Reserved first tokens. "$" covers every token that starts with "$" ($JS,
// $KV, $SYS, ...).
const (
	reservedDollar = "$"
	inboxToken     = "_INBOX"
	internalToken  = "_natsgw"
)

// subjectKind selects the rules checkSubject applies.
type subjectKind int

const (
	literal subjectKind = iota // publish: no wildcards
	pattern                    // subscribe: '*' tokens anywhere, '>' last
	reply                      // reply token: literal, may start with _INBOX
)

// checkSubject validates a caller's subject by NATS rules plus natsgw's
// reserved prefixes. It scans the string once and allocates only on error.
func checkSubject(s string, kind subjectKind) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if len(s) > MaxSubjectLen {
		return fmt.Errorf("must be at most %d bytes (got %d)", MaxSubjectLen, len(s))
	}
	start := 0
	tok := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			if c <= ' ' || c == 0x7f {
				return fmt.Errorf("must not contain whitespace or control characters (byte %d)", i)
			}
			if c != '.' {
				continue
			}
		}
		t := s[start:i]
		tok++
		if t == "" {
			return fmt.Errorf("token %d is empty (subjects are tokens separated by single '.', with none at the ends)", tok)
		}
		switch t {
		case "*":
			if kind != pattern {
				return errors.New("wildcard '*' is only allowed in subscriptions")
			}
		case ">":
			if kind != pattern {
				return errors.New("wildcard '>' is only allowed in subscriptions")
			}
			if i != len(s) {
				return errors.New("wildcard '>' must be the last token")
			}
		}
		if tok == 1 {
			if err := checkFirstToken(t, kind); err != nil {
				return err
			}
		}
		start = i + 1
	}
	return nil
}

func checkFirstToken(t string, kind subjectKind) error {
	switch {
	case strings.HasPrefix(t, reservedDollar):
		return fmt.Errorf("must not start with %q: tokens starting with '$' are reserved", t)
	case t == internalToken:
		return fmt.Errorf("must not start with %q: reserved for the gateway", t)
	case t == inboxToken && kind != reply:
		return fmt.Errorf("must not start with %q: reserved for reply inboxes", t)
	}
	return nil
}

// ValidateSubject checks a subject a caller publishes to.
func ValidateSubject(s string) error { return checkSubject(s, literal) }

// ValidatePattern checks a subscription subject or pattern.
func ValidatePattern(s string) error { return checkSubject(s, pattern) }

// PublishSubject maps a caller's literal subject into org.
func (m Mapper) PublishSubject(org, subject string) (string, error) {
	return m.mapSubject(org, subject, literal)
}

// SubscribeSubject maps a caller's subscription pattern into org. ">" alone
// becomes "every subject of org".
func (m Mapper) SubscribeSubject(org, subject string) (string, error) {
	return m.mapSubject(org, subject, pattern)
}

// ReplySubject maps a reply token (as handed to a subscriber of org) back to
// the NATS subject to publish the reply to. Tokens are subjects in the
// caller's view, so a reply can only ever land inside org.
func (m Mapper) ReplySubject(org, token string) (string, error) {
	return m.mapSubject(org, token, reply)
}

func (m Mapper) mapSubject(org, s string, kind subjectKind) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	if err := checkSubject(s, kind); err != nil {
		return "", err
	}
	return m.orgPrefix(org) + s, nil
}

// ClientSubject maps a NATS subject back to org's view. ok is false when the
// subject does not belong to org; callers must then not reveal it.
func (m Mapper) ClientSubject(org, natsSubject string) (string, bool) {
	// No allocation: the prefix is checked piecewise.
	r := m.root
	if len(natsSubject) <= len(r)+len(org)+2 ||
		natsSubject[:len(r)] != r || natsSubject[len(r)] != '.' ||
		natsSubject[len(r)+1:len(r)+1+len(org)] != org || natsSubject[len(r)+1+len(org)] != '.' {
		return "", false
	}
	return natsSubject[len(r)+len(org)+2:], true
}

// ClientReplyToken turns the reply subject of a message delivered to org into
// the token handed to the client. ok is false when the reply subject lies
// outside org (for example a raw NATS client's default "_INBOX."): such
// messages are delivered without a reply token, so a caller can never publish
// outside its organization by replying.
func (m Mapper) ClientReplyToken(org, natsReply string) (string, bool) {
	if natsReply == "" {
		return "", false
	}
	return m.ClientSubject(org, natsReply)
}

// InboxPrefix returns the prefix of request inboxes the gateway instance
// gatewayID creates for org: "<root>.<org>._INBOX.<gatewayID>.". Inboxes live
// inside the organization, so the reply tokens responders get are confined to
// it by construction.
func (m Mapper) InboxPrefix(org, gatewayID string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	if err := checkSubject(gatewayID, literal); err != nil || strings.Contains(gatewayID, ".") {
		return "", fmt.Errorf("gateway id %q must be one literal token", gatewayID)
	}
	return m.orgPrefix(org) + inboxToken + "." + gatewayID + ".", nil
}

// InboxPattern returns the NATS pattern matching the request inboxes of
// gateway instance gatewayID in every organization:
// "<root>.*._INBOX.<gatewayID>.*". The receiver must check the organization
// of each reply against the request it answers (see OrgOf).
func (m Mapper) InboxPattern(gatewayID string) string {
	return m.root + ".*." + inboxToken + "." + gatewayID + ".*"
}

// OrgOf returns the organization token of a NATS subject under this root, and
// false if the subject is not under the root.
func (m Mapper) OrgOf(natsSubject string) (string, bool) {
	rest, ok := strings.CutPrefix(natsSubject, m.root+".")
	if !ok {
		return "", false
	}
	org, _, ok := strings.Cut(rest, ".")
	if !ok || ValidateOrg(org) != nil {
		return "", false
	}
	return org, true
}

// MatchSubject reports whether the literal subject matches pattern by NATS
// rules: "*" matches one token, ">" (last) one or more.
func MatchSubject(pattern, subject string) bool {
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case pt == ">":
			return st != "" // ">" needs at least one token
		case pt != "*" && pt != st:
			return false
		case !pmore || !smore:
			return pmore == smore
		}
		pattern, subject = prest, srest
	}
}
