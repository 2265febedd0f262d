package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/natsgw/natsgw/internal/gateway"
)

// httpStatus maps the gateway's gRPC codes to HTTP statuses (as
// grpc-gateway and Connect do).
var httpStatus = map[codes.Code]int{
	codes.OK:                 http.StatusOK,
	codes.Canceled:           499,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.FailedPrecondition: http.StatusPreconditionFailed,
	codes.Aborted:            http.StatusConflict,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.Unauthenticated:    http.StatusUnauthorized,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.Unavailable:        http.StatusServiceUnavailable,
	codes.Unimplemented:      http.StatusNotImplemented,
}

// apiError is the JSON body of every failed console request: the gRPC
// code's name, the gateway's message, and the machine-readable details.
type apiError struct {
	Code            string           `json:"code"`
	Message         string           `json:"message"`
	FieldViolations []fieldViolation `json:"field_violations,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	RetryAfterMS    int64            `json:"retry_after_ms,omitempty"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// errorBody is err as the console reports it, and its code (which decides
// the HTTP status).
func errorBody(err error) (apiError, codes.Code) {
	st, ok := status.FromError(err)
	if !ok {
		// Not from the gateway: never show internal text.
		st = status.New(codes.Internal, "internal error")
	}
	if st.Code() == codes.Unknown || st.Code() == codes.Internal {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			st = status.New(codes.ResourceExhausted, "body: too large")
		}
	}
	e := apiError{Code: codeName(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, fieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.ErrorInfo:
			e.Reason = d.GetReason()
		case *errdetails.RetryInfo:
			e.RetryAfterMS = d.GetRetryDelay().AsDuration().Milliseconds()
		}
	}
	return e, st.Code()
}

// codeNames spell the codes as the gRPC spec does (INVALID_ARGUMENT).
var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "CODE_" + strconv.Itoa(int(c))
}

func writeError(w http.ResponseWriter, err error) {
	e, c := errorBody(err)
	code, ok := httpStatus[c]
	if !ok {
		code = http.StatusInternalServerError // Internal, Unknown, DataLoss
	}
	if e.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt((e.RetryAfterMS+999)/1000, 10))
	}
	writeJSON(w, code, e)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	b, err := marshalJSON.Marshal(m)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// invalidField reports a bad field of the console's own forms (login,
// upload) in the gateway's InvalidArgument shape.
func invalidField(field, desc string) error { return gateway.InvalidArgument(field, "%s", desc) }
