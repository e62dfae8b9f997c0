package engine

import (
	"strings"
	"testing"
	"unicode/utf8"

	"junction"
)

// A message longer than the record keeps is cut on a character boundary,
// and says it was cut.
func TestFailureMessageCut(t *testing.T) {
	long := &junction.Error{Code: junction.EPROVIDER, Message: strings.Repeat("é", maxFailureMessage)}
	got := failureMessage(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > maxFailureMessage+len("…") {
		t.Fatalf("cut to %d bytes, valid %v: %q", len(got), utf8.ValidString(got), got[len(got)-8:])
	}
	if got := failureMessage(&junction.Error{Code: junction.EPROVIDER, Message: "short"}); got != "short" {
		t.Fatalf("short message %q", got)
	}
	if got := failureMessage(nil); got != "" {
		t.Fatalf("success %q", got)
	}
}
