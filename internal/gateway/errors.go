package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// This file is the one place where failures become gRPC statuses (the table
// in DESIGN.md). Handlers return only errors built here, so internal error
// text never reaches a client.

// invalidArgument reports a malformed request field. The message names the
// field and the rule; the BadRequest detail carries the same for programs.
func invalidArgument(field string, rule error) error {
	return invalidArgumentf(field, "%v", rule)
}

func invalidArgumentf(field, format string, args ...any) error {
	desc := fmt.Sprintf(format, args...)
	st := status.New(codes.InvalidArgument, field+": "+desc)
	if d, err := st.WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}},
	}); err == nil {
		st = d
	}
	return st.Err()
}

// InvalidMetadata reports a malformed call metadata entry the way
// invalidArgumentf reports a field: the BadRequest violation names the
// metadata key. For interceptors, which run before any handler.
func InvalidMetadata(key, format string, args ...any) error {
	return invalidArgumentf(key, format, args...)
}

// MalformedRequest reports a request message that is not valid protobuf
// for its type (garbage bytes, invalid UTF-8 in a string field): the
// BadRequest violation names the whole "request". For the server's codec,
// which decodes before any handler runs.
func MalformedRequest(format string, args ...any) error {
	return invalidArgumentf("request", format, args...)
}

// annotate prefixes the message of the status err with context, keeping its
// code and details (a BadRequest violation stays machine-readable).
func annotate(err error, format string, args ...any) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	p := st.Proto()
	p.Message = fmt.Sprintf(format, args...) + p.Message
	return status.FromProto(p).Err()
}

func notFound(format string, args ...any) error {
	return status.Errorf(codes.NotFound, format, args...)
}

func alreadyExists(format string, args ...any) error {
	return status.Errorf(codes.AlreadyExists, format, args...)
}

func failedPrecondition(format string, args ...any) error {
	return status.Errorf(codes.FailedPrecondition, format, args...)
}

func resourceExhausted(format string, args ...any) error {
	return status.Errorf(codes.ResourceExhausted, format, args...)
}

func unavailable(format string, args ...any) error {
	return status.Errorf(codes.Unavailable, format, args...)
}

func deadlineExceeded(format string, args ...any) error {
	return status.Errorf(codes.DeadlineExceeded, format, args...)
}

// outOfRange reports a position past the end of something (a read offset
// beyond an object's size), with the field named like invalidArgument.
func outOfRange(field, format string, args ...any) error {
	desc := fmt.Sprintf(format, args...)
	st := status.New(codes.OutOfRange, field+": "+desc)
	if d, err := st.WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}},
	}); err == nil {
		st = d
	}
	return st.Err()
}

// aborted reports a conflict with a concurrent change; retrying the call
// makes sense.
func aborted(format string, args ...any) error {
	return status.Errorf(codes.Aborted, format, args...)
}

func permissionDenied(format string, args ...any) error {
	return status.Errorf(codes.PermissionDenied, format, args...)
}

// dataLoss reports stored data that fails its integrity check.
func dataLoss(format string, args ...any) error {
	return status.Errorf(codes.DataLoss, format, args...)
}

// isMaxBytes reports a write refused because a stream (bucket) reached its
// max_bytes.
func isMaxBytes(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrCodeStoreFailed && strings.Contains(apiErr.Description, "maximum bytes")
}

// isWrongLastSeq reports JetStream's "wrong last sequence" (10071, or 10164
// from replicated streams): an expected revision or last sequence (a
// compare-and-set write) did not match.
func isWrongLastSeq(err error) bool {
	c := apiErrorCode(err)
	return c == jetstream.JSErrCodeStreamWrongLastSequence || c == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// ReasonNoResponders marks the Unavailable status of a request nobody
// answered because nobody listens (the SDK maps it to ErrNoResponders).
const ReasonNoResponders = "NO_RESPONDERS"

func noResponders(format string, args ...any) error {
	st := status.Newf(codes.Unavailable, format, args...)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: ReasonNoResponders, Domain: "natsgw"}); err == nil {
		st = d
	}
	return st.Err()
}

// errShuttingDown ends open streams when the gateway stops; clients retry
// elsewhere or after the restart.
var errShuttingDown = status.Error(codes.Unavailable, "gateway is shutting down")

// inField marks an error from NATS as being about request field field: a
// value the caller gave. natsError then names the field when NATS refused
// the value (InvalidArgument), and reports a failed expectation the caller
// stated (expected last sequence) as FailedPrecondition rather than the
// Aborted of the gateway's own compare-and-set writes.
func inField(field string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldError{field: field, err: err}
}

type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// requestField returns the field an error was marked with (inField).
func requestField(err error) (string, bool) {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field, true
	}
	return "", false
}

// natsError maps an error from NATS (core or JetStream) to a status. action
// says what was being done ("publish to events.x") and appears in the message
// of the statuses that are safe to explain; anything unrecognised is logged
// with its detail and returned as a generic Internal.
//
// JetStream API errors not named above the last case go through
// jsAPIError: absent consumer or message -> NotFound; a consumer name in use
// with another configuration -> AlreadyExists; limits -> ResourceExhausted;
// any other refusal of a request value (code 400, or a configuration NATS
// cannot apply) -> InvalidArgument naming the field given with inField,
// with NATS's description, organization prefixes removed (it names only the
// caller's own streams and subjects).
func (g *Gateway) natsError(ctx context.Context, action string, err error) error {
	var apiErr *jetstream.APIError
	_, callerValue := requestField(err)
	switch {
	case err == nil:
		return nil
	case status.Code(err) != codes.Unknown:
		return err // already a status
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoHeartbeat):
		return deadlineExceeded("%s: timed out", action)
	case errors.Is(err, context.Canceled):
		return status.Errorf(codes.Canceled, "%s: canceled", action)
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return noResponders("%s: no responders", action)
	// Key-value. The KV handlers translate what is ambiguous in JetStream
	// ("wrong last sequence" is both "key exists" and "revision mismatch")
	// before it gets here.
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return failedPrecondition("%s: revision mismatch: the key's latest revision is not the expected one", action)
	case errors.Is(err, errKeyExists):
		return alreadyExists("%s: the key already has a value", action)
	case errors.Is(err, jetstream.ErrBucketExists):
		return alreadyExists("%s: the bucket exists with a different configuration", action)
	case errors.Is(err, jetstream.ErrBucketNotFound):
		return notFound("%s: bucket not found", action)
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return notFound("%s: key not found", action)
	case apiErrorCode(err) == jetstream.JSErrCodeStreamMessageExceedsMaximum:
		return resourceExhausted("%s: message exceeds the max message size", action)
	case apiErrorCode(err) == jsErrCodeStoreFailed:
		return resourceExhausted("%s: storage limit reached", action)
	case apiErrorCode(err) == jsErrCodeMsgTTLDisabled:
		return failedPrecondition("%s: per-message TTL is not enabled here", action)
	case isResourceLimit(err):
		return resourceExhausted("%s: JetStream resource limit reached", action)
	case errors.Is(err, nats.ErrMaxPayload):
		return resourceExhausted("%s: message (data plus headers) exceeds the max payload of %d bytes", action, g.maxPayload)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected):
		return unavailable("%s: NATS connection is down", action)
	// Object store (and JetStream generally). The object handlers name the
	// bucket's max_bytes themselves before they get here.
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return notFound("%s: stream not found", action)
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return notFound("%s: not found", action)
	case errors.Is(err, jetstream.ErrStreamNameAlreadyInUse):
		return alreadyExists("%s: already exists with other settings", action)
	case (isWrongLastSeq(err) || apiErrorCode(err) == jsErrCodeWrongLastMsgID) && callerValue:
		// The caller's own expectation (PublishToStream's expected last
		// sequence or message id).
		return failedPrecondition("%s: %s", action, g.scrub(apiErrorDescription(err)))
	case isWrongLastSeq(err):
		return aborted("%s: changed concurrently; retry", action)
	case apiErrorCode(err) == jsErrCodeStreamSealed:
		return failedPrecondition("%s: sealed: it accepts no changes", action)
	case errors.As(err, &apiErr):
		if st := g.jsAPIError(action, err, apiErr); st != nil {
			return st
		}
	}
	g.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("action", action), slog.Any("err", err))
	return status.Errorf(codes.Internal, "%s: internal error", action)
}

// JetStream API error codes natsError maps that nats.go has no constant for.
const (
	jsErrCodeInsufficientResources jetstream.ErrorCode = 10023
	jsErrCodeMaxStreams            jetstream.ErrorCode = 10027
	jsErrCodeMemoryExceeded        jetstream.ErrorCode = 10028
	jsErrCodeStorageExceeded       jetstream.ErrorCode = 10047
	// jsErrCodeStoreFailed: a write broke a stream limit with discard-new
	// ("maximum bytes exceeded" and the like).
	jsErrCodeStoreFailed    jetstream.ErrorCode = 10077
	jsErrCodeMsgTTLDisabled jetstream.ErrorCode = 10166
	// Counters: Nats-Incr on a stream without counters, a write without
	// Nats-Incr on one with them.
	jsErrCodeIncrDisabled jetstream.ErrorCode = 10168
	jsErrCodeIncrMissing  jetstream.ErrorCode = 10169
	// Replicas > 1 on a NATS that is not clustered.
	jsErrCodeReplicasNotSupported jetstream.ErrorCode = 10074
	jsErrCodeStreamSealed         jetstream.ErrorCode = 10109
	// JetStream's streams and consumers.
	jsErrCodeAccountResources jetstream.ErrorCode = 10002
	jsErrCodeSequenceNotFound jetstream.ErrorCode = 10043
	// jsErrCodeMsgDeleteFailed carries the store's error as its
	// description: "stream store EOF" past the end, "no message found"
	// below the first message; both mean the message is not there.
	jsErrCodeMsgDeleteFailed           jetstream.ErrorCode = 10057
	jsErrCodeStreamInvalidConfig       jetstream.ErrorCode = 10052
	jsErrCodeExpectedStreamMismatch    jetstream.ErrorCode = 10060
	jsErrCodeStreamUpdate              jetstream.ErrorCode = 10069
	jsErrCodeWrongLastMsgID            jetstream.ErrorCode = 10070
	jsErrCodeHeaderExceedsMaximum      jetstream.ErrorCode = 10097
	jsErrCodeStreamMaxBytesExceeded    jetstream.ErrorCode = 10122
	jsErrCodeDuplicateInProcess        jetstream.ErrorCode = 10158
	jsErrCodeLastSeqPerSubjectNotReady jetstream.ErrorCode = 10163
)

// jsAPIError is natsError's table for the JetStream API errors it does not
// name itself; nil means "not recognised" (natsError then reports
// Internal).
func (g *Gateway) jsAPIError(action string, err error, e *jetstream.APIError) error {
	desc := g.scrub(e.Description)
	field, ok := requestField(err)
	if !ok {
		field = "request"
	}
	switch e.ErrorCode {
	case jetstream.JSErrCodeStreamNotFound:
		return notFound("%s: stream not found", action)
	case jetstream.JSErrCodeConsumerNotFound, jetstream.JSErrCodeConsumerDoesNotExist:
		return notFound("%s: consumer not found", action)
	case jetstream.JSErrCodeMessageNotFound, jsErrCodeSequenceNotFound:
		return notFound("%s: message not found", action)
	case jsErrCodeMsgDeleteFailed:
		if e.Description == "stream store EOF" || e.Description == "no message found" {
			return notFound("%s: message not found", action)
		}
	case jetstream.JSErrCodeStreamNameInUse:
		return alreadyExists("%s: a stream with this name exists with a different configuration", action)
	case jetstream.JSErrCodeConsumerExists, jetstream.JSErrCodeConsumerNameExists, jetstream.JSErrCodeConsumerAlreadyExists:
		return alreadyExists("%s: a consumer with this name exists with a different configuration", action)
	case jsErrCodeDuplicateInProcess, jsErrCodeLastSeqPerSubjectNotReady:
		return aborted("%s: %s; retry", action, desc)
	case jsErrCodeHeaderExceedsMaximum, jsErrCodeAccountResources, jetstream.JSErrCodeMaximumConsumersLimit, jsErrCodeStreamMaxBytesExceeded:
		return resourceExhausted("%s: %s", action, desc)
	case jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
		return unavailable("%s: JetStream is not enabled", action)
	case jsErrCodeStreamInvalidConfig, jetstream.JSErrCodeConsumerCreate, jsErrCodeStreamUpdate, jsErrCodeReplicasNotSupported:
		return invalidArgumentf(field, "%s", desc)
	}
	switch e.Code {
	case 400:
		return invalidArgumentf(field, "%s", desc)
	case 404:
		return notFound("%s: %s", action, desc)
	}
	return nil
}

// scrub removes organization prefixes from a NATS description
// ("tenant_acme_TASKS" -> "TASKS", "tenant.acme.tasks.x" -> "tasks.x"), so
// it reads in the caller's view.
func (g *Gateway) scrub(desc string) string {
	return g.scrubRE.ReplaceAllString(desc, "")
}

// errKeyExists is what the KV Create handler turns "wrong last sequence"
// into (jetstream.ErrKeyExists matches every wrong-last-sequence error,
// revision mismatches included).
var errKeyExists = errors.New("key exists")

// apiErrorCode returns the JetStream API error code in err's chain, or 0.
func apiErrorCode(err error) jetstream.ErrorCode {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	return 0
}

// apiErrorDescription returns the description of the JetStream API error in
// err's chain, or "".
func apiErrorDescription(err error) string {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Description
	}
	return ""
}

func isResourceLimit(err error) bool {
	switch apiErrorCode(err) {
	case jsErrCodeInsufficientResources, jsErrCodeMaxStreams, jsErrCodeMemoryExceeded, jsErrCodeStorageExceeded:
		return true
	}
	return false
}

// The status constructors of this table for the other packages that serve
// natsgw services (internal/tasks), so the table stays in one place.

// InvalidArgument reports a malformed request field (BadRequest violation
// naming field).
func InvalidArgument(field, format string, args ...any) error {
	return invalidArgumentf(field, format, args...)
}

// NotFound reports an absent thing.
func NotFound(format string, args ...any) error { return notFound(format, args...) }

// FailedPrecondition reports a call that the state of things refuses.
func FailedPrecondition(format string, args ...any) error {
	return failedPrecondition(format, args...)
}

// AlreadyExists reports a thing that exists.
func AlreadyExists(format string, args ...any) error { return alreadyExists(format, args...) }

// ResourceExhausted reports a limit reached.
func ResourceExhausted(format string, args ...any) error { return resourceExhausted(format, args...) }

// Annotate prefixes the message of the status err, keeping code and details.
func Annotate(err error, format string, args ...any) error { return annotate(err, format, args...) }

// InField marks an error from NATS as being about request field field (see
// inField).
func InField(field string, err error) error { return inField(field, err) }

// NATSError maps an error from NATS to a status, like the gateway's own
// handlers do (see natsError).
func (g *Gateway) NATSError(ctx context.Context, action string, err error) error {
	return g.natsError(ctx, action, err)
}
