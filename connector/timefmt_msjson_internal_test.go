package connector

import (
	"testing"
	"time"
)

func TestMSJSONDate(t *testing.T) {
	want := time.Date(2019, 11, 14, 18, 10, 38, 314e6, time.UTC)
	for _, s := range []string{"/Date(1573755038314+0000)/", "/Date(1573755038314)/", "/Date(1573755038314+1300)/"} {
		got, err := parseTime(s, TimeMSJSON, time.UTC)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"2019-11-14", "/Date(abc)/", "/Date(1573755038314+00)/", "Date(1573755038314)"} {
		if _, err := parseTime(s, TimeMSJSON, time.UTC); err == nil {
			t.Errorf("parseTime(%q) took a malformed date", s)
		}
	}
	if got := formatTime(want, TimeMSJSON, time.UTC); got != "/Date(1573755038314+0000)/" {
		t.Errorf("formatTime = %v", got)
	}
	if msg := checkTimeFormat(TimeMSJSON); msg != "" {
		t.Errorf("checkTimeFormat: %s", msg)
	}
}
