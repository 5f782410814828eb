package status

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodesMapToTFServingHTTPStatusesAndBack(t *testing.T) {
	tests := []struct {
		code     Code
		http     int
		backCode Code // what a REST client recovers from http
	}{
		{OK, 200, Unknown},
		{InvalidArgument, 400, InvalidArgument},
		{FailedPrecondition, 400, InvalidArgument},
		{OutOfRange, 400, InvalidArgument},
		{Unauthenticated, 401, Unauthenticated},
		{PermissionDenied, 403, PermissionDenied},
		{NotFound, 404, NotFound},
		{AlreadyExists, 409, Aborted},
		{Aborted, 409, Aborted},
		{ResourceExhausted, 429, ResourceExhausted},
		{Cancelled, 499, Cancelled},
		{Unknown, 500, Internal},
		{Internal, 500, Internal},
		{DataLoss, 500, Internal},
		{Unimplemented, 501, Unimplemented},
		{Unavailable, 503, Unavailable},
		{DeadlineExceeded, 504, DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			if got := HTTPStatus(tc.code); got != tc.http {
				t.Fatalf("HTTPStatus(%s) = %d, want %d", tc.code, got, tc.http)
			}
			if got := CodeForHTTP(tc.http); got != tc.backCode {
				t.Fatalf("CodeForHTTP(%d) = %s, want %s", tc.http, got, tc.backCode)
			}
		})
	}
	if got := CodeForHTTP(418); got != Unknown {
		t.Fatalf("CodeForHTTP(418) = %s, want UNKNOWN", got)
	}
}

func TestCodeNamesRoundTrip(t *testing.T) {
	for c := OK; c <= Unauthenticated; c++ {
		back, ok := ParseCode(c.String())
		if !ok || back != c {
			t.Fatalf("ParseCode(%q) = %v, %v", c.String(), back, ok)
		}
	}
	if _, ok := ParseCode("NOPE"); ok {
		t.Fatal("ParseCode accepted an unknown name")
	}
}

func TestFromErrorFindsAWrappedCode(t *testing.T) {
	err := fmt.Errorf("case x: %w", Errorf(NotFound, "no model %s", "m"))
	if got := CodeOf(err); got != NotFound {
		t.Fatalf("CodeOf = %s, want NOT_FOUND", got)
	}
	if got := CodeOf(errors.New("plain")); got != Unknown {
		t.Fatalf("CodeOf(plain) = %s, want UNKNOWN", got)
	}
	if CodeOf(nil) != OK || FromError(nil) != nil {
		t.Fatal("nil error must be OK")
	}
}
