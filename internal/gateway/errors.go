package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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

func aborted(format string, args ...any) error {
	return status.Errorf(codes.Aborted, format, args...)
}

func permissionDenied(format string, args ...any) error {
	return status.Errorf(codes.PermissionDenied, format, args...)
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

// inField marks an error from NATS as being about request field field, so
// that natsError names it when NATS refused a value (InvalidArgument).
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

// natsError maps an error from NATS (core or JetStream) to a status. action
// says what was being done ("publish to events.x") and appears in the message
// of the statuses that are safe to explain; anything unrecognised is logged
// with its detail and returned as a generic Internal.
//
// JetStream API errors are mapped by their error code: absent stream,
// consumer or message -> NotFound; a name in use with another configuration
// -> AlreadyExists; a failed publish expectation -> FailedPrecondition;
// limits -> ResourceExhausted; any other refusal of a request value (HTTP-like
// code 400, or a configuration NATS cannot apply) -> InvalidArgument naming
// the field given with inField. NATS's own description is passed on for
// those, with organization prefixes removed (it names only the caller's own
// streams and subjects).
func (g *Gateway) natsError(ctx context.Context, action string, err error) error {
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return nil
	case status.Code(err) != codes.Unknown:
		return err // already a status
	case errors.As(err, &apiErr):
		if st := g.jsAPIError(action, err, apiErr); st != nil {
			return st
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoHeartbeat):
		return deadlineExceeded("%s: timed out", action)
	case errors.Is(err, context.Canceled):
		return status.Errorf(codes.Canceled, "%s: canceled", action)
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return noResponders("%s: no responders", action)
	case errors.Is(err, nats.ErrMaxPayload):
		return resourceExhausted("%s: message (data plus headers) exceeds the max payload of %d bytes", action, g.maxPayload)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected):
		return unavailable("%s: NATS connection is down", action)
	}
	g.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("action", action), slog.Any("err", err))
	return status.Errorf(codes.Internal, "%s: internal error", action)
}

// jsAPIError is natsError's table for JetStream API errors; nil means "not
// recognised" (natsError then reports Internal).
func (g *Gateway) jsAPIError(action string, err error, e *jetstream.APIError) error {
	desc := g.scrub(e.Description)
	field := "request"
	var fe *fieldError
	if errors.As(err, &fe) {
		field = fe.field
	}
	switch e.ErrorCode {
	case jetstream.JSErrCodeStreamNotFound:
		return notFound("%s: stream not found", action)
	case jetstream.JSErrCodeConsumerNotFound, jetstream.JSErrCodeConsumerDoesNotExist:
		return notFound("%s: consumer not found", action)
	case jetstream.JSErrCodeMessageNotFound, jsErrCodeSequenceNotFound:
		return notFound("%s: message not found", action)
	case jetstream.JSErrCodeStreamNameInUse:
		return alreadyExists("%s: a stream with this name exists with a different configuration", action)
	case jetstream.JSErrCodeConsumerExists, jetstream.JSErrCodeConsumerNameExists, jetstream.JSErrCodeConsumerAlreadyExists:
		return alreadyExists("%s: a consumer with this name exists with a different configuration", action)
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant, jsErrCodeWrongLastMsgID:
		return failedPrecondition("%s: %s", action, desc)
	case jsErrCodeDuplicateInProcess, jsErrCodeLastSeqPerSubjectNotReady:
		return aborted("%s: %s; retry", action, desc)
	case jetstream.JSErrCodeStreamMessageExceedsMaximum, jsErrCodeHeaderExceedsMaximum,
		jsErrCodeAccountResources, jsErrCodeInsufficientResources, jsErrCodeStorageResources, jsErrCodeMemoryResources,
		jetstream.JSErrCodeMaximumConsumersLimit, jsErrCodeMaximumStreams, jsErrCodeStreamMaxBytesExceeded, jsErrCodeStoreFailed:
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

// JetStream API error codes natsError maps that nats.go has no constant for
// (nats-server's errors.json).
const (
	jsErrCodeAccountResources          jetstream.ErrorCode = 10002
	jsErrCodeInsufficientResources     jetstream.ErrorCode = 10023
	jsErrCodeMaximumStreams            jetstream.ErrorCode = 10027
	jsErrCodeMemoryResources           jetstream.ErrorCode = 10028
	jsErrCodeSequenceNotFound          jetstream.ErrorCode = 10043
	jsErrCodeStorageResources          jetstream.ErrorCode = 10047
	jsErrCodeStreamInvalidConfig       jetstream.ErrorCode = 10052
	jsErrCodeStreamUpdate              jetstream.ErrorCode = 10069
	jsErrCodeWrongLastMsgID            jetstream.ErrorCode = 10070
	jsErrCodeReplicasNotSupported      jetstream.ErrorCode = 10074
	jsErrCodeStoreFailed               jetstream.ErrorCode = 10077
	jsErrCodeHeaderExceedsMaximum      jetstream.ErrorCode = 10097
	jsErrCodeStreamMaxBytesExceeded    jetstream.ErrorCode = 10122
	jsErrCodeDuplicateInProcess        jetstream.ErrorCode = 10158
	jsErrCodeLastSeqPerSubjectNotReady jetstream.ErrorCode = 10163
	jsErrCodeExpectedStreamMismatch    jetstream.ErrorCode = 10060
)

// scrub removes organization prefixes from a NATS description
// ("tenant_acme_TASKS" -> "TASKS", "tenant.acme.tasks.x" -> "tasks.x"), so
// it reads in the caller's view.
func (g *Gateway) scrub(desc string) string {
	return g.scrubRE.ReplaceAllString(desc, "")
}
