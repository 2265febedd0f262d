package gateway

import (
	"fmt"
	"net/textproto"
	"strings"

	"github.com/nats-io/nats.go"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Header limits: NATS carries headers inside the payload, so they also count
// against the max payload.
const (
	maxHeaderKeyLen = 256
)

// toNATSHeader validates and converts headers. field is the request field
// they came from, for the error. Empty input returns nil without allocating.
func toNATSHeader(field string, in map[string]*natsgwv1.HeaderValues) (nats.Header, error) {
	if len(in) == 0 {
		return nil, nil
	}
	h := make(nats.Header, len(in))
	for k, v := range in {
		if err := checkHeaderKey(k); err != nil {
			return nil, invalidArgumentf(field, "key %q %v", k, err)
		}
		vals := v.GetValues()
		if len(vals) == 0 {
			return nil, invalidArgumentf(field, "key %q has no values", k)
		}
		for _, val := range vals {
			for i := 0; i < len(val); i++ {
				if val[i] == '\r' || val[i] == '\n' {
					return nil, invalidArgumentf(field, "value of %q must not contain CR or LF", k)
				}
			}
		}
		h[k] = vals
	}
	return h, nil
}

// headerKeyForbidden are the printable ASCII characters nats.go refuses in a
// header key (besides ':', which NATS itself forbids).
const headerKeyForbidden = "\"()/,:;<=>?@[\\]{}"

// checkHeaderKey applies nats.go's rule for header keys (printable ASCII,
// none of headerKeyForbidden), so that every key the gateway accepts NATS
// accepts too, plus natsgw's length limit.
func checkHeaderKey(k string) error {
	if k == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(k) > maxHeaderKeyLen {
		return fmt.Errorf("must be at most %d bytes", maxHeaderKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(headerKeyForbidden, c) >= 0 {
			return fmt.Errorf("must be printable ASCII without spaces or any of %s", headerKeyForbidden)
		}
	}
	return nil
}

// FromNATSHeader converts headers for delivery, keeping every value (nil
// for none); the task service delivers headers the same way.
func FromNATSHeader(h nats.Header) map[string]*natsgwv1.HeaderValues { return fromNATSHeader(h) }

// fromNATSHeader converts headers for delivery, keeping every value.
func fromNATSHeader(h nats.Header) map[string]*natsgwv1.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*natsgwv1.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &natsgwv1.HeaderValues{Values: v}
	}
	return out
}

// fromStoredHeader converts the headers of a stream message for delivery,
// without the Nats-Expected-* headers: conditions the publish was checked
// against (the gateway sets Nats-Expected-Stream on every PublishToStream),
// which mean nothing to a reader and would show the stream's NATS name.
func fromStoredHeader(h nats.Header) map[string]*natsgwv1.HeaderValues {
	var out map[string]*natsgwv1.HeaderValues
	for k, v := range h {
		if len(k) >= len(expectedHeaderPrefix) && strings.EqualFold(k[:len(expectedHeaderPrefix)], expectedHeaderPrefix) {
			continue
		}
		if out == nil {
			out = make(map[string]*natsgwv1.HeaderValues, len(h))
		}
		out[k] = &natsgwv1.HeaderValues{Values: v}
	}
	return out
}

const expectedHeaderPrefix = "Nats-Expected-"

// headerSize is the number of bytes h adds to a NATS message, exactly as
// nats.go encodes it (values trimmed of surrounding spaces and tabs), so that
// the payload limit can be checked before publishing.
func headerSize(h nats.Header) int {
	if len(h) == 0 {
		return 0
	}
	n := len("NATS/1.0\r\n\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(": ") + len(textproto.TrimString(v)) + len("\r\n")
		}
	}
	return n
}

// ToNATSHeader validates and converts request headers like the gateway's
// own handlers do, for the other packages serving natsgw services.
func ToNATSHeader(field string, in map[string]*natsgwv1.HeaderValues) (nats.Header, error) {
	return toNATSHeader(field, in)
}

// HeaderSize is the number of bytes h adds to a NATS message.
func HeaderSize(h nats.Header) int { return headerSize(h) }
