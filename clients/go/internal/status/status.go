// Package status carries canonical error codes (gRPC's numbering, which
// TensorFlow's TF_Code shares) and TF Serving's mapping of codes to HTTP.
package status

import (
	"errors"
	"fmt"
)

// Code is a canonical status code.
type Code int32

// The canonical codes, numbered as in grpc/codes and tensorflow/c/tf_status.h.
const (
	OK                 Code = 0
	Cancelled          Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

var names = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// String is the code's canonical name, e.g. "INVALID_ARGUMENT".
func (c Code) String() string {
	if c >= 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("CODE(%d)", int32(c))
}

// ParseCode returns the code named name; false when no code has that name.
func ParseCode(name string) (Code, bool) {
	for i, n := range names {
		if n == name {
			return Code(i), true
		}
	}
	return Unknown, false
}

// Error is a failure with a canonical code, as TF Serving would report it.
// HTTPStatus is set only for errors that arrived as a REST response.
type Error struct {
	Code       Code
	Message    string
	HTTPStatus int
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FromError recovers the *Error in err's chain; any other error becomes UNKNOWN.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Unknown, Message: err.Error()}
}

// CodeOf is the canonical code of err (OK for nil, UNKNOWN when it carries none).
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	return FromError(err).Code
}

// httpStatus is TF Serving's http_server.cc ToHTTPStatusCode.
var httpStatus = map[Code]int{
	OK:                 200,
	Cancelled:          499,
	Unknown:            500,
	InvalidArgument:    400,
	DeadlineExceeded:   504,
	NotFound:           404,
	AlreadyExists:      409,
	PermissionDenied:   403,
	ResourceExhausted:  429,
	FailedPrecondition: 400,
	Aborted:            409,
	OutOfRange:         400,
	Unimplemented:      501,
	Internal:           500,
	Unavailable:        503,
	DataLoss:           500,
	Unauthenticated:    401,
}

// codeForHTTP is the inverse a REST client applies (docs/CONTRACT.md): HTTP
// loses detail, 400 stands for three codes and 409 for two.
var codeForHTTP = map[int]Code{
	400: InvalidArgument,
	401: Unauthenticated,
	403: PermissionDenied,
	404: NotFound,
	409: Aborted,
	429: ResourceExhausted,
	499: Cancelled,
	500: Internal,
	501: Unimplemented,
	503: Unavailable,
	504: DeadlineExceeded,
}

// HTTPStatus is the status TF Serving's REST API answers code with.
func HTTPStatus(code Code) int {
	if s, ok := httpStatus[code]; ok {
		return s
	}
	return 500
}

// CodeForHTTP is the canonical code a REST client reports for an HTTP status
// (UNKNOWN when TF Serving never sends that status).
func CodeForHTTP(httpStatus int) Code {
	if c, ok := codeForHTTP[httpStatus]; ok {
		return c
	}
	return Unknown
}
