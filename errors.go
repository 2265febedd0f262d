package natsgw

import (
	"context"
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors. Every error a Client returns for a failed call is an
// *Error that matches one of these with errors.Is.
var (
	ErrInvalidArgument    = errors.New("natsgw: invalid argument")
	ErrNotFound           = errors.New("natsgw: not found")
	ErrAlreadyExists      = errors.New("natsgw: already exists")
	ErrFailedPrecondition = errors.New("natsgw: failed precondition")
	ErrUnauthenticated    = errors.New("natsgw: unauthenticated")
	ErrPermissionDenied   = errors.New("natsgw: permission denied")
	// ErrResourceExhausted: a limit was reached (message too large, quota).
	ErrResourceExhausted = errors.New("natsgw: resource exhausted")
	// ErrTimeout: the operation timed out. Such errors also match
	// context.DeadlineExceeded.
	ErrTimeout = errors.New("natsgw: timeout")
	// ErrNoResponders: a request found nobody subscribed to its subject.
	ErrNoResponders = errors.New("natsgw: no responders")
	// ErrUnavailable: the gateway or its NATS is unreachable.
	ErrUnavailable = errors.New("natsgw: unavailable")
	// ErrCanceled: the call was canceled. Such errors also match
	// context.Canceled.
	ErrCanceled = errors.New("natsgw: canceled")
	// ErrDataLoss: stored data failed its integrity check (an object whose
	// data does not match its SHA-256 digest).
	ErrDataLoss = errors.New("natsgw: data loss")
	// ErrInternal: the gateway failed; details are in its log.
	ErrInternal = errors.New("natsgw: internal error")
	// ErrClosed: the Client, Subscription or Publisher was closed.
	ErrClosed = errors.New("natsgw: closed")
)

// ReasonNoResponders is the ErrorInfo reason the gateway attaches when a
// request found no responders.
const ReasonNoResponders = "NO_RESPONDERS"

// ReasonRateLimited is the Reason of an ErrResourceExhausted error from the
// organization's rate limit (`natsgw serve --org-rate`); see RetryAfter.
const ReasonRateLimited = "RATE_LIMITED"

// Error is a failed call: the gateway's status code and message.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the gateway's explanation, naming the field and rule for
	// invalid arguments.
	Message string
	// Field is the offending request field, for invalid arguments.
	Field string
	// Reason is the machine-readable reason, when the gateway gave one
	// (ReasonNoResponders, ReasonRateLimited).
	Reason string
	// RetryAfter is how long to wait before retrying, when the gateway said
	// (a call refused by the organization's rate limit).
	RetryAfter time.Duration

	sentinel error
	status   *status.Status
}

func (e *Error) Error() string { return "natsgw: " + e.Message }

// Is matches the sentinel for the error's code, plus context.DeadlineExceeded
// for timeouts and context.Canceled for cancellations.
func (e *Error) Is(target error) bool {
	switch target {
	case e.sentinel:
		return true
	case context.DeadlineExceeded:
		return e.sentinel == ErrTimeout
	case context.Canceled:
		return e.sentinel == ErrCanceled
	}
	return false
}

// GRPCStatus returns the underlying status, so status.FromError works.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// convertError turns a gRPC error into an *Error (nil stays nil; non-status
// errors pass through).
func convertError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			if v := d.GetFieldViolations(); len(v) > 0 {
				e.Field = v[0].GetField()
			}
		case *errdetails.ErrorInfo:
			e.Reason = d.GetReason()
		case *errdetails.RetryInfo:
			e.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
	e.sentinel = sentinelFor(st.Code(), e.Reason)
	return e
}

func sentinelFor(code codes.Code, reason string) error {
	switch code {
	case codes.InvalidArgument, codes.OutOfRange:
		return ErrInvalidArgument
	case codes.NotFound:
		return ErrNotFound
	case codes.AlreadyExists:
		return ErrAlreadyExists
	case codes.FailedPrecondition, codes.Aborted:
		return ErrFailedPrecondition
	case codes.Unauthenticated:
		return ErrUnauthenticated
	case codes.PermissionDenied:
		return ErrPermissionDenied
	case codes.ResourceExhausted:
		return ErrResourceExhausted
	case codes.DeadlineExceeded:
		return ErrTimeout
	case codes.Unavailable:
		if reason == ReasonNoResponders {
			return ErrNoResponders
		}
		return ErrUnavailable
	case codes.Canceled:
		return ErrCanceled
	case codes.DataLoss:
		return ErrDataLoss
	}
	return ErrInternal
}

// permanent reports whether retrying a subscription cannot help.
func permanent(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.FailedPrecondition,
		codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented, codes.OutOfRange:
		return true
	}
	return false
}
