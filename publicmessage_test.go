package junction_test

import (
	"errors"
	"fmt"
	"testing"

	"junction"
)

func TestPublicMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Nil", nil, ""},
		{"Plain", &junction.Error{Code: junction.EPROVIDER, Message: "GitHub answered HTTP 502"}, "GitHub answered HTTP 502"},
		{"Field", junction.Invalid("input.method", "must be one of GET, POST"), "input.method: must be one of GET, POST"},
		{"Wrapped", fmt.Errorf("execute: %w", junction.NotFound("connection")), "connection not found"},
		{"Internal", junction.Internal(errors.New("dial tcp 10.0.0.7: password=hunter2")), "internal error"},
		{"InternalWithMessage", &junction.Error{Code: junction.EINTERNAL, Message: "cause with detail"}, "internal error"},
		{"NotAnError", errors.New("driver said token=abc"), "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := junction.PublicMessage(tc.err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
