package tenant

import (
	"errors"
	"fmt"
	"strings"
)

// Ack tokens. A message pulled from a JetStream consumer carries a reply
// subject; publishing "+ACK" (or "-NAK", "+TERM", "+WPI") to it acknowledges
// the message. The gateway hands that subject to the client unchanged, as an
// opaque ack token, and checks it when it comes back, so any gateway instance
// can execute it without state:
//
//	v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
//	v2: $JS.ACK.<domain>.<acchash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]
//
// ParseAckToken accepts exactly these shapes (9, 11 or 12 tokens), numeric
// fields made of digits only, names made of name characters only, and a
// stream that is one of the organization's streams. Nothing else: a token
// that passes lies inside the caller's organization, contains no wildcard or
// whitespace, and is a literal subject to publish to.

// MaxAckTokenLen bounds an ack token (longest names plus 20-digit numbers fit
// well within it).
const MaxAckTokenLen = 1024

// ErrForeignAckToken is the error (errors.Is) of ParseAckToken for a
// well-formed token whose stream is not one of the organization's.
var ErrForeignAckToken = errors.New("ack token belongs to a stream outside the organization")

// AckToken is a parsed, checked ack token.
type AckToken struct {
	// Subject is the NATS subject to publish the acknowledgement to: the
	// token itself.
	Subject string
	// Stream is the stream's name in the caller's view; NATSStream in NATS.
	Stream, NATSStream string
	// Consumer is the consumer's name.
	Consumer string
	// Delivered is the delivery count of the message.
	Delivered uint64
	// StreamSeq and ConsumerSeq are the message's stream sequence and the
	// delivery's consumer sequence.
	StreamSeq, ConsumerSeq uint64
	// Timestamp is when the message was stored, in Unix nanoseconds.
	Timestamp int64
	// Pending is how many messages were left for the consumer.
	Pending uint64
}

const (
	ackTokensV1    = 9
	ackTokensV2    = 11
	ackTokensV2Ext = 12
)

// ParseAckToken checks token for org and returns its fields. Errors: a
// malformed token is a plain error; a well-formed token of a stream outside
// org wraps ErrForeignAckToken.
func (m Mapper) ParseAckToken(org, token string) (AckToken, error) {
	if err := checkOrg(org); err != nil {
		return AckToken{}, err
	}
	if token == "" {
		return AckToken{}, errors.New("must not be empty")
	}
	if len(token) > MaxAckTokenLen {
		return AckToken{}, fmt.Errorf("must be at most %d bytes", MaxAckTokenLen)
	}
	var buf [ackTokensV2Ext]string
	toks, ok := splitTokens(token, buf[:0])
	if !ok || (len(toks) != ackTokensV1 && len(toks) != ackTokensV2 && len(toks) != ackTokensV2Ext) ||
		toks[0] != "$JS" || toks[1] != "ACK" {
		return AckToken{}, errors.New("is not an ack token (pass back the ack_token of a delivered message unchanged)")
	}
	fields := toks[2:]
	if len(toks) != ackTokensV1 {
		// v2: domain and account hash, then the v1 fields, then an optional
		// extension token.
		for _, t := range fields[:2] {
			if !isNameToken(t) {
				return AckToken{}, errors.New("is not an ack token: bad domain or account token")
			}
		}
		if len(toks) == ackTokensV2Ext && !isNameToken(toks[ackTokensV2Ext-1]) {
			return AckToken{}, errors.New("is not an ack token: bad extension token")
		}
		fields = fields[2:]
	}
	natsStream, consumer := fields[0], fields[1]
	if !isNameToken(natsStream) || ValidateName(consumer) != nil {
		return AckToken{}, errors.New("is not an ack token: bad stream or consumer name")
	}
	var nums [5]uint64
	for i := range nums {
		n, ok := parseDecimal(fields[2+i])
		if !ok {
			return AckToken{}, fmt.Errorf("is not an ack token: field %d is not a number", 2+i)
		}
		nums[i] = n
	}
	if nums[3] > 1<<63-1 {
		return AckToken{}, errors.New("is not an ack token: timestamp out of range")
	}
	stream, ok := m.ClientName(org, natsStream)
	if !ok {
		return AckToken{}, ErrForeignAckToken
	}
	return AckToken{
		Subject:     token,
		Stream:      stream,
		NATSStream:  natsStream,
		Consumer:    consumer,
		Delivered:   nums[0],
		StreamSeq:   nums[1],
		ConsumerSeq: nums[2],
		Timestamp:   int64(nums[3]),
		Pending:     nums[4],
	}, nil
}

// splitTokens splits s on '.' into buf, failing on more than cap(buf)
// tokens.
func splitTokens(s string, buf []string) ([]string, bool) {
	for {
		i := strings.IndexByte(s, '.')
		if len(buf) == cap(buf) {
			return nil, false
		}
		if i < 0 {
			return append(buf, s), true
		}
		buf = append(buf, s[:i])
		s = s[i+1:]
	}
}

// isNameToken reports whether t is non-empty and made of letters, digits,
// '_' and '-' only (so it is a literal subject token).
func isNameToken(t string) bool {
	if t == "" || len(t) > 255 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(isAlnum(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseDecimal parses 1-20 ASCII digits into a uint64, rejecting overflow.
func parseDecimal(t string) (uint64, bool) {
	if t == "" || len(t) > 20 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
