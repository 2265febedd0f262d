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

// dataLoss reports stored data that fails its integrity check.
func dataLoss(format string, args ...any) error {
	return status.Errorf(codes.DataLoss, format, args...)
}

// JetStream API error codes the table below recognises (nats-server's
// jetstream_errors_generated.go).
const (
	jsErrInsufficientResources = 10023
	jsErrMemoryExceeded        = 10028
	jsErrStorageExceeded       = 10047
	jsErrReplicasNotSupported  = 10074
	jsErrStoreFailed           = 10077 // description says why, e.g. "maximum bytes exceeded"
	jsErrStreamSealed          = 10109
)

// jsAPIError returns the JetStream API error inside err, if any.
func jsAPIError(err error) (*jetstream.APIError, bool) {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr, true
	}
	return nil, false
}

// isWrongLastSeq reports a failed compare-and-set publish (expected last
// sequence).
func isWrongLastSeq(err error) bool {
	apiErr, ok := jsAPIError(err)
	return ok && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// isMaxBytes reports a write refused because a stream (bucket) reached its
// max_bytes.
func isMaxBytes(err error) bool {
	apiErr, ok := jsAPIError(err)
	return ok && apiErr.ErrorCode == jsErrStoreFailed && strings.Contains(apiErr.Description, "maximum bytes")
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

// natsError maps an error from NATS (core or JetStream) to a status. action
// says what was being done ("publish to events.x") and appears in the message
// of the statuses that are safe to explain; anything unrecognised is logged
// with its detail and returned as a generic Internal.
func (g *Gateway) natsError(ctx context.Context, action string, err error) error {
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
	case errors.Is(err, nats.ErrMaxPayload):
		return resourceExhausted("%s: message (data plus headers) exceeds the max payload of %d bytes", action, g.maxPayload)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected):
		return unavailable("%s: NATS connection is down", action)
	case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, jetstream.ErrBucketNotFound),
		errors.Is(err, jetstream.ErrObjectNotFound):
		return notFound("%s: not found", action)
	case errors.Is(err, jetstream.ErrStreamNameAlreadyInUse), errors.Is(err, jetstream.ErrBucketExists):
		return alreadyExists("%s: already exists with other settings", action)
	case isWrongLastSeq(err):
		return aborted("%s: changed concurrently; retry", action)
	}
	if apiErr, ok := jsAPIError(err); ok {
		switch apiErr.ErrorCode {
		case jsErrInsufficientResources, jsErrMemoryExceeded, jsErrStorageExceeded:
			return resourceExhausted("%s: the JetStream storage limit of the server or account is reached", action)
		case jsErrStoreFailed:
			if isMaxBytes(err) {
				return resourceExhausted("%s: the max_bytes limit is reached", action)
			}
		case jsErrStreamSealed:
			return failedPrecondition("%s: sealed: it accepts no changes", action)
		}
	}
	g.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("action", action), slog.Any("err", err))
	return status.Errorf(codes.Internal, "%s: internal error", action)
}
